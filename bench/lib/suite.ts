/**
 * The benchmark suite contract: `bench/run.ts` runs suites in order and renders their rows. A
 * suite (protocol, union-core, end-to-end ...) only measures and returns rows.
 */

export interface BenchOptions {
  /** A few-seconds smoke run: short measuring windows, same operations. */
  quick: boolean;
}

export interface Row {
  /** What was measured, e.g. "encode 1 MiB READ reply". */
  benchmark: string;
  /** Throughput of the operation, in `unit`. */
  result: number;
  unit: string;
  /** The same bytes moved by a plain Buffer.copy in the same run, in `unit`. */
  reference?: number;
  /**
   * Cost of the operation relative to the reference: reference / result. 1 = as cheap as the copy,
   * 2 = twice its cost, below 1 = cheaper (nothing is copied).
   */
  costVsCopy?: number;
  note?: string;
}

export interface BenchSuite {
  name: string;
  run(opts: BenchOptions): Promise<Row[]>;
}
