/**
 * What a side shows at a path, gathered through FsUnderTest only: attributes, and the payload
 * that matters for the type (file content, symlink target, sorted directory listing).
 */
import { createHash } from 'node:crypto';
import { type Errno, type FsUnderTest, type ObjStat, joinPath } from './fs-under-test.js';

export interface Observed {
  stat: ObjStat;
  /** sha1 of the content, for files. */
  hash?: string;
  /** The content itself, for files, when asked for (the crash test's model needs it). */
  content?: Buffer;
  /** For symlinks. */
  target?: string;
  /** For directories: names as listed, sorted; duplicates kept so they show up as a difference. */
  names?: string[];
  /** A payload call that failed although stat said the object exists. */
  payloadError?: string;
}

export type Observation = Observed | { errno: Errno };

/** Path -> what the side shows there. */
export type Snapshot = Map<string, Observation>;

export function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

export async function observe(fs: FsUnderTest, path: string, keepContent = false): Promise<Observation> {
  const st = await fs.stat(path);
  if (!st.ok) return { errno: st.errno };
  const out: Observed = { stat: st.value };
  if (st.value.type === 'file') {
    const data = await fs.readFile(path);
    if (data.ok) {
      out.hash = sha1(data.value);
      if (keepContent) out.content = data.value;
    } else out.payloadError = `readFile: ${data.errno}`;
  } else if (st.value.type === 'symlink') {
    const target = await fs.readlink(path);
    if (target.ok) out.target = target.value;
    else out.payloadError = `readlink: ${target.errno}`;
  } else if (st.value.type === 'dir') {
    const names = await fs.readdir(path);
    if (names.ok) out.names = [...names.value].sort();
    else out.payloadError = `readdir: ${names.errno}`;
  }
  return out;
}

/** The whole visible tree from `root`, parents before children. */
export async function snapshotTree(fs: FsUnderTest, keepContent = false, root = ''): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  const queue = [root];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const o = await observe(fs, path, keepContent);
    snap.set(path, o);
    if ('stat' in o && o.names) {
      // A duplicated name is walked once; the duplicate itself is visible in `names`.
      for (const name of new Set(o.names)) queue.push(joinPath(path, name));
    }
  }
  return snap;
}

/** Sets of names of one object (hard links), as sorted path lists keyed by each member path. */
export function linkGroups(snap: Snapshot): Map<string, string> {
  const byIdentity = new Map<string, string[]>();
  for (const [path, o] of snap) {
    if (!('stat' in o) || o.stat.type === 'dir') continue;
    const list = byIdentity.get(o.stat.identity) ?? [];
    list.push(path);
    byIdentity.set(o.stat.identity, list);
  }
  const groupOf = new Map<string, string>();
  for (const paths of byIdentity.values()) {
    const key = paths.sort().join(' = ');
    for (const p of paths) groupOf.set(p, key);
  }
  return groupOf;
}
