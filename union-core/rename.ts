/**
 * Rename rule: files and directories, across layers, replacing targets as POSIX says; never EXDEV.
 *
 * - A lower file (or symlink, device placeholder) is copied up first; then the upper object moves.
 * - A lower or merged directory moves in O(1): it gets an empty upper directory if it has none,
 *   and a *redirect* — the lower path its lower content lives at — before its upper directory is
 *   renamed. Its entries are rows keyed by its fileid, so nothing below it moves or is copied.
 * - An indexed file (lower hard links copied up) has no upper name of its own: only rows move.
 * - The replaced target goes away exactly as in unlink/rmdir (whiteout.ts), in the same commit.
 *
 *   layer 1: /a/f        rename /a -> /b   upper: /b (empty dir)   store: b -> A, A.redirect="a"
 *   lookup /b/f  ->  row? no; lower dirs of A = <lower>/a  ->  finds f, fileid unchanged
 */

import { join } from 'node:path';
import type { UnionContext } from './context.js';
import { discard } from './upper-fs.js';
import { clearPathCaches } from './context.js';
import type { Caller } from './types.js';
import { checkName } from './names.js';
import { dirNode, nodeOf, parentOf, upperPath, lowerRel, lowerDirs } from './namespace.js';
import { getAttr, requirePerm, requireRemovable } from './attrs.js';
import { completeDir } from './readdir.js';
import { copyUp, ensureUpperDir } from './copy-up.js';
import { addEntry } from './lookup.js';
import { dropName } from './whiteout.js';
import { clearUntracked } from './create.js';
import { commitAndApply, type RenameStep } from './journal.js';
import { fail } from './errors.js';
import { ROOT_ID } from './store.js';

/** True if `dirId` is `ancestor` or lies below it. */
function isWithin(ctx: UnionContext, dirId: bigint, ancestor: bigint): boolean {
  for (let d = dirId; ; d = parentOf(ctx, d)) {
    if (d === ancestor) return true;
    if (d === ROOT_ID) return false;
  }
}

export async function renameRule(
  ctx: UnionContext,
  fromDir: bigint,
  fromName: string,
  toDir: bigint,
  toName: string,
  caller: Caller,
): Promise<void> {
  for (const n of [fromName, toName]) if (n === '.' || n === '..') fail('EINVAL', 'cannot rename . or ..');
  checkName(fromName);
  checkName(toName, { creating: true });
  const fromAttr = await getAttr(ctx, dirNode(ctx, fromDir));
  const toAttr = await getAttr(ctx, dirNode(ctx, toDir));
  requirePerm(toAttr, caller, 3);
  await completeDir(ctx, fromDir);
  await completeDir(ctx, toDir);

  await ctx.locks.with([`name:${fromDir}/${fromName}`, `name:${toDir}/${toName}`], async () => {
    const srcRow = ctx.store.getEntry(fromDir, fromName);
    if (!srcRow) fail('ENOENT');
    const src = nodeOf(ctx, srcRow.id);
    requireRemovable(fromAttr, await getAttr(ctx, src), caller);
    if (src.kind === 'dir' && isWithin(ctx, toDir, src.id)) fail('EINVAL', 'directory into its own subtree');
    const dstRow = ctx.store.getEntry(toDir, toName);
    if (dstRow?.id === src.id) return; // two names of one file: POSIX says do nothing
    const dst = dstRow ? nodeOf(ctx, dstRow.id) : undefined;
    const dstAttr = dst ? await getAttr(ctx, dst).catch(() => undefined) : undefined;
    if (dst) {
      // Linux refuses a target that is an ancestor of the source before any type check.
      if (dst.kind === 'dir' && isWithin(ctx, fromDir, dst.id)) fail('ENOTEMPTY');
      if (src.kind === 'dir' && dst.kind !== 'dir') fail('ENOTDIR');
      if (src.kind !== 'dir' && dst.kind === 'dir') fail('EISDIR');
      if (dst.kind === 'dir') {
        await completeDir(ctx, dst.id);
        if (ctx.store.countEntries(dst.id) > 0) fail('ENOTEMPTY');
      }
      requireRemovable(toAttr, dstAttr ?? toAttr, caller);
    }

    // Bring the source to the upper (or the index) and compute where its lower content lives.
    let redirect: string | null = null;
    if (src.kind === 'dir') {
      const hasLower = !src.opaque && (await lowerDirs(ctx, src.id)).length > 0;
      if (hasLower && src.redirect === null) redirect = lowerRel(ctx, src.id);
      await ensureUpperDir(ctx, src.id);
    } else {
      await copyUp(ctx, src.id);
    }
    await ensureUpperDir(ctx, toDir);

    const fromPath = join(upperPath(ctx, fromDir), fromName);
    const toPath = join(upperPath(ctx, toDir), toName);
    const moved = nodeOf(ctx, src.id);
    let aside: RenameStep[] = [];
    await commitAndApply(ctx, () => {
      const again = ctx.store.getEntry(fromDir, fromName);
      if (!again || again.id !== src.id) fail('ENOENT');
      const renames: RenameStep[] = [];
      const target = ctx.store.getEntry(toDir, toName);
      aside = target ? dropName(ctx, toDir, toName, nodeOf(ctx, target.id), dstAttr, toPath) : clearUntracked(ctx, toPath);
      renames.push(...aside);
      ctx.store.deleteEntry(fromDir, fromName);
      addEntry(ctx, toDir, toName, src.id);
      if (redirect !== null) ctx.store.putNode({ ...nodeOf(ctx, src.id), redirect });
      if (!moved.indexed) renames.push({ from: fromPath, to: toPath });
      return { renames };
    });
    clearPathCaches(ctx);
    await Promise.all(aside.map((s) => discard(s.to)));
  });
}
