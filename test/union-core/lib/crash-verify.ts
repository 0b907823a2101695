/**
 * The parent's checks after each kill of the crash workload:
 *   - the in-flight op left its touched objects as before it, or as after it (a data write may
 *     also be partly done: every byte old or new; a create-then-write may stop after the create);
 *   - the namespace is self-consistent: every listed name resolves via lookup to the fileid the
 *     listing gave, no name is listed twice, nlink of a non-dir equals its visible names.
 */
import type { FsUnderTest } from './fs-under-test.js';
import type { ModelFs } from './model-fs.js';
import { type Op, applyOp, touchedPaths, writeData } from './ops.js';
import { type Observation, observe } from './snapshot.js';
import { compareObservation, linkCountDifference, formatDifference } from './comparer.js';
import { ROOT, type UnionPathFs } from './union-adapter.js';
import { joinPath } from './fs-under-test.js';

/** Differences between what the model says and what `fs` shows at `paths` (nlink included). */
async function differencesAt(model: ModelFs, fs: FsUnderTest, paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const expected = await observe(model, p);
    const got = await observe(fs, p);
    for (const d of compareObservation(p, expected, got)) out.push(formatDifference(d));
    if ('stat' in expected) {
      const d = linkCountDifference(p, expected.stat.nlink, got);
      if (d) out.push(formatDifference(d));
    }
  }
  return out;
}

export type InFlightOutcome = 'not applied' | 'applied' | 'partly applied write';

/**
 * Decide how far the in-flight op got, advancing `model` to "applied" when it did. Returns the
 * outcome, or the differences against both states when it is neither (the model is then left
 * "applied"; the caller resyncs it).
 */
export async function resolveInFlight(model: ModelFs, fs: FsUnderTest, op: Op): Promise<InFlightOutcome | { neither: string[] }> {
  const paths = touchedPaths(op);
  const againstBefore = await differencesAt(model, fs, paths);
  if (againstBefore.length === 0) return 'not applied';
  const beforeFile = op.op === 'write' ? await observe(model, op.path, true) : undefined;
  await applyOp(model, op);
  const againstAfter = await differencesAt(model, fs, paths);
  if (againstAfter.length === 0) return 'applied';
  if (op.op === 'write' && beforeFile && (await isPartialWrite(op, beforeFile, fs))) return 'partly applied write';
  return { neither: [...againstBefore.map((d) => `vs before: ${d}`), ...againstAfter.map((d) => `vs after: ${d}`)] };
}

/** The file holds, at every byte, the old or the new data, and is no longer than after the write. */
async function isPartialWrite(op: Extract<Op, { op: 'write' }>, before: Observation, fs: FsUnderTest): Promise<boolean> {
  const got = await fs.readFile(op.path);
  if (!got.ok) return false;
  const old = 'stat' in before ? before.content ?? Buffer.alloc(0) : Buffer.alloc(0);
  const data = writeData(op);
  const end = Math.max(old.length, op.offset + data.length);
  if (got.value.length < old.length || got.value.length > end) return false;
  for (let i = 0; i < got.value.length; i++) {
    const inWrite = i >= op.offset && i < op.offset + data.length;
    const oldByte = i < old.length ? old[i] : 0;
    if (got.value[i] !== oldByte && !(inWrite && got.value[i] === data[i - op.offset])) return false;
  }
  return true;
}

/** Namespace invariants over the whole union, through the engine's own listing and lookup. */
export async function consistencyProblems(fs: UnionPathFs): Promise<string[]> {
  const problems: string[] = [];
  const names = new Map<bigint, { nlink: number; paths: string[] }>();
  const queue: [string, bigint][] = [['', fs.union.rootId]];
  while (queue.length > 0) {
    const [dirPath, dirId] = queue.shift()!;
    const seen = new Set<string>();
    for (const entry of await fs.listAll(dirId, dirPath || '/')) {
      const p = joinPath(dirPath, entry.name);
      if (seen.has(entry.name)) problems.push(`${p}: listed twice`);
      seen.add(entry.name);
      let found;
      try {
        found = await fs.union.lookup(dirId, entry.name, ROOT);
      } catch (err) {
        problems.push(`${p}: listed but lookup fails: ${(err as Error).message}`);
        continue;
      }
      if (found.fileid !== entry.fileid) problems.push(`${p}: readdir fileid ${entry.fileid} but lookup ${found.fileid}`);
      if (found.attr.type === 'dir') queue.push([p, found.fileid]);
      else {
        const n = names.get(found.fileid) ?? { nlink: found.attr.nlink, paths: [] };
        n.paths.push(p);
        names.set(found.fileid, n);
      }
    }
  }
  for (const { nlink, paths } of names.values()) {
    if (nlink !== paths.length) problems.push(`${paths.join(', ')}: nlink ${nlink} but ${paths.length} visible names`);
  }
  return problems.concat(fs.violations.splice(0));
}
