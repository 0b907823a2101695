/**
 * The load generator (loadgen.c, libnfs) from the harness's side: compile it once per source
 * version into the git-ignored cache, probe a server until it answers, and drive a session — one
 * command per measured phase, one JSON line back — with a time limit on every phase.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cacheDir, sourceDir } from './paths.js';
import { haveCommand, oneLine, runCommand, sleep, type Daemon } from './proc.js';
import type { Netns } from './netns.js';

export interface Target {
  nfsPort: number;
  mountPort: number;
  exportPath: string;
}

/**
 * A phase that did not finish in its time limit, or whose server left a call unanswered for the
 * generator's stall limit (the session is closed; the round stops). Too slow is a result.
 */
export class PhaseTimeout extends Error {
  override name = 'PhaseTimeout';
  constructor(
    what: string,
    readonly seconds: number,
    why = `no result within ${seconds} s`,
  ) {
    super(`loadgen ${what}: ${why}`);
  }
}

/** One phase as the load generator reports it. */
export interface PhaseResult {
  phase: string;
  ops: number;
  bytes: number;
  calls: number;
  seconds: number;
  errors: number;
  checks: Record<string, boolean>;
  messages: string[];
}

/** Why the load generator cannot be built here, or undefined when it can. */
export function loadgenUnavailableReason(): string | undefined {
  if (!haveCommand('cc')) return 'no C compiler (apt-get install gcc)';
  if (!existsSync('/usr/include/nfsc/libnfs-raw-nfs.h')) return 'libnfs-dev is not installed (apt-get install libnfs-dev)';
  return undefined;
}

/** Compile loadgen.c (cached by the hash of its source); returns the binary's path. */
export async function buildLoadgen(): Promise<string> {
  const source = join(sourceDir(), 'loadgen.c');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = cacheDir();
  const binary = join(dir, `loadgen-${hash}`);
  if (existsSync(binary)) return binary;
  const why = loadgenUnavailableReason();
  if (why) throw new Error(`cannot build the load generator: ${why}`);
  mkdirSync(dir, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  await runCommand('cc loadgen.c', 'cc', ['-O2', '-Wall', '-Wextra', '-o', tmp, source, '-lnfs'], 120_000);
  renameSync(tmp, binary); // atomic: a concurrent run never sees a half-written binary
  return binary;
}

function targetArgs(t: Target, extra: string[] = []): string[] {
  return [`--nfsport=${t.nfsPort}`, `--mountport=${t.mountPort}`, `--export=${t.exportPath}`, ...extra];
}

/** Wait until MNT and NFS NULL answer inside `ns` (a server is ready when a client can mount). */
export async function probe(ns: Netns, binary: string, t: Target, timeoutMs: number, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const dead = alive();
    if (dead) throw new Error(dead);
    try {
      await ns.run('probe', binary, targetArgs(t, ['--probe']), 10_000);
      return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(200);
  }
  throw new Error(`server did not answer within ${timeoutMs / 1000} s (${last})`);
}

/** A running load generator: send a command, get its phase result. */
export class LoadgenSession {
  private readonly lines: string[] = [];
  private wake?: () => void;
  private closed = false;

  private constructor(private readonly proc: Daemon) {
    // A generator that died closes its stdin: the quit written on close must not crash the harness
    // (the exit is reported by nextJson with the generator's last output).
    proc.child.stdin?.on('error', () => undefined);
    const rl = createInterface({ input: proc.child.stdout! });
    rl.on('line', (l) => {
      this.lines.push(l);
      this.wake?.();
    });
    void proc.exited.then(() => {
      this.closed = true;
      this.wake?.();
    });
  }

  static async open(ns: Netns, binary: string, t: Target, opts: { inflight: number; lowerNames: string[] }): Promise<LoadgenSession> {
    const args = targetArgs(t, [`--inflight=${opts.inflight}`, `--lower-names=${opts.lowerNames.join(',')}`]);
    const s = new LoadgenSession(ns.start('loadgen', binary, args, { stdin: true }));
    try {
      const ready = await s.nextJson(30_000, 'mount');
      if (!ready.ready) throw new Error(`loadgen: unexpected first line ${JSON.stringify(ready)}`);
      return s;
    } catch (e) {
      await s.close();
      throw e;
    }
  }

  /** Run one phase; throws on a fatal client error, a dead generator or a timeout. */
  async command(cmd: string, timeoutMs: number): Promise<PhaseResult> {
    this.proc.child.stdin!.write(`${cmd}\n`);
    return (await this.nextJson(timeoutMs, cmd)) as unknown as PhaseResult;
  }

  private async nextJson(timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) {
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue; // not ours (libnfs may print diagnostics)
        }
        if (typeof obj.fatal === 'string') {
          if (obj.fatal.startsWith('stalled')) {
            await this.close();
            throw new PhaseTimeout(what, (Date.now() - (deadline - timeoutMs)) / 1000, obj.fatal);
          }
          throw new Error(`loadgen ${what}: ${obj.fatal}`);
        }
        return obj;
      }
      if (this.closed) throw new Error(`loadgen ${what}: exited: ${oneLine(this.proc.tail()) || 'no output'}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        await this.close();
        throw new PhaseTimeout(what, timeoutMs / 1000);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async close(): Promise<void> {
    if (!this.closed) this.proc.child.stdin?.end('quit\n');
    await this.proc.stop('SIGTERM', 5_000);
  }
}
