/**
 * Drives one seeded op sequence against a reference side and a candidate side in lock step and
 * collects every disagreement: the outcome of each op, the touched objects after each op, and
 * the whole visible tree every `fullEvery` ops and at the end.
 */
import { Prng } from './prng.js';
import type { FsResult, FsUnderTest } from './fs-under-test.js';
import { ModelFs } from './model-fs.js';
import { OpGenerator } from './op-gen.js';
import { type Op, applyOp, formatOp, touchedPaths } from './ops.js';
import { observe, snapshotTree } from './snapshot.js';
import {
  type Difference,
  compareObservation,
  compareSnapshots,
  describeResult,
  formatDifference,
  linkCountDifference,
  linkCountDifferences,
} from './comparer.js';

export interface DifferentialOptions {
  seed: number;
  ops: number;
  fullEvery: number;
  /**
   * Stop after this many mismatching steps. A step whose differences all have kinds seen before
   * (same field, same expected/got) is only counted, not kept: one engine bug shows up once.
   */
  maxMismatches: number;
  /**
   * Check the candidate's nlink of non-directories against its visible names (per step against
   * the generator's model, on whole-tree compares against the snapshot's hard-link groups).
   * Off for a kernel candidate: overlayfs counts names hidden by higher layers.
   */
  checkLinkCounts: boolean;
}

export interface Mismatch {
  /** Op index (0-based); -1 for the initial state, ops for the final compare. */
  step: number;
  op?: Op;
  differences: Difference[];
}

export interface DifferentialReport {
  mismatches: Mismatch[];
  opsRun: number;
  /** Outcome counts of the reference side, e.g. { 'rename ENOTEMPTY': 12 }: shows what was covered. */
  coverage: Map<string, number>;
  /** Ops where the generator's model disagreed with the reference (it is resynced at full compares). */
  modelDrift: number;
  /** Mismatching steps not kept because every difference in them was of an already-seen kind. */
  repeats: number;
}

/** The kind of a difference, independent of where it occurred. */
function differenceKind(d: Difference, op?: Op): string {
  if (d.field === 'result') return `${op?.op} ${JSON.stringify(d.expected)}->${JSON.stringify(d.got)}`;
  if (d.field === 'nlink (visible names)' || d.field === 'hash' || d.field === 'names' || d.field === 'size') return d.field;
  return `${d.field} ${JSON.stringify(d.expected)}->${JSON.stringify(d.got)}`;
}

export function formatMismatch(seed: number, m: Mismatch): string {
  const head = m.op
    ? `seed=${seed} step=${m.step} op=${formatOp(m.op)} ${JSON.stringify(m.op)}`
    : `seed=${seed} step=${m.step} (${m.step < 0 ? 'initial' : 'final'} tree)`;
  return [head, ...m.differences.slice(0, 20).map((d) => `  ${formatDifference(d)}`),
    ...(m.differences.length > 20 ? [`  … ${m.differences.length - 20} more`] : [])].join('\n');
}

/** Run an op, turning an unexpected throw into a visible outcome instead of ending the run. */
async function runOp(fs: FsUnderTest, op: Op): Promise<FsResult<unknown> | { threw: string }> {
  try {
    return await applyOp(fs, op);
  } catch (err) {
    return { threw: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

function outcome(r: FsResult<unknown> | { threw: string }): string {
  return 'threw' in r ? `THROWN ${r.threw}` : describeResult(r);
}

export async function runDifferential(
  reference: FsUnderTest,
  candidate: FsUnderTest,
  opts: DifferentialOptions,
): Promise<DifferentialReport> {
  const report: DifferentialReport = { mismatches: [], opsRun: 0, coverage: new Map(), modelDrift: 0, repeats: 0 };
  const seenKinds = new Set<string>();
  const record = (step: number, differences: Difference[], op?: Op) => {
    if (differences.length === 0) return;
    const kinds = differences.map((d) => differenceKind(d, op));
    if (kinds.every((k) => seenKinds.has(k))) report.repeats++;
    else report.mismatches.push({ step, op, differences });
    for (const k of kinds) seenKinds.add(k);
  };

  const fullCompare = async (step: number, op?: Op) => {
    const refSnap = await snapshotTree(reference, true);
    const candSnap = await snapshotTree(candidate);
    const diffs = compareSnapshots(refSnap, candSnap);
    if (opts.checkLinkCounts) diffs.push(...linkCountDifferences(candSnap));
    record(step, diffs, op);
    return ModelFs.fromSnapshot(refSnap);
  };

  let model = await fullCompare(-1);
  const gen = new OpGenerator(new Prng(opts.seed).fork('ops'), model);
  for (let step = 0; step < opts.ops && report.mismatches.length < opts.maxMismatches; step++) {
    const op = gen.next();
    const expected = await runOp(reference, op);
    const got = await runOp(candidate, op);
    const modelResult = await applyOp(model, op);
    report.opsRun++;

    const exp = outcome(expected);
    const key = `${op.op} ${exp.split(' ')[0]}`;
    report.coverage.set(key, (report.coverage.get(key) ?? 0) + 1);
    if (!('threw' in expected) && expected.ok) gen.noteSuccess(op);
    if (modelResult.ok !== (!('threw' in expected) && expected.ok)) report.modelDrift++;

    const diffs: Difference[] = [];
    const gotOutcome = outcome(got);
    if (gotOutcome !== exp) diffs.push({ path: touchedPaths(op).at(-1)!, field: 'result', expected: exp, got: gotOutcome });
    for (const p of touchedPaths(op)) {
      const gotObs = await observe(candidate, p);
      diffs.push(...compareObservation(p, await observe(reference, p), gotObs));
      const modelStat = await model.stat(p);
      const linkDiff = opts.checkLinkCounts && modelStat.ok ? linkCountDifference(p, modelStat.value.nlink, gotObs) : undefined;
      if (linkDiff) diffs.push(linkDiff);
    }
    record(step, diffs, op);

    if ((step + 1) % opts.fullEvery === 0) {
      model = await fullCompare(step, op);
      gen.setModel(model);
    }
  }
  await fullCompare(report.opsRun);
  return report;
}
