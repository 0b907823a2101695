/**
 * Lower hard links: the union's link count of an object still on a lower layer.
 *
 * A lower inode's st_nlink counts every name it has on its file system: names shadowed by a higher
 * layer, hidden by a whiteout or an opaque directory, and names outside the layer's root. A client
 * must be told the names it can reach (NFS clients, `find -links`, tar and `rsync -H` compare
 * nlink with the names they see). So at the union's first open every lower layer is walked once,
 * and each inode with st_nlink > 1 gets one row per name under that layer's root, marked visible
 * when the union's initial view resolves that path to that inode. The visible names are the exact
 * base; from then on the node row's explicit count follows the union's own changes: whiteout.ts
 * lowers it, copy-up.ts carries it to the index, create.ts raises it.
 *
 *   layer 0: /x (file), /e/.wh.z         layer 1: /x, /d/y, /e/z  (one inode, st_nlink 3)
 *   rows: (1, ino, "x",   hidden: layer 0's /x shadows it)
 *         (1, ino, "d/y", visible)
 *         (1, ino, "e/z", hidden: whiteout)
 *   getattr /d/y -> nlink 1                  (kernel overlayfs answers 3)
 *
 * Kernel overlayfs reports the lower inode's st_nlink; the differential test documents that
 * difference and checks union-core against the visible names instead.
 */

import { lstatSync, opendirSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { UnionContext } from './context.js';
import type { LowerLinkRow, NodeRow } from './store.js';
import { findInLowers, lowerDirsAt, lstatOrNull } from './namespace.js';
import { isWhiteoutDevice } from './identity.js';
import { isWhiteoutName } from './names.js';

/** meta key set once the index is complete (it is built in one transaction). */
const BUILT_KEY = 'lower_links';

/**
 * The union's link count of a non-directory: the node's explicit count once the union changed
 * it, the real count of an upper or indexed file, else the lower inode's visible names.
 */
export function linkCount(ctx: UnionContext, node: NodeRow, st: Pick<BigIntStats, 'nlink' | 'ino'>): number {
  if (node.nlink !== null) return node.nlink;
  if (node.upper || node.indexed || node.layer === null || st.nlink <= 1n) return Number(st.nlink);
  // Not in the index: the lower gained a link after the first open; the name at hand is one.
  return Math.max(1, ctx.store.visibleLowerLinks(node.layer, st.ino) ?? 1);
}

/** Names between two progress lines of a long walk. */
const PROGRESS_EVERY = 100_000;

/**
 * Every name of every inode with several links under one layer root, by inode number.
 *
 * Synchronous on purpose: the walk runs once, before the union answers anything, and stats every
 * lower file. A synchronous lstat costs ~4.5 µs; through promises it was ~14 µs of main-thread
 * time, and reading a whole directory's names first held a million-entry layer in memory (17 s and
 * 300 MiB at the first open of two 600,000-file lowers). Directories are streamed (opendir) and
 * only inodes with several links are kept.
 */
function walkLayer(root: string, progress: (names: number) => void): Map<bigint, string[]> {
  const groups = new Map<bigint, string[]>();
  const queue: string[] = [''];
  let seen = 0;
  for (let rel = queue.pop(); rel !== undefined; rel = queue.pop()) {
    const dir = rel === '' ? root : join(root, rel);
    const handle = opendirSync(dir, { bufferSize: 1024 });
    try {
      for (let d = handle.readSync(); d !== null; d = handle.readSync()) {
        if (isWhiteoutName(d.name)) continue;
        const child = rel === '' ? d.name : `${rel}/${d.name}`;
        if (++seen % PROGRESS_EVERY === 0) progress(seen);
        if (d.isDirectory()) {
          queue.push(child);
          continue;
        }
        const st = lstatSync(join(dir, d.name), { bigint: true, throwIfNoEntry: false });
        // overlayfs whiteouts may share one inode: they are not content.
        if (st === undefined || st.nlink <= 1n || isWhiteoutDevice(st)) continue;
        const names = groups.get(st.ino);
        if (names) names.push(child);
        else groups.set(st.ino, [child]);
      }
    } finally {
      handle.closeSync();
    }
  }
  return groups;
}

/** True if content on the upper (adopted at first listing, see readdir.ts) hides `rel`. */
async function upperHides(ctx: UnionContext, rel: string): Promise<boolean> {
  const parts = rel.split('/');
  let path = ctx.layers.upper;
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    const st = await lstatOrNull(path);
    if (st === null) return false;
    if (i === parts.length - 1 || !st.isDirectory()) return true;
  }
  return false;
}

/** Does the union's initial view show lower path `rel` as inode `ino` of `layer`? */
async function initiallyVisible(ctx: UnionContext, layer: number, ino: bigint, rel: string): Promise<boolean> {
  if (await upperHides(ctx, rel)) return false;
  const slash = rel.lastIndexOf('/');
  const found = await findInLowers(await lowerDirsAt(ctx, slash < 0 ? '' : rel.slice(0, slash)), rel.slice(slash + 1));
  return found !== null && found.layer === layer && found.st.ino === ino;
}

/**
 * Build the index once, at the first open (and at the first open of a store from before it
 * existed: counts that store had already made explicit keep their value). Built in one
 * transaction: a crash while walking leaves nothing, and the next open starts over.
 */
export async function ensureLowerLinkIndex(ctx: UnionContext): Promise<void> {
  if (ctx.store.getMeta(BUILT_KEY) !== undefined) return;
  const rows: LowerLinkRow[] = [];
  for (const [layer, root] of ctx.layers.lowers.entries()) {
    const progress = (names: number) => ctx.log('info', 'indexing lower hard links', { layer, names });
    for (const [ino, paths] of walkLayer(root, progress)) {
      for (const path of paths) rows.push({ layer, ino, path, visible: await initiallyVisible(ctx, layer, ino, path) });
    }
  }
  ctx.store.transaction(() => {
    for (const row of rows) ctx.store.putLowerLink(row);
    ctx.store.setMeta(BUILT_KEY, 'built');
  });
  await ctx.store.durable();
  if (rows.length > 0) ctx.log('info', 'indexed lower hard links', { names: rows.length });
}
