/**
 * Copy-up rule: make the upper copy of a lower object before it changes.
 *
 * - Directories: an empty upper directory with the lower one's mode, owner and times; its lower
 *   entries keep falling through (rows), nothing below is copied.
 * - Regular files: data copied with `fs.copyFile` (reflink/copy_file_range where the platform
 *   offers them) into work/tmp, fsynced, then renamed into place through the journal. A truncate
 *   to zero copies no data at all.
 * - A file with several visible lower names (lower-links.ts) goes to work/index/<fileid> instead of
 *   one name's place: every name (a row pointing at the same id) then sees the new data, and link
 *   counts stay the union's (overlayfs breaks such links unless index=on). Names of its inode that
 *   the union hides never come back, so a file with one visible name is copied up in place.
 * - Symlinks are recreated; device nodes, FIFOs and sockets become empty placeholder files whose
 *   type and device number the store keeps.
 * - Metadata-only changes (chmod, chown, utimes) never come here: they are overrides in the
 *   store (setattr.ts), so chmod of a 1 GiB lower file copies nothing.
 */

import { copyFile, readlink, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnionContext } from './context.js';
import { fsyncPath, makeDir, makeEmptyFile, makeSymlink, setOwnership, lchownPath, lutimesPath, type NewOwnership } from './upper-fs.js';
import { clearPathCaches } from './context.js';
import { nodeOf, parentOf, backingPath, upperPath, lstatOrNull } from './namespace.js';
import { commitAndApply, tmpPath } from './journal.js';
import { fail } from './errors.js';
import { nsToTimespec, packRdev, splitDev } from './attrs.js';
import { ROOT_ID, type NodeRow } from './store.js';
import type { BigIntStats } from 'node:fs';
import { linkCount } from './lower-links.js';

function toDate(ns: bigint): Date {
  const t = nsToTimespec(ns);
  return new Date(t.sec * 1000 + Math.floor(t.nsec / 1e6));
}

/** The upper copy's owner (when the server may set it) and mode: the overrides, else the lower's. */
function ownershipOf(ctx: UnionContext, node: NodeRow, st: BigIntStats): NewOwnership {
  const mode = node.mode ?? Number(st.mode & 0o7777n);
  return ctx.privileged ? { uid: node.uid ?? Number(st.uid), gid: node.gid ?? Number(st.gid), mode } : { mode };
}

/** Make directory `id` (and its ancestors) exist on the upper. */
export async function ensureUpperDir(ctx: UnionContext, id: bigint): Promise<void> {
  // Already upper — but maybe only committed, with the copy still being renamed into place by the
  // holder of the lock: wait for it, or a new entry would be renamed into a missing directory.
  if (nodeOf(ctx, id).upper) return ctx.locks.settled(`id:${id}`);
  if (id !== ROOT_ID) await ensureUpperDir(ctx, parentOf(ctx, id));
  await ctx.locks.with([`id:${id}`], async () => {
    const node = nodeOf(ctx, id);
    if (node.upper) return;
    const st = await lstatOrNull(backingPath(ctx, node));
    if (!st) fail('EIO', 'lower directory vanished');
    const tmp = tmpPath(ctx, `dir-${id}`);
    makeDir(tmp, ownershipOf(ctx, node, st));
    lutimesPath(tmp, toDate(node.atime ?? st.atimeNs), toDate(node.mtime ?? st.mtimeNs));
    await fsyncPath(tmp);
    await commitAndApply(ctx, () => {
      const n = nodeOf(ctx, id);
      ctx.store.putNode({
        ...n,
        upper: true,
        mode: null,
        uid: ctx.privileged ? null : n.uid,
        gid: ctx.privileged ? null : n.gid,
        atime: null,
        mtime: null,
      });
      // The destination is computed here, from the rows at commit: the object may have been
      // removed (ESTALE, and the temporary is discarded) while it was being copied.
      return { renames: [{ from: tmp, to: upperPath(ctx, id) }] };
    }, { temporaries: [tmp] });
  });
}

/**
 * Copy a non-directory object up (no-op if it already is). With `empty`, the copy has no data
 * (the caller truncates to zero anyway).
 */
export async function copyUp(ctx: UnionContext, id: bigint, opts: { empty?: boolean } = {}): Promise<void> {
  const first = nodeOf(ctx, id);
  // As in ensureUpperDir: a copy-up committed but not yet in place is waited for, or the write
  // that follows would open a file that is not there yet.
  if (first.upper || first.indexed) return ctx.locks.settled(`id:${id}`);
  if (first.kind === 'dir') return ensureUpperDir(ctx, id);
  const st0 = await lstatOrNull(backingPath(ctx, first));
  if (!st0) fail('EIO', 'lower object vanished');
  // Several visible names: the copy goes to the index, where every name's row finds it.
  const indexed = linkCount(ctx, first, st0) > 1;
  if (!indexed) await ensureUpperDir(ctx, parentOf(ctx, id));
  await ctx.locks.with([`id:${id}`], async () => {
    const node = nodeOf(ctx, id);
    if (node.upper || node.indexed) return;
    const src = backingPath(ctx, node);
    const st = await lstatOrNull(src);
    if (!st) fail('EIO', 'lower object vanished');
    const tmp = tmpPath(ctx, `up-${id}`);
    let rdev = node.rdev;
    const own = ownershipOf(ctx, node, st);
    const isLink = node.kind === 'symlink';
    if (node.kind === 'file' && !opts.empty) {
      await copyFile(src, tmp, constants.COPYFILE_FICLONE);
      setOwnership(tmp, own);
    } else if (isLink) {
      makeSymlink(await readlink(src), tmp);
      if (own.uid !== undefined && own.gid !== undefined) lchownPath(tmp, own.uid, own.gid);
    } else {
      await makeEmptyFile(tmp, own);
      if (node.kind !== 'file') rdev ??= packRdev(splitDev(st.rdev));
    }
    lutimesPath(tmp, toDate(node.atime ?? st.atimeNs), toDate(node.mtime ?? st.mtimeNs));
    if (!isLink) await fsyncPath(tmp);
    await commitAndApply(ctx, () => {
      const n = nodeOf(ctx, id);
      ctx.store.putNode({
        ...n,
        upper: !indexed,
        indexed,
        // A single name's upper copy counts its links itself (link() adds real ones).
        nlink: indexed ? linkCount(ctx, n, st) : null,
        mode: isLink ? n.mode : null,
        uid: ctx.privileged ? null : n.uid,
        gid: ctx.privileged ? null : n.gid,
        rdev,
        atime: null,
        mtime: null,
        ctime: null,
      });
      return { renames: [{ from: tmp, to: indexed ? join(ctx.layers.indexDir, String(id)) : upperPath(ctx, id) }] };
    }, { temporaries: [tmp] });
    clearPathCaches(ctx);
  });
}
