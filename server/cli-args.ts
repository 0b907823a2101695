/**
 * The `fallthru` command line: parsing (yargs: which command, which flags) kept apart from
 * validation (configFromArgs: flags → a checked ServerConfig), so tests can call either without
 * spawning a process. Every problem is a UsageError whose message is one line naming the flag:
 *
 *   --nfs-port: 70000 is not a port number (0-65535)
 *   --lower /x: no such directory
 *
 * Flag values are read as strings and checked by config-values.ts, the same checks a config
 * file's values get, so both spell their errors alike.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { DEFAULTS, type ExportConfig, type ServerConfig } from './config.js';
import { readConfigFile, requireConfigDirectories } from './config-file.js';
import {
  checkedExport,
  checkedSettings,
  fail,
  oneOf,
  PORTMAP_SETTINGS,
  requireLayerDirectories,
  SERVER_DEFAULTS,
  UsageError,
  type ExportValues,
  type ServerSettings,
  type SettingValues,
} from './config-values.js';
import { demoDefaults } from './demo.js';
import type { LogLevel } from '../protocol/rpc/index.js';

export { UsageError };

/** Parsed flags by their dashed names ("nfs-port"), as yargs leaves them. */
export type Flags = Readonly<Record<string, unknown>>;

export interface Command {
  name: 'serve' | 'demo' | 'fsck';
  flags: Flags;
}

/** The flag of each server-wide value. */
const SETTING_FLAGS: Record<keyof SettingValues, string> = {
  bind: 'bind',
  nfsPort: 'nfs-port',
  mountPort: 'mount-port',
  portmap: 'portmap',
  portmapPort: 'portmap-port',
};

/** The flag of each export value; a config file replaces all of them. */
const EXPORT_FLAGS: Record<keyof ExportValues, string> = {
  path: 'export',
  lowers: 'lower',
  upper: 'upper',
  work: 'work',
  readOnly: 'ro',
  squash: 'squash',
  anonUid: 'anonuid',
  anonGid: 'anongid',
  allow: 'allow',
  secure: 'secure',
  async: 'async',
};

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** The package version, from the package.json two levels above the compiled dist/server/. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// ---- parsing ------------------------------------------------------------------------------

function layerOptions<T>(y: Argv<T>) {
  return y
    .options({
      lower: { type: 'string', description: 'read-only lower directory; repeat for more, highest first' },
      upper: { type: 'string', description: 'writable upper directory' },
      work: { type: 'string', description: 'work directory, on the same file system as --upper' },
      config: { type: 'string', description: 'JSON file declaring the exports, instead of the layer flags' },
    })
    .group(['lower', 'upper', 'work', 'config'], 'Layers:');
}

/** What the help says the network defaults are: serve's, or demo's (which depend on root). */
function defaultText(pick: (s: ServerSettings) => string | number, demo: boolean): string {
  if (!demo) return String(pick(SERVER_DEFAULTS));
  return `${pick(demoDefaults(true))} as root, else ${pick(demoDefaults(false))}`;
}

function networkOptions<T>(y: Argv<T>, demo: boolean) {
  return y
    .options({
      bind: { type: 'string', description: `address to listen on [default: ${DEFAULTS.bind}]` },
      'nfs-port': { type: 'string', description: `NFS port, TCP and UDP; 0 = any [default: ${defaultText((s) => s.nfsPort, demo)}]` },
      'mount-port': { type: 'string', description: `MOUNT port, TCP and UDP; 0 = any [default: ${defaultText((s) => s.mountPort, demo)}]` },
      portmap: {
        type: 'string',
        description: `announce the ports: ${PORTMAP_SETTINGS.join('|')} [default: ${defaultText((s) => s.portmap, demo)}]`,
      },
      'portmap-port': { type: 'string', description: `port of the built-in or system portmapper [default: ${DEFAULTS.portmapPort}]` },
    })
    .group(['bind', 'nfs-port', 'mount-port', 'portmap', 'portmap-port'], 'Network:');
}

function exportOptions<T>(y: Argv<T>) {
  return y
    .options({
      export: { type: 'string', description: `path clients mount [default: ${DEFAULTS.export}]` },
      ro: { type: 'boolean', description: 'refuse every change (NFS3ERR_ROFS)' },
      allow: { type: 'string', description: 'client address or CIDR network allowed; repeat or comma-separate [default: every client]' },
      squash: { type: 'string', description: `map callers: root (root only), all, none [default: ${DEFAULTS.squash}]` },
      anonuid: { type: 'string', description: `uid squashed callers get [default: ${DEFAULTS.anonUid}]` },
      anongid: { type: 'string', description: `gid squashed callers get [default: ${DEFAULTS.anonGid}]` },
      secure: { type: 'boolean', description: 'require a reserved (< 1024) client source port' },
      async: { type: 'boolean', description: 'answer changes before they are on stable storage (a power cut loses the last ones)' },
    })
    .group(['export', 'ro', 'allow', 'squash', 'anonuid', 'anongid', 'secure', 'async'], 'Export (without --config):');
}

function logOptions<T>(y: Argv<T>) {
  return y.option('log-level', { type: 'string', description: `${LOG_LEVELS.join('|')}; JSON lines on stderr [default: info]` });
}

const COMMANDS = ['serve', 'demo', 'fsck'];

/**
 * yargs' own messages ("Unknown arguments: nfs-port, nfsPort") as one line: each flag named once,
 * with its dashes back.
 */
function yargsProblem(msg: string, args: readonly string[]): UsageError {
  const given = new Set(args.filter((a) => a.startsWith('-')).map((a) => a.replace(/=.*$/, '').replace(/^-+/, '')));
  const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  let line = msg.replace(/\s+/g, ' ').trim();
  line = line.replace(/^(Unknown arguments?: )(.*)$/, (_, head: string, list: string) => {
    const names = list.split(', ');
    // yargs lists a dashed flag again under its camel-case alias.
    const once = names.filter((n) => !names.some((m) => m !== n && camel(m) === n));
    return (once.length === 1 ? 'Unknown argument: ' : head) + once.map((n) => (given.has(n) ? `--${n}` : n)).join(', ');
  });
  return new UsageError(`${line.charAt(0).toLowerCase()}${line.slice(1)} (see fallthru --help)`);
}

/**
 * Parse the command line. Returns undefined when --help or --version was answered (on stdout);
 * throws UsageError for an unknown command or flag.
 */
export async function parseCommandLine(args: readonly string[]): Promise<Command | undefined> {
  const first = args[0];
  if (first !== undefined && !first.startsWith('-') && !COMMANDS.includes(first)) {
    throw new UsageError(`unknown command ${JSON.stringify(first)} (commands: ${COMMANDS.join(', ')}; see fallthru --help)`);
  }
  let command: Command | undefined;
  const select = (name: Command['name']) => (flags: Flags) => {
    command = { name, flags };
  };
  const parser = yargs([...args])
    .scriptName('fallthru')
    .usage('$0 <command> [options]\n\nA user-space NFSv3 server whose export is a union of a writable upper over read-only lowers.')
    .command('serve', 'serve one union (layer flags) or the exports of a config file', (y) => logOptions(exportOptions(networkOptions(layerOptions(y), false))), select('serve'))
    .command('demo', 'generate a small demo tree and serve it (no root needed)', (y) =>
      logOptions(networkOptions(y, true).option('dir', { type: 'string', description: 'where to put lower/, upper/, work/ [default: ./.demo]' })), select('demo'))
    .command('fsck', 'check a union for inconsistencies (stop the server first); exit 1 when any', (y) => logOptions(layerOptions(y)), select('fsck'))
    .example('$0 serve --lower /srv/golden --upper /srv/upper --work /srv/work', 'serve /union on 127.0.0.1')
    .example('$0 serve --config /etc/fallthru/config.json', 'serve the exports of a config file')
    .example('$0 demo', 'serve a generated tree from ./.demo')
    .demandCommand(1, 'a command is needed: serve, demo or fsck')
    .strict()
    .version(packageVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 80))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? yargsProblem(msg, args);
    });
  await parser.parseAsync();
  return command;
}

// ---- validation ---------------------------------------------------------------------------

/** A flag given once at most, as text; undefined when absent. */
function single(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) fail(`--${name}`, 'given more than once');
  return String(v);
}

/** A repeatable flag, as texts. */
function repeated(flags: Flags, name: string): string[] {
  const v = flags[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function boolean(flags: Flags, name: string): boolean | undefined {
  const v = flags[name];
  if (Array.isArray(v)) fail(`--${name}`, 'given more than once');
  return v === undefined ? undefined : Boolean(v);
}

/** A directory flag, made absolute so logs and errors show where it really is. */
function directory(name: string, text: string): string {
  if (text === '') fail(`--${name}`, 'a directory is needed');
  return resolve(text);
}

/** --log-level, default info. */
export function logLevelFromArgs(flags: Flags): LogLevel {
  const v = single(flags, 'log-level');
  return v === undefined ? 'info' : oneOf('--log-level', v, LOG_LEVELS);
}

/** The server-wide flags that were given, checked. */
function settingsGiven(flags: Flags): Partial<ServerSettings> {
  const values: SettingValues = {};
  for (const [key, flag] of Object.entries(SETTING_FLAGS) as [keyof SettingValues, string][]) values[key] = single(flags, flag);
  return checkedSettings(values, (key) => `--${SETTING_FLAGS[key]}`);
}

/** Server-wide settings: the flags given over `defaults`. Throws UsageError. */
export function settingsFromArgs(flags: Flags, defaults: ServerSettings = SERVER_DEFAULTS): ServerSettings {
  return { ...defaults, ...settingsGiven(flags) };
}

/** The export the layer flags describe, its directories checked on disk. Throws UsageError. */
function exportFromArgs(flags: Flags): ExportConfig {
  const lowers = repeated(flags, 'lower');
  const upper = single(flags, 'upper');
  const work = single(flags, 'work');
  if (lowers.length === 0 && upper === undefined && work === undefined) {
    throw new UsageError('no union given: use --lower DIR [--lower DIR ...] --upper DIR --work DIR, or --config FILE');
  }
  if (lowers.length === 0) fail('--lower', 'missing (a read-only directory; repeat for more)');
  if (upper === undefined) fail('--upper', 'missing (the writable directory)');
  if (work === undefined) fail('--work', 'missing (a directory on the same file system as --upper)');
  const values: ExportValues = {
    path: single(flags, 'export'),
    lowers: lowers.map((l) => directory('lower', l)),
    upper: directory('upper', upper),
    work: directory('work', work),
    readOnly: boolean(flags, 'ro'),
    squash: single(flags, 'squash'),
    anonUid: single(flags, 'anonuid'),
    anonGid: single(flags, 'anongid'),
    allow: repeated(flags, 'allow').flatMap((a) => a.split(',')),
    secure: boolean(flags, 'secure'),
    async: boolean(flags, 'async'),
  };
  const exp = checkedExport(values, (key) => `--${EXPORT_FLAGS[key]}`);
  requireLayerDirectories(exp, (layer) => `--${EXPORT_FLAGS[layer.key]}`);
  return exp;
}

/**
 * Flags → a checked ServerConfig, every directory verified to exist (readable; upper and work
 * writable). With --config the file declares the exports and the server-wide flags given
 * override its values; without, the layer flags make one export and `defaults` fill in what was
 * not given. Throws UsageError, one line naming the flag or config key at fault.
 */
export function configFromArgs(flags: Flags, defaults: ServerSettings = SERVER_DEFAULTS): ServerConfig {
  const given = settingsGiven(flags);
  const file = single(flags, 'config');
  if (file === undefined) return { exports: [exportFromArgs(flags)], ...defaults, ...given };
  const clash = Object.values(EXPORT_FLAGS).find((f) => flags[f] !== undefined);
  if (clash) fail('--config', `cannot be combined with --${clash} (the file declares the exports)`);
  const config = { ...readConfigFile(file), ...given };
  requireConfigDirectories(config);
  return config;
}

/** `demo --dir`, absolute; default ./.demo. */
export function demoDirFromArgs(flags: Flags): string {
  return directory('dir', single(flags, 'dir') ?? '.demo');
}
