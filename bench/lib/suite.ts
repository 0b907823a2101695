/**
 * The benchmark suite contract: `bench/run.ts` runs suites in order and renders their rows. A
 * suite (protocol, union-core, end-to-end ...) only measures and returns rows.
 */

export interface BenchOptions {
  /** A few-seconds smoke run: short measuring windows, same operations. */
  quick: boolean;
  /** The `--name=value` options of the command line; a suite reads its own and ignores others. */
  args: string[];
}

export interface Row {
  /** What was measured, e.g. "encode 1 MiB READ reply". */
  benchmark: string;
  /** Throughput of the operation, in `unit`. */
  result: number;
  unit: string;
  /** The suite's reference measured in the same run (protocol: a Buffer.copy of the same bytes), in `unit`. */
  reference?: number;
  /**
   * Cost of the operation relative to the reference (for throughputs reference / result, for
   * durations result / reference). 1 = as cheap as the reference, 2 = twice its cost.
   */
  costVsCopy?: number;
  note?: string;
}

/** A suite whose results do not fit the Row table writes its own report. */
export interface SuiteReport {
  /** Markdown body (tables and notes), written to results/<suite>.md under the run header. */
  markdown: string;
  /** Further files written beside it, name → content (an SVG plot, a profile summary). */
  files?: Record<string, string>;
  /** Set when a result was wrong: the report is still written, then the run exits non-zero. */
  failure?: string;
}

/** Titles of the reference and ratio columns (default: the Buffer.copy reference of the protocol suite). */
export interface Columns {
  reference: string;
  ratio: string;
}

export interface BenchSuite {
  name: string;
  columns?: Columns;
  run(opts: BenchOptions): Promise<Row[] | SuiteReport>;
}
