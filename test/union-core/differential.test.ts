/**
 * Differential test of union-core against kernel overlayfs (the oracle).
 *
 * A seeded pair of overlapping lower layers (a few thousand entries) is materialized once per
 * side; a seeded sequence of operations (see lib/op-gen.ts) runs on both in lock step. After
 * every op the outcome (errno, or the value read) and the touched objects and directories are
 * compared; the whole visible tree every FULL_EVERY ops and at the end.
 *
 * Intentional differences: what is NOT compared, and why.
 * | field / case                     | treatment       | why                                                                                   |
 * |----------------------------------|-----------------|---------------------------------------------------------------------------------------|
 * | inode number / fileid, st_dev    | not compared    | numbering is each side's own; instead the partition of names into objects (hard-link |
 * |                                  |                 | groups) is compared on every whole-tree compare                                       |
 * | atime, mtime, ctime              | not compared    | wall-clock dependent                                                                  |
 * | nlink of directories             | not compared    | verified: overlayfs reports 1 for every merged dir (and the lower's count for a pure |
 * |                                  |                 | lower dir); union-core is free to count subdirectories                                |
 * | nlink of non-directories         | checked against | verified: overlayfs reports the lower inode's count, which includes names hidden by a |
 * |                                  | visible names,  | whiteout or shadowed by a higher layer (seed 1, initial tree: hb37 shows nlink 3 with |
 * |                                  | not overlayfs   | 2 names visible). union-core reports the names one can see (union-core/lower-links.ts)|
 * |                                  |                 | and is checked so: per step against the generator's model, on whole-tree compares    |
 * |                                  |                 | against the snapshot's hard-link groups. Any nlink difference fails the test         |
 * | size of directories              | not compared    | the backing file system's block size, not a union property                            |
 * | `used` (blocks)                  | not compared    | allocation detail                                                                     |
 * | readdir order                    | sorted first    | order is per implementation; duplicates are kept and reported                        |
 * | symlinks on a path               | never followed  | harness rule (lib/fs-under-test.ts): a symlink in the middle of a path, or opened for |
 * |                                  |                 | I/O or chmod, is ELOOP on every side, so no adapter needs a resolver                  |
 * | umask                            | 0 on the kernel | NFS CREATE/MKDIR carry the final mode; the client applies the umask                   |
 * Everything else visible is compared: type, mode (incl. setuid/sticky), uid, gid, file size,
 * content (sha1), symlink target, the set of names in each directory, errno of every op.
 *
 * Two harness self-checks keep the harness honest: kernel overlayfs vs the in-memory model the
 * crash test relies on (always), and kernel overlayfs vs kernel overlayfs over separate copies
 * (FALLTHRU_DIFF_SELFCHECK=1; slower, must show no difference at all).
 *
 * Environment: FALLTHRU_SEED replays a run; FALLTHRU_DIFF_OPS (default 2000),
 * FALLTHRU_DIFF_FULL_EVERY (default 400; 1 pinpoints the first op of a whole-tree difference)
 * size it.
 */
import t, { type Test } from 'tap';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Prng, seedFromEnv } from './lib/prng.js';
import { generateLowerSpecs, materializeLowers, type LayerSpec } from './lib/tree-gen.js';
import { makeTempDir, mountOverlay, removeTempDir } from './lib/overlay-mount.js';
import { KernelFs } from './lib/kernel-adapter.js';
import { ModelFs } from './lib/model-fs.js';
import { UnionPathFs, loadUnionOpener } from './lib/union-adapter.js';
import { snapshotTree } from './lib/snapshot.js';
import { type DifferentialOptions, type DifferentialReport, formatMismatch, runDifferential } from './lib/differential-runner.js';
import type { FsUnderTest } from './lib/fs-under-test.js';

const SEED = seedFromEnv();
const OPS = Number(process.env.FALLTHRU_DIFF_OPS ?? 2000);
const FULL_EVERY = Number(process.env.FALLTHRU_DIFF_FULL_EVERY ?? 400);
const SELF_CHECK_OPS = Math.min(OPS, 400);
const FULL_SELF_CHECK = process.env.FALLTHRU_DIFF_SELFCHECK === '1';

t.comment(`seed ${SEED} (replay with FALLTHRU_SEED=${SEED})`);
const specs: LayerSpec[] = generateLowerSpecs(new Prng(SEED).fork('tree'));
t.comment(`lower layers: ${specs.map((s) => s.entries.length).join(' + ')} entries`);

/** One side's scratch area: its own copy of the lowers plus upper/work (and a mount point). */
async function makeSide(t: Test, name: string) {
  const root = await makeTempDir(`diff-${name}`);
  const mountpoint = path.join(root, 'mnt');
  t.teardown(() => removeTempDir(root, [mountpoint]));
  const lowers = await materializeLowers(specs, root);
  const upper = path.join(root, 'upper');
  const work = path.join(root, 'work');
  for (const dir of [upper, work]) {
    await fsp.mkdir(dir);
    // The merged root shows the upper root's mode: make it the same on every side.
    await fsp.chmod(dir, 0o755);
  }
  return { root, lowers, upper, work, mountpoint };
}

async function kernelSide(t: Test, name: string): Promise<FsUnderTest> {
  const side = await makeSide(t, name);
  await mountOverlay(side);
  return new KernelFs(`kernel overlayfs (${name})`, side.mountpoint);
}

function reportTo(t: Test, report: DifferentialReport, opts: DifferentialOptions): void {
  const cov = [...report.coverage].sort().map(([k, n]) => `${k}:${n}`).join(' ');
  t.comment(`ran ${report.opsRun} ops; reference outcomes: ${cov}`);
  if (report.repeats > 0) t.comment(`${report.repeats} more mismatching steps showed only kinds of difference already reported`);
  if (report.modelDrift > 0) t.comment(`generator model drifted on ${report.modelDrift} ops (resynced at full compares)`);
  for (const m of report.mismatches) {
    const [head, ...details] = formatMismatch(opts.seed, m).split('\n');
    t.fail(head, { diagnostic: false });
    for (const line of details) t.comment(line);
  }
  if (report.mismatches.length === 0 && report.repeats === 0) t.pass(`no differences over ${report.opsRun} ops`);
}

t.test('harness self-check: kernel overlayfs vs kernel overlayfs over separate copies', { skip: !FULL_SELF_CHECK && 'set FALLTHRU_DIFF_SELFCHECK=1' }, async (t) => {
  const opts = { seed: SEED, ops: OPS, fullEvery: FULL_EVERY, maxMismatches: 10, checkLinkCounts: false };
  const report = await runDifferential(await kernelSide(t, 'ref'), await kernelSide(t, 'copy'), opts);
  reportTo(t, report, opts);
});

t.test('harness self-check: kernel overlayfs vs the in-memory model (used by the crash test)', async (t) => {
  const reference = await kernelSide(t, 'ref');
  const model = ModelFs.fromSnapshot(await snapshotTree(reference, true));
  const opts = { seed: SEED, ops: SELF_CHECK_OPS, fullEvery: FULL_EVERY, maxMismatches: 10, checkLinkCounts: true };
  const report = await runDifferential(reference, model, opts);
  reportTo(t, report, opts);
});

t.test('kernel overlayfs vs union-core', (t) => againstKernel(t, { async: false, ops: OPS }));

// An async union answers before syncing; what it answers must not differ.
t.test('kernel overlayfs vs an async union-core', (t) => againstKernel(t, { async: true, ops: Math.ceil(OPS / 4) }));

async function againstKernel(t: Test, { async, ops }: { async: boolean; ops: number }): Promise<void> {
  const open = await loadUnionOpener();
  if (!open) {
    t.comment('SKIP: union-core/index.js is not built yet');
    return;
  }
  const reference = await kernelSide(t, 'ref');
  const side = await makeSide(t, 'union');
  const union = new UnionPathFs('union-core', await open({ lowers: side.lowers, upper: side.upper, work: side.work, async }));
  let closed = false;
  t.teardown(async () => {
    if (!closed) await union.close();
  });
  const opts = { seed: SEED, ops, fullEvery: FULL_EVERY, maxMismatches: 25, checkLinkCounts: true };
  const report = await runDifferential(reference, union, opts);
  reportTo(t, report, opts);
  t.same(union.violations, [], 'readdir cookie contract');
  const problems = await union.union.check();
  t.same(problems, [], 'check() finds no problems after the run');
  closed = true;
  await union.close();
}
