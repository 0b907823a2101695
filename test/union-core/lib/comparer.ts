/**
 * Compares what two sides show. Which fields count, and why the others do not, is the table at
 * the top of test/union-core/differential.test.ts; this file is its implementation.
 */
import type { FsResult } from './fs-under-test.js';
import { type Observation, type Snapshot, linkGroups, sha1 } from './snapshot.js';

export interface Difference {
  path: string;
  field: string;
  expected: unknown;
  got: unknown;
}

export function formatDifference(d: Difference): string {
  return `${d.path || '/'}: ${d.field}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.got)}`;
}

/**
 * The fields compared across sides; identity, times, nlink and dir size are left out (nlink of
 * non-dirs is checked against the visible names instead: see `linkCountDifference`).
 */
function comparable(o: Observation): Record<string, unknown> {
  if (!('stat' in o)) return { errno: o.errno };
  const { stat } = o;
  const isDir = stat.type === 'dir';
  return {
    type: stat.type,
    mode: `0${stat.mode.toString(8)}`,
    uid: stat.uid,
    gid: stat.gid,
    size: isDir ? undefined : stat.size,
    hash: o.hash,
    target: o.target,
    names: o.names?.join('/'),
    payloadError: o.payloadError,
  };
}

export function compareObservation(path: string, expected: Observation, got: Observation): Difference[] {
  const a = comparable(expected);
  const b = comparable(got);
  const diffs: Difference[] = [];
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[field] !== b[field]) diffs.push({ path, field, expected: a[field], got: b[field] });
  }
  if ('stat' in got && got.names) {
    const dup = got.names.find((n, i) => got.names![i - 1] === n);
    if (dup !== undefined) diffs.push({ path, field: 'duplicate name', expected: 'none', got: dup });
  }
  return diffs;
}

/**
 * nlink of a non-directory must be its number of visible names. `expected` comes from the model
 * (per step) or from the size of the object's hard-link group in a whole-tree snapshot.
 */
export function linkCountDifference(path: string, expected: number, got: Observation): Difference | undefined {
  if (!('stat' in got) || got.stat.type === 'dir' || got.stat.nlink === expected) return undefined;
  return { path, field: 'nlink (visible names)', expected, got: got.stat.nlink };
}

/** Every non-directory's nlink against the names the snapshot shows for it. */
export function linkCountDifferences(snap: Snapshot): Difference[] {
  const diffs: Difference[] = [];
  for (const [path, group] of linkGroups(snap)) {
    const d = linkCountDifference(path, group.split(' = ').length, snap.get(path)!);
    if (d) diffs.push(d);
  }
  return diffs;
}

/** Whole trees: the same paths, each showing the same, and the same names grouped as one object. */
export function compareSnapshots(expected: Snapshot, got: Snapshot): Difference[] {
  const diffs: Difference[] = [];
  for (const [path, o] of expected) {
    const g = got.get(path);
    if (g === undefined) diffs.push({ path, field: 'presence', expected: 'present', got: 'missing' });
    else diffs.push(...compareObservation(path, o, g));
  }
  for (const path of got.keys()) {
    if (!expected.has(path)) diffs.push({ path, field: 'presence', expected: 'absent', got: 'present' });
  }
  const groupsA = linkGroups(expected);
  const groupsB = linkGroups(got);
  for (const [path, group] of groupsA) {
    const other = groupsB.get(path);
    if (other !== undefined && other !== group) diffs.push({ path, field: 'hard-link group', expected: group, got: other });
  }
  return diffs;
}

/** The outcome of one operation: the errno, and for reads the value (content as a hash). */
export function describeResult(r: FsResult<unknown>): string {
  if (!r.ok) return r.errno;
  const v = r.value;
  if (v === undefined) return 'ok';
  if (Buffer.isBuffer(v)) return `ok sha1=${sha1(v)} len=${v.length}`;
  if (Array.isArray(v)) return `ok [${[...v].sort().join(',')}]`;
  if (typeof v === 'object') {
    const c = comparable({ stat: v as never });
    return `ok ${JSON.stringify(c)}`;
  }
  return `ok ${JSON.stringify(v)}`;
}
