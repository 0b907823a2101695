/**
 * Crash test of union-core: a child process runs a mixed workload against the union (see
 * lib/crash-child.ts) and is killed with SIGKILL at random points, KILLS times over the same
 * layers so the state accumulates. After every kill the union is reopened in this process and:
 *   - check() reports no problems;
 *   - every acknowledged op's effect is present (the parent replays the acknowledged ops on an
 *     in-memory model, so a later acknowledged op may supersede an earlier one), compared on the
 *     objects each op touched, and on the whole tree every FULL_EVERY kills and at the end;
 *   - the op in flight at the kill is either not applied or applied (a data write may be partly
 *     applied, byte by byte old or new), never anything else;
 *   - the namespace is consistent: listed names resolve to the listed fileid, no duplicates,
 *     nlink of non-directories equals their visible names.
 * An acknowledged errno that the model would not give (or the reverse) is reported too: then the
 * model is resynced from the union so the crash checks go on.
 *
 * Environment: FALLTHRU_SEED replays the op sequences (kill points depend on timing);
 * FALLTHRU_CRASH_KILLS (default 200), FALLTHRU_CRASH_FULL_EVERY (default 20).
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng, seedFromEnv } from './lib/prng.js';
import { generateLowerSpecs, materializeLowers } from './lib/tree-gen.js';
import { makeTempDir, mountOverlay, removeTempDir, unmountQuiet } from './lib/overlay-mount.js';
import { KernelFs } from './lib/kernel-adapter.js';
import { ModelFs } from './lib/model-fs.js';
import { snapshotTree } from './lib/snapshot.js';
import { compareSnapshots, formatDifference, linkCountDifferences } from './lib/comparer.js';
import { type CrashChildArgs, readCrashLog } from './lib/crash-log.js';
import { consistencyProblems, resolveInFlight } from './lib/crash-verify.js';
import { UnionPathFs, loadUnionOpener, type UnionOpener } from './lib/union-adapter.js';
import { applyOp, formatOp } from './lib/ops.js';

const SEED = seedFromEnv();
const KILLS = Number(process.env.FALLTHRU_CRASH_KILLS ?? 200);
const FULL_EVERY = Number(process.env.FALLTHRU_CRASH_FULL_EVERY ?? 20);
/** A child that never gets its union open is stuck, not slow: give up on it after this. */
const READY_WATCHDOG_MS = 60_000;
const MAX_FAILURES = 15;
const CHILD = fileURLToPath(new URL('./lib/crash-child.js', import.meta.url));

t.comment(`seed ${SEED} (replay the op sequences with FALLTHRU_SEED=${SEED})`);

/** Layers small enough that a whole-tree compare is cheap, shaped like the differential ones. */
const SHAPE = { baseEntries: 300, topEntries: 120, maxDepth: 4, maxFileSize: 48 * 1024 };

interface Layout {
  lowers: string[];
  upper: string;
  work: string;
  async: boolean;
}

/** The expected initial view, read from kernel overlayfs over the same lowers (and a scratch upper). */
async function initialModel(root: string, lowers: string[]): Promise<ModelFs> {
  const mountpoint = path.join(root, 'oracle-mnt');
  const upper = path.join(root, 'oracle-upper');
  await fsp.mkdir(upper);
  await fsp.chmod(upper, 0o755);
  await mountOverlay({ lowers, upper, work: path.join(root, 'oracle-work'), mountpoint });
  try {
    return ModelFs.fromSnapshot(await snapshotTree(new KernelFs('oracle', mountpoint), true));
  } finally {
    unmountQuiet(mountpoint);
  }
}

/** Run one child until the kill; resolves with its stderr if it died on its own. */
function runChildUntilKilled(args: CrashChildArgs, rng: Prng): Promise<{ selfExit?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (!killed) child.kill('SIGKILL');
      killed = true;
    };
    child.stderr.on('data', (b) => (stderr += b));
    // Mostly kill while ops run; sometimes while the union is still opening (recovery).
    const duringOpen = rng.chance(0.1);
    const delay = duringOpen ? rng.int(0, 150) : rng.int(5, 200);
    const watchdog = setTimeout(kill, READY_WATCHDOG_MS);
    if (duringOpen) setTimeout(kill, delay);
    child.stdout.on('data', (b: Buffer) => {
      if (!duringOpen && b.toString().includes('ready')) setTimeout(kill, delay);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      if (signal === 'SIGKILL' && killed) resolve({});
      else resolve({ selfExit: `exit code ${code} signal ${signal}: ${stderr.slice(-2000)}` });
    });
  });
}

t.test('SIGKILL at random points leaves union-core consistent and acknowledged ops durable', (t) => crashRun(t, { async: false, kills: KILLS }));

// An async union answers before it syncs, but after it committed: a process kill (the page cache
// survives it) must still lose no acknowledged op, and the crash bookkeeping must hold.
t.test('the same for an async union (answers before syncing)', (t) => crashRun(t, { async: true, kills: Math.ceil(KILLS / 4) }));

async function crashRun(t: Test, { async, kills: KILLS }: { async: boolean; kills: number }): Promise<void> {
  const open = await loadUnionOpener();
  if (!open) {
    t.comment('SKIP: union-core/index.js is not built yet');
    return;
  }
  const root = await makeTempDir('crash');
  t.teardown(() => removeTempDir(root, [path.join(root, 'oracle-mnt')]));
  const rng = new Prng(SEED);
  const lowers = await materializeLowers(generateLowerSpecs(rng.fork('tree'), SHAPE), root);
  const layout: Layout = { lowers, upper: path.join(root, 'upper'), work: path.join(root, 'work'), async };
  for (const dir of [layout.upper, layout.work]) {
    await fsp.mkdir(dir);
    await fsp.chmod(dir, 0o755);
  }
  let model = await initialModel(root, lowers);

  let failures = 0;
  const failure = (msg: string) => {
    failures++;
    t.fail(msg, { diagnostic: false });
  };
  const withUnion = async <T>(fn: (u: UnionPathFs) => Promise<T>): Promise<T> => {
    const u = new UnionPathFs('union-core', await (open as UnionOpener)(layout));
    try {
      return await fn(u);
    } finally {
      await u.union.close();
    }
  };
  // A persistent engine bug shows on every later check: report each problem line once.
  const reported = new Set<string>();
  /** Take the union's state as the new expectation; a union too broken to walk ends the run. */
  const resync = async (u: UnionPathFs) => {
    try {
      model = ModelFs.fromSnapshot(await snapshotTree(u, true));
    } catch (err) {
      failure(`seed=${SEED}: cannot read the union back to go on: ${(err as Error).message}`);
      failures = MAX_FAILURES;
    }
  };
  const failOnNew = (headline: string, lines: string[]) => {
    const fresh = lines.filter((l) => !reported.has(l));
    for (const l of lines) reported.add(l);
    if (fresh.length === 0) return;
    failure(headline);
    for (const l of fresh.slice(0, 20)) t.comment(`  ${l}`);
  };
  const fullCompare = async (u: UnionPathFs, when: string) => {
    const got = await snapshotTree(u);
    const diffs = [...compareSnapshots(await snapshotTree(model, true), got), ...linkCountDifferences(got)];
    if (diffs.length > 0) {
      failOnNew(`${when}: whole tree differs from the acknowledged ops`, diffs.map(formatDifference));
      await resync(u);
    }
  };

  await withUnion((u) => fullCompare(u, `seed=${SEED} before any crash`));
  const outcomes = new Map<string, number>();
  let ackedTotal = 0;
  let errnoDisagreements = 0;
  for (let kill = 0; kill < KILLS && failures < MAX_FAILURES; kill++) {
    const statePath = path.join(root, 'state.json');
    await fsp.writeFile(statePath, JSON.stringify([...(await snapshotTree(model))]));
    const args: CrashChildArgs = { ...layout, statePath, logPath: path.join(root, `ack-${kill}.log`), seed: rng.fork(`child${kill}`).seed, maxOps: 1_000_000 };
    const where = `seed=${SEED} kill=${kill}`;
    const { selfExit } = await runChildUntilKilled(args, rng);
    if (selfExit) failure(`${where}: child died on its own: ${selfExit}`);

    const log = readCrashLog(args.logPath);
    ackedTotal += log.acked.length;
    await withUnion(async (u) => {
      const problems = await u.union.check();
      if (problems.length > 0) failure(`${where}: check() after restart: ${JSON.stringify(problems.slice(0, 10))}`);
      for (const [i, { op, result }] of log.acked.entries()) {
        const modelResult = await applyOp(model, op);
        const expected = modelResult.ok ? 'ok' : modelResult.errno;
        if (expected === result) continue;
        // Both refused: which errno is the differential test's business, not a crash matter.
        const message = `${where} ack#${i}: ${formatOp(op)} answered ${result}, model expects ${expected}`;
        if (expected !== 'ok' && result !== 'ok') {
          errnoDisagreements++;
          if (errnoDisagreements <= 5) t.comment(`errno disagreement (not a crash issue): ${message}`);
          continue;
        }
        failure(message);
        await resync(u);
        return;
      }
      if (log.inFlight) {
        const outcome = await resolveInFlight(model, u, log.inFlight);
        const key = typeof outcome === 'string' ? outcome : 'neither';
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (typeof outcome !== 'string') {
          failure(`${where}: in-flight ${formatOp(log.inFlight)} left a state that is neither before nor after it`);
          for (const d of outcome.neither.slice(0, 20)) t.comment(`  ${d}`);
        }
        if (outcome !== 'not applied' && outcome !== 'applied') await resync(u);
      }
      const inconsistent = await consistencyProblems(u);
      if (inconsistent.length > 0) failOnNew(`${where}: namespace inconsistent after restart`, inconsistent);
      if ((kill + 1) % FULL_EVERY === 0 || kill === KILLS - 1) await fullCompare(u, `${where} (whole tree)`);
    });
  }
  t.comment(`acknowledged ops: ${ackedTotal} (${errnoDisagreements} refused with another errno than the model's); in-flight outcomes: ${[...outcomes].map(([k, n]) => `${k}:${n}`).join(' ')}`);
  if (failures === 0) t.pass(`${KILLS} kills, no lost acknowledged op, no inconsistency`);
}
