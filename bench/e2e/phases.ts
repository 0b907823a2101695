/**
 * The measured phases, in the order a round runs them, and what one measurement of a phase is.
 * A phase is one load-generator command; the server's CPU time is read just before and just
 * after it, so CPU per operation is the server's own cost of that phase.
 */

import type { PhaseResult } from './loadgen.js';

export interface PhaseSpec {
  /** Unique within a plan (bigdir-list runs twice: list-1, list-2). */
  key: string;
  label: string;
  command: string;
  /** ops: operations (or entries) per second; bytes: MB/s. */
  unit: 'ops' | 'bytes';
  /** What one op is, for the table ("files", "entries"...). */
  opName: string;
  timeoutMs: number;
}

/** One phase of one round on one server. */
export interface PhaseSample {
  key: string;
  ops: number;
  bytes: number;
  seconds: number;
  /** Server CPU seconds (user + system) spent during the phase. */
  cpu: number;
  errors: number;
  /** Names of checks that failed, with the first messages. */
  failed: string[];
  messages: string[];
  /** The phase did not finish within its limit (ops and rate are then unknown, not zero). */
  timedOut?: boolean;
  /** The server's peak resident set size during the phase, bytes. */
  peakRss?: number;
}

/** Time limit of a phase: a generous floor plus a rate no sane server is slower than. */
function limit(ops: number, perSecond: number): number {
  return 120_000 + Math.ceil((ops / perSecond) * 1000);
}

export interface MainPlanOptions {
  files: number;
  writeBytes: number;
  bigdir: number;
}

export function mainPlan(o: MainPlanOptions): PhaseSpec[] {
  const ops = (key: string, label: string, command: string, opName: string, n: number): PhaseSpec => ({
    key, label, command, unit: 'ops', opName, timeoutMs: limit(n, 200),
  });
  const dirs = Math.ceil(o.files / 1000);
  return [
    ops('create', `CREATE ${o.files.toLocaleString('en-US')} files in ${dirs} dir${dirs > 1 ? 's' : ''}`, `create ${o.files}`, 'files', o.files),
    ops('lookup', 'LOOKUP each', 'lookup', 'calls', o.files),
    ops('getattr', 'GETATTR each', 'getattr', 'calls', o.files),
    ops('readdirplus', 'READDIRPLUS every dir', 'readdirplus', 'entries', o.files),
    ops('setattr', 'SETATTR each', 'setattr', 'calls', o.files),
    { key: 'write', label: `WRITE ${mib(o.writeBytes)} + COMMIT`, command: `write ${o.writeBytes}`, unit: 'bytes', opName: 'bytes', timeoutMs: limit(o.writeBytes, 5e6) },
    { key: 'read', label: `READ ${mib(o.writeBytes)}`, command: 'read', unit: 'bytes', opName: 'bytes', timeoutMs: limit(o.writeBytes, 5e6) },
    ops('remove', 'REMOVE all', 'remove', 'calls', o.files),
    ops('bigdir-create', `CREATE ${o.bigdir.toLocaleString('en-US')} in one dir`, `bigdir-create ${o.bigdir}`, 'files', o.bigdir),
    ops('bigdir-list-1', 'list it (1st)', 'bigdir-list', 'entries', o.bigdir),
    ops('bigdir-list-2', 'list it (2nd)', 'bigdir-list', 'entries', o.bigdir),
  ];
}

/** Growth: create, look up and list `files` files (cost per op is compared across sizes). */
export function growthPlan(files: number): PhaseSpec[] {
  return [
    { key: 'create', label: 'create', command: `create ${files}`, unit: 'ops', opName: 'files', timeoutMs: limit(files, 200) },
    { key: 'lookup', label: 'lookup', command: 'lookup', unit: 'ops', opName: 'calls', timeoutMs: limit(files, 200) },
    { key: 'readdirplus', label: 'list', command: 'readdirplus', unit: 'ops', opName: 'entries', timeoutMs: limit(files, 200) },
  ];
}

/**
 * Listing a merged lower directory of `entries` names through the export, twice. The limit is
 * tighter than elsewhere: a server whose listing is quadratic in the directory size (ganesha over
 * overlayfs re-merges the directory for every chunk) would take hours at 1M; it is reported as
 * timed out instead.
 */
export function mergedPlan(entries: number): PhaseSpec[] {
  const p = (key: string, label: string): PhaseSpec => ({
    key, label, command: `list-merged merged ${entries}`, unit: 'ops', opName: 'entries', timeoutMs: 60_000 + Math.ceil(entries / 2),
  });
  return [p('merged-1', 'list merged lower dir (1st)'), p('merged-2', 'list merged lower dir (2nd)')];
}

export function sampleOf(spec: PhaseSpec, r: PhaseResult, cpu: number): PhaseSample {
  const failed = Object.entries(r.checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  return { key: spec.key, ops: r.ops, bytes: r.bytes, seconds: r.seconds, cpu, errors: r.errors, failed, messages: r.messages };
}

/** Throughput of a sample in the phase's unit (ops/s, or MB/s for bytes). */
export function rate(spec: PhaseSpec, s: PhaseSample): number {
  return spec.unit === 'bytes' ? s.bytes / s.seconds / 1e6 : s.ops / s.seconds;
}

/** Server CPU seconds per 1,000 ops, or per GiB for byte phases. */
export function cpuCost(spec: PhaseSpec, s: PhaseSample): number {
  return spec.unit === 'bytes' ? s.cpu / (s.bytes / 2 ** 30) : (s.cpu / s.ops) * 1000;
}

export const costUnit = (spec: PhaseSpec): string => (spec.unit === 'bytes' ? 'CPU-s/GiB' : 'CPU-s/1k');

/** Whether a sample is correct: no NFS errors, every check passed (a timeout is not wrong). */
export const correct = (s: PhaseSample): boolean => s.errors === 0 && s.failed.length === 0;

export function timedOutSample(spec: PhaseSpec, seconds: number, cpu: number, message: string): PhaseSample {
  return { key: spec.key, ops: 0, bytes: 0, seconds, cpu, errors: 0, failed: [], messages: [message], timedOut: true };
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 && bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}
