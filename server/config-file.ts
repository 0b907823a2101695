/**
 * The JSON config file (`fallthru serve --config FILE`): server-wide address, ports and
 * portmapper, and one or more exports, each with its own layers and client rules.
 *
 *   {
 *     "bind": "0.0.0.0", "nfsPort": 2049, "mountPort": 20048, "portmap": "auto", "portmapPort": 111,
 *     "exports": [
 *       { "path": "/union", "lowers": ["/srv/golden"], "upper": "/srv/u1", "work": "/srv/w1",
 *         "readOnly": false, "squash": "root", "anonUid": 65534, "anonGid": 65534,
 *         "allow": ["10.0.0.0/8"], "secure": false, "async": false }
 *     ]
 *   }
 *
 * Only "exports" and each export's "lowers", "upper" and "work" are required; the rest default
 * to DEFAULTS (config.ts). Relative directories resolve against the file's own directory. Keys
 * starting with "//" are comments and ignored; any other unknown key is an error, as are wrong
 * types, two exports with one path, and an upper or work directory shared by two exports (or one
 * inside another's): one line naming the key, e.g. `config exports[1].upper: ...`.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { ExportConfig, ServerConfig } from './config.js';
import { checkedExport, checkedSettings, fail, requireLayerDirectories, SERVER_DEFAULTS, show } from './config-values.js';

const SERVER_KEYS = ['bind', 'nfsPort', 'mountPort', 'portmap', 'portmapPort', 'exports'];
const EXPORT_KEYS = ['path', 'lowers', 'upper', 'work', 'readOnly', 'squash', 'anonUid', 'anonGid', 'allow', 'secure', 'async'];

/** Where a value sits in the file, for messages: `config exports[1].upper`. */
class At {
  constructor(readonly path: string) {}
  get label(): string {
    return this.path === '' ? 'config' : `config ${this.path}`;
  }
  key(k: string): At {
    return new At(this.path === '' ? k : `${this.path}.${k}`);
  }
  index(i: number): At {
    return new At(`${this.path}[${i}]`);
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

interface JsonTypes {
  string: string;
  number: number;
  boolean: boolean;
}

/** The value of `key` in `obj`, checked against a JSON type; undefined when the key is absent. */
function get<T extends keyof JsonTypes>(obj: Record<string, unknown>, at: At, key: string, type: T): JsonTypes[T] | undefined {
  const v = obj[key];
  if (v !== undefined && typeof v !== type) fail(at.key(key).label, `must be a ${type}, not ${kindOf(v)}`);
  return v as JsonTypes[T] | undefined;
}

function object(value: unknown, at: At, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(at.label, `must be an object, not ${kindOf(value)}`);
  for (const k of Object.keys(value)) {
    if (!known.includes(k) && !k.startsWith('//')) fail(at.key(k).label, `unknown key (known: ${known.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function stringArray(value: unknown, at: At): string[] {
  if (!Array.isArray(value)) fail(at.label, `must be an array of strings, not ${kindOf(value)}`);
  value.forEach((v, i) => {
    if (typeof v !== 'string') fail(at.index(i).label, `must be a string, not ${kindOf(v)}`);
  });
  return value as string[];
}

function directory(value: unknown, at: At, baseDir: string): string {
  if (value === undefined) fail(at.label, 'missing (a directory is needed)');
  if (typeof value !== 'string') fail(at.label, `must be a string, not ${kindOf(value)}`);
  if (value === '') fail(at.label, 'a directory is needed');
  return resolve(baseDir, value);
}

function parseExport(value: unknown, at: At, baseDir: string): ExportConfig {
  const o = object(value, at, EXPORT_KEYS);
  if (o.lowers === undefined) fail(at.key('lowers').label, 'missing (the read-only directories, highest first)');
  const lowers = stringArray(o.lowers, at.key('lowers'));
  if (lowers.length === 0) fail(at.key('lowers').label, 'at least one lower directory is needed');
  const values = {
    path: get(o, at, 'path', 'string'),
    lowers: lowers.map((l, i) => directory(l, at.key('lowers').index(i), baseDir)),
    upper: directory(o.upper, at.key('upper'), baseDir),
    work: directory(o.work, at.key('work'), baseDir),
    readOnly: get(o, at, 'readOnly', 'boolean'),
    squash: get(o, at, 'squash', 'string'),
    anonUid: get(o, at, 'anonUid', 'number'),
    anonGid: get(o, at, 'anonGid', 'number'),
    allow: o.allow === undefined ? undefined : stringArray(o.allow, at.key('allow')),
    secure: get(o, at, 'secure', 'boolean'),
    async: get(o, at, 'async', 'boolean'),
  };
  return checkedExport(values, (key) => at.key(key).label);
}

function contains(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/**
 * Exports must not share a path, nor a writable directory: two unions writing one upper (or one
 * nested in another's) corrupt each other. Lowers may be shared freely (a golden image under
 * many exports).
 */
function checkExportsApart(exports: readonly ExportConfig[], at: At): void {
  const seenPaths = new Map<string, number>();
  const writable: { dir: string; where: string }[] = [];
  exports.forEach((exp, i) => {
    const first = seenPaths.get(exp.path);
    if (first !== undefined) fail(at.index(i).key('path').label, `${exp.path} is already exported by exports[${first}]`);
    seenPaths.set(exp.path, i);
    for (const key of ['upper', 'work'] as const) {
      const dir = exp[key];
      const clash = writable.find((w) => contains(w.dir, dir) || contains(dir, w.dir));
      const here = at.index(i).key(key);
      if (clash?.dir === dir) fail(here.label, `${dir} is already used by ${clash.where}`);
      if (clash) fail(here.label, `${dir} overlaps ${clash.where} (${clash.dir})`);
      writable.push({ dir, where: here.path });
    }
  });
}

/**
 * Validate a parsed JSON config; relative directories resolve against `baseDir`. Pure: checks no
 * directory on disk (see requireConfigDirectories). Throws UsageError naming the key at fault.
 */
export function parseConfig(json: unknown, baseDir: string): ServerConfig {
  const root = new At('');
  const o = object(json, root, SERVER_KEYS);
  const settings = {
    bind: get(o, root, 'bind', 'string'),
    nfsPort: get(o, root, 'nfsPort', 'number'),
    mountPort: get(o, root, 'mountPort', 'number'),
    portmap: get(o, root, 'portmap', 'string'),
    portmapPort: get(o, root, 'portmapPort', 'number'),
  };
  const given = checkedSettings(settings, (key) => root.key(key).label);
  if (o.exports === undefined) fail(root.key('exports').label, 'missing (at least one export is needed)');
  if (!Array.isArray(o.exports)) fail(root.key('exports').label, `must be an array of exports, not ${kindOf(o.exports)}`);
  if (o.exports.length === 0) fail(root.key('exports').label, 'at least one export is needed');
  const exports = o.exports.map((e, i) => parseExport(e, root.key('exports').index(i), baseDir));
  checkExportsApart(exports, root.key('exports'));
  return { exports, ...SERVER_DEFAULTS, ...given };
}

/**
 * Read and validate a config file. `label` names where the file name came from (`--config`).
 * Throws UsageError: unreadable file, invalid JSON, or any parseConfig failure.
 */
export function readConfigFile(file: string, label = '--config'): ServerConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(`${label} ${show(file)}`, code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`${label} ${show(file)}`, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return parseConfig(json, dirname(path));
}

/** requireLayerDirectories for every export of a config file, naming keys as in the file. */
export function requireConfigDirectories(config: ServerConfig): void {
  const exportsAt = new At('exports');
  config.exports.forEach((exp, i) =>
    requireLayerDirectories(exp, (layer) => {
      const at = exportsAt.index(i).key(layer.key);
      return (layer.key === 'lowers' ? at.index(layer.index) : at).label;
    }),
  );
}
