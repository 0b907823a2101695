/**
 * The crash workload's log, shared by the child that writes it and the parent that reads it.
 * One JSON line per event: an `intent` before an op starts (plain write: a SIGKILL cannot undo a
 * completed write(2)), an `ack` after it returned (fsynced before the child goes on, so it also
 * survives a power cut). An op with an intent and no ack was in flight at the kill.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Op } from './ops.js';

type LogLine = { t: 'intent'; i: number; op: Op } | { t: 'ack'; i: number; result: string };

/** What the parent passes the child (as one JSON argument). */
export interface CrashChildArgs {
  lowers: string[];
  upper: string;
  work: string;
  /** Open the union async (UnionOptions.async). */
  async: boolean;
  /** JSON snapshot (no content) of the expected state, for the child's op generator. */
  statePath: string;
  logPath: string;
  seed: number;
  maxOps: number;
}

export class AckLogWriter {
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }

  intent(i: number, op: Op): void {
    this.append({ t: 'intent', i, op }, false);
  }

  ack(i: number, result: string): void {
    this.append({ t: 'ack', i, result }, true);
  }

  private append(line: LogLine, sync: boolean): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    if (sync) fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface AckedOp {
  op: Op;
  /** 'ok' or the errno the engine answered. */
  result: string;
}

export interface CrashLog {
  acked: AckedOp[];
  /** The op that had started and not returned when the child died. */
  inFlight?: Op;
}

export function readCrashLog(path: string): CrashLog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { acked: [] }; // killed before the log was created
  }
  const log: CrashLog = { acked: [] };
  let pending: { i: number; op: Op } | undefined;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    let line: LogLine;
    try {
      line = JSON.parse(raw) as LogLine;
    } catch {
      continue; // a torn last line: the event it describes never completed
    }
    if (line.t === 'intent') pending = { i: line.i, op: line.op };
    else if (pending && pending.i === line.i) {
      log.acked.push({ op: pending.op, result: line.result });
      pending = undefined;
    } else throw new Error(`crash log ${path}: ack ${line.i} without its intent`);
  }
  if (pending) log.inFlight = pending.op;
  return log;
}
