/**
 * Layers and server configuration for the real-client (guest) tests, plus a digest of a directory
 * tree so a test can prove a lower layer was not touched: contents, types, modes, owners, link
 * counts, mtime and ctime all go into it (ctime catches a hard link made on the lower, or a chmod).
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Layers {
  /** Temporary directory holding everything below. */
  root: string;
  /** Lower directories, highest first. */
  lowers: string[];
  upper: string;
  work: string;
}

/** Fresh temporary lower(s), upper and work directories. */
export async function makeLayers(options: { lowers?: number; prefix?: string } = {}): Promise<Layers> {
  const root = await mkdtemp(join(tmpdir(), options.prefix ?? 'fallthru-guest-layers-'));
  const lowers = Array.from({ length: options.lowers ?? 1 }, (_, i) => join(root, `lower${i}`));
  const upper = join(root, 'upper');
  const work = join(root, 'work');
  await Promise.all([...lowers, upper, work].map((dir) => mkdir(dir)));
  return { root, lowers, upper, work };
}

export async function removeLayers(layers: Layers): Promise<void> {
  await rm(layers.root, { recursive: true, force: true });
}

export { exportOf, serverConfigOf } from '../../lib/server-config.js';

/** md5 of a file, hex (the guest's md5sum prints the same). */
export function md5File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('md5');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * One line per object under `dir` (sorted by path): type, mode, owner, link count, size, mtime,
 * ctime, and the content digest or link target. Compare two snapshots with t.same to see exactly
 * which object changed. atime is left out: reading the tree to digest it would change it.
 */
export async function treeSnapshot(dir: string): Promise<string[]> {
  const lines: string[] = [];
  async function walk(rel: string): Promise<void> {
    const path = rel === '' ? dir : join(dir, rel);
    const st = await lstat(path, { bigint: true });
    const type = st.isDirectory() ? 'd' : st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : 'o';
    let content = '';
    if (st.isFile()) content = await md5File(path);
    else if (st.isSymbolicLink()) content = `-> ${await readlink(path)}`;
    lines.push(
      `${rel || '.'} ${type} ${(st.mode & 0o7777n).toString(8)} ${st.uid}:${st.gid} n${st.nlink} s${st.size} m${st.mtimeNs} c${st.ctimeNs} ${content}`,
    );
    if (st.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await walk(rel === '' ? name : `${rel}/${name}`);
    }
  }
  await walk('');
  return lines;
}
