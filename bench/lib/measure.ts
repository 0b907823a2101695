/**
 * Throughput measurement: run an operation in growing batches until a time window is filled,
 * repeat for several rounds, and keep the median, so one GC pause or scheduler hiccup on a shared
 * machine does not decide the number. An operation and its reference are measured in alternating
 * rounds so both see the same machine state.
 */

export interface MeasureWindow {
  /** Length of one measuring round. */
  roundMs: number;
  /** Rounds per operation (the median is reported). */
  rounds: number;
}

export const FULL_WINDOW: MeasureWindow = { roundMs: 400, rounds: 7 };
export const QUICK_WINDOW: MeasureWindow = { roundMs: 40, rounds: 3 };

/** A value the optimizer cannot prove unused. */
let sink: unknown;
export function consume(v: unknown): void {
  sink = v;
}
/** Read once at exit so the sink is observably live. */
process.once('exit', () => void sink);

/** Operations per second of `op` over one round of about `roundMs`. */
function oneRound(op: () => unknown, roundMs: number): number {
  const budget = BigInt(Math.round(roundMs * 1e6));
  let batch = 1;
  let done = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < batch; i++) consume(op());
    done += batch;
    elapsed = process.hrtime.bigint() - start;
    if (batch < 1 << 20) batch *= 2;
  }
  return done / (Number(elapsed) / 1e9);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Median operations per second of each operation, measured in interleaved rounds. */
export function measureInterleaved(ops: Array<() => unknown>, window: MeasureWindow): number[] {
  // Warm-up: let the JIT settle on every operation before timing any of them.
  for (const op of ops) oneRound(op, Math.max(10, window.roundMs / 4));
  const samples = ops.map(() => [] as number[]);
  for (let r = 0; r < window.rounds; r++) {
    ops.forEach((op, i) => samples[i].push(oneRound(op, window.roundMs)));
  }
  return samples.map(median);
}
