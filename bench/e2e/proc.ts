/**
 * Child processes for the end-to-end benchmark: every external command runs with a time limit and
 * fails with a one-line error naming it; long-lived daemons keep a tail of their output so a crash
 * can be explained; and a process's CPU time and peak RSS are read from /proc, the same way for a
 * Node server and a C one.
 */

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second for /proc/PID/stat (USER_HZ; 100 on every Linux we run on). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds a process (all its threads) has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime: fields 14 and 15
}

/** Peak resident set size (VmHWM) in bytes. */
export function peakRssBytes(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Start a new peak: VmHWM restarts from the current RSS (clear_refs 5), so the next reading is the
 * peak of what ran in between. Without the permission (not root) peaks just stay cumulative.
 */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // cumulative peaks are still correct for the round as a whole
  }
}

/** Every child still running, so an interrupted run can kill them all at once. */
const live = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
}

/** SIGKILL every child this harness started and that is still running (interrupt path). */
export function killAllChildren(): void {
  for (const c of live) c.kill('SIGKILL');
}

export interface Daemon {
  readonly label: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote to stdout and stderr. */
  tail(): string;
  /** Send `signal`, then SIGKILL if it has not exited after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const TAIL_CHARS = 4000;

/** Start a long-lived process; stdin is a pipe only when asked for (the load generator). */
export function startDaemon(label: string, cmd: string, args: string[], opts: { stdin?: boolean } = {}): Daemon {
  const child = spawn(cmd, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  track(child);
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-TAIL_CHARS);
  };
  child.stderr?.on('data', keep);
  child.stdout?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      keep(Buffer.from(`\n${label}: ${err.message}\n`));
      resolve({ code: -1, signal: null });
    });
  });
  if (child.pid === undefined) throw new Error(`${label}: could not start ${cmd}`);
  let done = false;
  void exited.then(() => (done = true));
  return {
    label,
    pid: child.pid,
    child,
    exited,
    tail: () => tail.trim(),
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (done) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolve with the first stdout line matching `re`; reject if the process exits or time runs out. */
export function waitForLine(d: Daemon, re: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) finish(() => resolve(line));
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`${d.label}: not ready within ${timeoutMs / 1000} s: ${oneLine(d.tail())}`))), timeoutMs);
    const finish = (then: () => void) => {
      clearTimeout(timer);
      d.child.stdout?.off('data', onData);
      then();
    };
    d.child.stdout?.on('data', onData);
    void d.exited.then(({ code, signal }) => finish(() => reject(new Error(`${d.label} exited ${code ?? signal}: ${oneLine(d.tail())}`))));
  });
}

/** Run a command to completion within `timeoutMs`; its stdout, or a one-line error. */
export function runCommand(label: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${label}: cannot run ${cmd}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(out);
      const why = signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `exited ${code ?? signal}`;
      reject(new Error(`${label}: ${why}: ${oneLine(err || out)}`));
    });
  });
}

/** The last non-empty line of some output, for one-line error messages. */
export function oneLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim());
  return (lines.at(-1) ?? '').trim().slice(0, 300);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The open-file limit both servers can actually get: `wanted` if this process may raise its hard
 * limit that far (CAP_SYS_RESOURCE), else the current hard limit.
 */
export function usableNofile(wanted: number): number {
  try {
    execFileSync('prlimit', [`--nofile=${wanted}:${wanted}`, 'true'], { stdio: 'ignore', timeout: 5000 });
    return wanted;
  } catch {
    const hard = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8', timeout: 5000 }).trim());
    return Number.isFinite(hard) ? Math.min(hard, wanted) : wanted;
  }
}

/** Whether a program is on PATH. */
export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}
