/**
 * One checker per configuration value, shared by the command line (cli-args.ts) and the config
 * file (config-file.ts) so both accept the same values and word their errors alike. Each takes a
 * label naming where the value came from ("--nfs-port", "config exports[1].upper") and throws
 * UsageError("<label>: <problem>"): one line, printed as is by the CLI, which exits 2.
 */

import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { ClientRuleError, parseClientRule } from './client-rules.js';
import { DEFAULTS, type ClientRule, type ExportConfig, type PortmapSetting, type ServerConfig, type SquashMode } from './config.js';

/** The server-wide part of a ServerConfig (address, ports, portmapper). */
export type ServerSettings = Omit<ServerConfig, 'exports'>;

export const SERVER_DEFAULTS: ServerSettings = {
  bind: DEFAULTS.bind,
  nfsPort: DEFAULTS.nfsPort,
  mountPort: DEFAULTS.mountPort,
  portmap: DEFAULTS.portmap,
  portmapPort: DEFAULTS.portmapPort,
};

export const SQUASH_MODES: readonly SquashMode[] = ['root', 'all', 'none'];
export const PORTMAP_SETTINGS: readonly PortmapSetting[] = ['builtin', 'system', 'none', 'auto'];

/** A bad flag, config value or directory: the user must change how fallthru is invoked. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function fail(label: string, problem: string): never {
  throw new UsageError(`${label}: ${problem}`);
}

/** A value as the user wrote it: plain when it is a simple word, JSON-quoted otherwise. */
export function show(value: unknown): string {
  return typeof value === 'string' && /^[\w./:@%+,-]+$/.test(value) ? value : JSON.stringify(value);
}

/** An integer in [min, max], from a flag's text ("2049") or a JSON number. */
function integerIn(label: string, value: string | number, min: number, max: number, what: string): number {
  const n = typeof value === 'string' ? (/^\d+$/.test(value) ? Number(value) : NaN) : value;
  if (!Number.isInteger(n) || n < min || n > max) fail(label, `${show(value)} is not ${what} (${min}-${max})`);
  return n;
}

/** A TCP/UDP port; 0 asks for an ephemeral one (tests). */
export function portNumber(label: string, value: string | number): number {
  return integerIn(label, value, 0, 65535, 'a port number');
}

/** A uid or gid for squashed callers (32-bit, as AUTH_SYS carries them). */
export function ownerId(label: string, value: string | number): number {
  return integerIn(label, value, 0, 0xffff_ffff, 'a uid/gid');
}

export function oneOf<T extends string>(label: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) fail(label, `${show(value)} is not one of ${choices.join(', ')}`);
  return value as T;
}

/** An IPv4 or IPv6 address to listen on ("0.0.0.0" and "::" are every interface). */
export function bindAddress(label: string, value: string): string {
  if (isIP(value) === 0) fail(label, `${show(value)} is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::)`);
  return value;
}

/** MNTPATHLEN (RFC 1813 appendix I): the longest path a MOUNT call can carry. */
const MNTPATHLEN = 1024;

/** The path clients mount: absolute, no "." or ".." parts; repeated and trailing slashes dropped. */
export function exportPath(label: string, value: string): string {
  if (!value.startsWith('/')) fail(label, `${show(value)} is not an absolute path (e.g. /union)`);
  const parts = value.split('/').filter(Boolean);
  if (parts.some((p) => p === '.' || p === '..')) fail(label, `${show(value)} must not contain . or .. parts`);
  if (value.includes('\0')) fail(label, `${show(value)} contains a NUL byte`);
  const path = '/' + parts.join('/');
  if (Buffer.byteLength(path) > MNTPATHLEN) fail(label, `longer than ${MNTPATHLEN} bytes`);
  return path;
}

/** Allow-list entries (see client-rules.ts); an empty list allows every client. */
export function clientRules(label: string, specs: readonly string[]): ClientRule[] {
  return specs.map((spec) => {
    try {
      return parseClientRule(spec);
    } catch (e) {
      if (e instanceof ClientRuleError) fail(label, e.message);
      throw e;
    }
  });
}

/**
 * Check that `dir` is an existing directory the server can read (and write, for upper and work):
 * failing early with the flag or key at fault reads better than a union-core error after startup.
 */
export function requireDirectory(label: string, dir: string, writable: boolean): void {
  if (dir === '') fail(label, 'a directory is needed');
  const at = `${label} ${dir}`;
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(at, code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : `cannot be examined (${code})`);
  }
  if (!isDir) fail(at, 'not a directory');
  try {
    accessSync(dir, constants.R_OK | constants.X_OK | (writable ? constants.W_OK : 0));
  } catch {
    fail(at, writable ? 'not writable' : 'not readable');
  }
}

/** The key of a layer directory in an export, with its index among the lowers. */
export type LayerKey = { key: 'lowers'; index: number } | { key: 'upper' | 'work' };

/** requireDirectory for every layer of an export; `labelOf` names each one as the user gave it. */
export function requireLayerDirectories(exp: ExportConfig, labelOf: (layer: LayerKey) => string): void {
  exp.lowers.forEach((dir, index) => requireDirectory(labelOf({ key: 'lowers', index }), dir, false));
  requireDirectory(labelOf({ key: 'upper' }), exp.upper, true);
  requireDirectory(labelOf({ key: 'work' }), exp.work, true);
}

/** Server-wide values as given: flag texts or JSON values of the right type; absent = not given. */
export interface SettingValues {
  bind?: string;
  nfsPort?: string | number;
  mountPort?: string | number;
  portmap?: string;
  portmapPort?: string | number;
}

/** Check the server-wide values given; the result holds only those. `labelOf` names each one. */
export function checkedSettings(v: SettingValues, labelOf: (key: keyof SettingValues) => string): Partial<ServerSettings> {
  const given: Partial<ServerSettings> = {};
  if (v.bind !== undefined) given.bind = bindAddress(labelOf('bind'), v.bind);
  if (v.nfsPort !== undefined) given.nfsPort = portNumber(labelOf('nfsPort'), v.nfsPort);
  if (v.mountPort !== undefined) given.mountPort = portNumber(labelOf('mountPort'), v.mountPort);
  if (v.portmap !== undefined) given.portmap = oneOf(labelOf('portmap'), v.portmap, PORTMAP_SETTINGS);
  if (v.portmapPort !== undefined) given.portmapPort = portNumber(labelOf('portmapPort'), v.portmapPort);
  return given;
}

/** An export's values as given (directories already absolute); absent = the default. */
export interface ExportValues {
  path?: string;
  lowers: string[];
  upper: string;
  work: string;
  readOnly?: boolean;
  squash?: string;
  anonUid?: string | number;
  anonGid?: string | number;
  allow?: readonly string[];
  secure?: boolean;
  async?: boolean;
}

/** Check an export's values and fill in DEFAULTS. `labelOf` names each value as the user gave it. */
export function checkedExport(v: ExportValues, labelOf: (key: keyof ExportValues) => string): ExportConfig {
  return {
    path: exportPath(labelOf('path'), v.path ?? DEFAULTS.export),
    lowers: v.lowers,
    upper: v.upper,
    work: v.work,
    readOnly: v.readOnly ?? false,
    squash: v.squash === undefined ? DEFAULTS.squash : oneOf(labelOf('squash'), v.squash, SQUASH_MODES),
    anonUid: v.anonUid === undefined ? DEFAULTS.anonUid : ownerId(labelOf('anonUid'), v.anonUid),
    anonGid: v.anonGid === undefined ? DEFAULTS.anonGid : ownerId(labelOf('anonGid'), v.anonGid),
    allow: clientRules(labelOf('allow'), v.allow ?? []),
    secure: v.secure ?? false,
    async: v.async ?? false,
  };
}
