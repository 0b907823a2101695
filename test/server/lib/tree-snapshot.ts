/**
 * What a refused call must not change: every entry under a directory with its type, mode, owner,
 * size, link target and content hash. The union's store (store.db and its WAL) is left out: reads
 * may legitimately record a lower directory's listing there; what a refusal must not do shows in
 * the upper, in work/tmp and work/index, and through the server itself.
 */

import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

const STORE_FILE = /^store\.db(-wal|-shm|-journal)?$/;

export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      if (dir === root && STORE_FILE.test(name)) continue;
      const path = join(dir, name);
      const st = await lstat(path);
      const owner = `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
      const key = relative(root, path);
      if (st.isDirectory()) {
        out[key] = `dir ${owner}`;
        await walk(path);
      } else if (st.isSymbolicLink()) {
        out[key] = `symlink ${owner} -> ${await readlink(path)}`;
      } else if (st.isFile()) {
        out[key] = `file ${owner} ${st.size} ${createHash('sha256').update(await readFile(path)).digest('hex')}`;
      } else {
        out[key] = `special ${owner} ${st.mode}`;
      }
    }
  }
  await walk(root);
  return out;
}

/** Snapshot of several trees at once (e.g. an export's upper and work directories). */
export async function snapshotTrees(roots: string[]): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const r of roots) out[r] = await snapshotTree(r);
  return out;
}
