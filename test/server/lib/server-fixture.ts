/**
 * A server over temporary layers, in this process, on ephemeral ports and without a portmapper:
 * what most server tests need. `layers` lets a test fill the lower before the union opens.
 */

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportConfig, ServerConfig } from '../../../server/config.js';
import { exportOf, serverConfigOf } from '../../lib/server-config.js';
import { startServer, type RunningServer } from '../../../server/serve.js';

export interface ExportDirs {
  lower: string;
  upper: string;
  work: string;
}

export interface Fixture extends ExportDirs {
  root: string;
  /** Every export's layers, in config order (the first is the fixture's own lower/upper/work). */
  exportDirs: ExportDirs[];
  server: RunningServer;
  config: ServerConfig;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(
  opts: {
    prepare?: (dirs: { lower: string }) => Promise<void>;
    export?: Partial<ExportConfig>;
    /** Further exports, each over its own fresh layers (root/export-N/{lower,upper,work}). */
    moreExports?: Array<Partial<ExportConfig> & { path: string; prepare?: (dirs: { lower: string }) => Promise<void> }>;
    config?: Partial<ServerConfig>;
  } = {},
): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'fallthru-server-'));
  const layersIn = async (dir: string): Promise<ExportDirs> => {
    const d = { lower: join(dir, 'lower'), upper: join(dir, 'upper'), work: join(dir, 'work') };
    await Promise.all([mkdir(d.lower, { recursive: true }), mkdir(d.upper, { recursive: true }), mkdir(d.work, { recursive: true })]);
    return d;
  };
  const exportConfig = (d: ExportDirs, over: Partial<ExportConfig>): ExportConfig =>
    exportOf(over.path ?? '/union', { lowers: [d.lower], upper: d.upper, work: d.work }, over);
  const first = await layersIn(root);
  const { lower, upper, work } = first;
  await opts.prepare?.({ lower });
  const exportDirs = [first];
  const exports = [exportConfig(first, opts.export ?? {})];
  for (const [i, { prepare, ...more }] of (opts.moreExports ?? []).entries()) {
    const d = await layersIn(join(root, `export-${i + 1}`));
    await prepare?.({ lower: d.lower });
    exportDirs.push(d);
    exports.push(exportConfig(d, more));
  }
  const config: ServerConfig = serverConfigOf(exports, opts.config);
  const fixture: Fixture = {
    root,
    lower,
    upper,
    work,
    exportDirs,
    config,
    server: await startServer(config),
    async restart() {
      await fixture.server.close();
      // Same ports, so clients can keep talking to the restarted server.
      fixture.server = await startServer({ ...config, nfsPort: fixture.server.nfsPort, mountPort: fixture.server.mountPort });
    },
    async close() {
      await fixture.server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return fixture;
}
