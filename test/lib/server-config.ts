/**
 * Server configurations for tests: one writable export of some layers, root not squashed
 * (tests run as root), served on loopback with ephemeral ports and no portmapper.
 */

import type { ExportConfig, ServerConfig } from '../../server/config.js';
import { checkedExport } from '../../server/config-values.js';

/** A writable export of `layers` at `path`, root not squashed (the guest's tests run as root). */
export function exportOf(path: string, layers: { lowers: string[]; upper: string; work: string }, overrides: Partial<ExportConfig> = {}): ExportConfig {
  // The serve defaults for everything not given, as the CLI and config file fill them in.
  const given = checkedExport({ path, lowers: layers.lowers, upper: layers.upper, work: layers.work, squash: 'none' }, String);
  return { ...given, ...overrides };
}

/** Loopback only, ephemeral ports, no portmapper: what most guest tests want. */
export function serverConfigOf(exports: ExportConfig[], overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    exports,
    bind: '127.0.0.1',
    nfsPort: 0,
    mountPort: 0,
    portmap: 'none',
    portmapPort: 111,
    ...overrides,
  };
}
