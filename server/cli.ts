#!/usr/bin/env -S node --max-semi-space-size=8 --no-allocation-site-pretenuring
/**
 * The `fallthru` command: serve, demo, fsck (flags and their checks: cli-args.ts).
 *
 * Streams: the startup summary and fsck's findings go to stdout for people; logs are JSON lines
 * on stderr; any failure is exactly one line on stderr, "fallthru: <problem>".
 * Exit status: 0 done (or stopped by SIGTERM/SIGINT after a clean close), 1 runtime failure
 * (busy port, union that cannot open, fsck problems, internal error), 2 usage error (bad flag,
 * config key, missing directory). A second SIGTERM/SIGINT while closing exits at once, 128+signal.
 */

import './thread-pool.js'; // first: sizes the thread pool before anything uses it
import './heap-tuning.js'; // first: caps old-generation growth before the heap fills
import { constants } from 'node:os';
import { Union, type CheckProblem } from '../union-core/index.js';
import { jsonLogger, type Logger, type LogLevel } from '../protocol/rpc/index.js';
import type { ServerConfig } from './config.js';
import { configFromArgs, demoDirFromArgs, logLevelFromArgs, packageVersion, parseCommandLine, settingsFromArgs, UsageError, type Flags } from './cli-args.js';
import { demoDefaults, prepareDemoTree } from './demo.js';
import { ServerStartError, startServer, type RunningServer } from './serve.js';

/** A runtime failure already worded for the user (exit 1). */
class CommandError extends Error {
  override name = 'CommandError';
}

/** Set once a command has one, so internal errors can leave their stack in the log. */
let activeLogger: Logger | undefined;

function sayError(problem: string): void {
  process.stderr.write(`fallthru: ${problem.replace(/\s*\n\s*/g, ' ')}\n`);
}

/** Print a failure as one line; return the exit status it deserves. */
function report(e: unknown): number {
  if (e instanceof UsageError) {
    sayError(e.message);
    return 2;
  }
  if (e instanceof ServerStartError || e instanceof CommandError) {
    sayError(e.message);
    return 1;
  }
  activeLogger?.log('debug', 'internal error', { error: e });
  sayError(`internal error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  return 1;
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits without waiting. */
function firstStopSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.log('warn', 'second signal: exiting without finishing close', { signal });
        process.exit(128 + (constants.signals[signal] ?? 0));
      }
      stopping = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function startupLines(config: ServerConfig, running: RunningServer): string[] {
  const paths = config.exports.map((e) => e.path).join(', ');
  return [
    `fallthru ${packageVersion()} serving ${paths} on ${config.bind}: NFS port ${running.nfsPort}, ` +
      `MOUNT port ${running.mountPort}, portmapper ${running.portmapMode}. Stop with Ctrl-C or SIGTERM.`,
    ...config.exports.map((e) => `  mount ${e.path}: ${running.mountCommand(e.path)}`),
  ];
}

/** Start the server, print how to mount it, run until a stop signal, close. */
async function serve(config: ServerConfig, level: LogLevel, preface: string[] = []): Promise<number> {
  const logger = (activeLogger = jsonLogger(process.stderr, level));
  // Listening before the start: a signal during it closes what was started once it is up.
  const stop = firstStopSignal(logger);
  const running = await startServer(config, { logger });
  process.stdout.write([...preface, ...startupLines(config, running)].join('\n') + '\n');
  logger.log('info', 'serving', {
    exports: config.exports.map((e) => e.path),
    bind: config.bind,
    nfsPort: running.nfsPort,
    mountPort: running.mountPort,
    portmap: running.portmapMode,
  });
  const signal = await stop;
  logger.log('info', 'stopping', { signal });
  await running.close();
  logger.log('info', 'stopped');
  return 0;
}

async function demo(flags: Flags): Promise<number> {
  const dir = demoDirFromArgs(flags);
  const level = logLevelFromArgs(flags);
  settingsFromArgs(flags, demoDefaults()); // a bad flag is reported before anything is written
  let tree;
  try {
    tree = await prepareDemoTree(dir);
  } catch (e) {
    throw new CommandError(`--dir ${dir}: cannot prepare the demo tree (${(e as Error).message})`);
  }
  const config = configFromArgs({ ...flags, lower: tree.lower, upper: tree.upper, work: tree.work }, demoDefaults());
  const preface = [
    `demo tree in ${dir}: lower/ (${tree.created ? 'generated now' : 'kept from an earlier run'}, read-only), ` +
      `upper/ (what clients change), work/. Remove ${dir} to start over.`,
  ];
  return serve(config, level, preface);
}

function describe(p: CheckProblem): string {
  return p.path === undefined ? `${p.kind}: ${p.detail}` : `${p.kind} ${p.path}: ${p.detail}`;
}

/** Open each export's union, print check() problems; 0 when none. */
async function fsck(config: ServerConfig, level: LogLevel): Promise<number> {
  const logger = (activeLogger = jsonLogger(process.stderr, level));
  let total = 0;
  for (const exp of config.exports) {
    let problems: CheckProblem[];
    try {
      const union = await Union.open({ lowers: exp.lowers, upper: exp.upper, work: exp.work, log: (lv, msg, fields) => logger.log(lv, msg, fields) });
      try {
        problems = await union.check();
      } finally {
        await union.close();
      }
    } catch (e) {
      throw new CommandError(`fsck ${exp.path}: ${(e as Error).message}`);
    }
    for (const p of problems) process.stdout.write(`${exp.path}: ${describe(p)}\n`);
    process.stdout.write(`${exp.path}: ${problems.length === 0 ? 'clean' : `${problems.length} problem(s)`}\n`);
    total += problems.length;
  }
  return total === 0 ? 0 : 1;
}

async function main(args: readonly string[]): Promise<number> {
  try {
    const command = await parseCommandLine(args);
    if (!command) return 0; // --help or --version answered
    const { name, flags } = command;
    if (name === 'demo') return await demo(flags);
    const level = logLevelFromArgs(flags);
    const config = configFromArgs(flags);
    return name === 'serve' ? await serve(config, level) : await fsck(config, level);
  } catch (e) {
    return report(e);
  }
}

for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e: unknown) => process.exit(report(e)));
}
process.exitCode = await main(process.argv.slice(2));
process.exit();
