/**
 * Whiteout rule: removing names (unlink, rmdir, and the target replaced by a rename).
 *
 * The directory is completed first, so its rows are the whole listing; removing a name is then
 * removing its row — that absence *is* the whiteout, whatever layers hold the name below. Once
 * the row's removal is durable, an upper file's name is unlinked and an upper directory moved
 * into work/tmp and deleted (through the journal, so a crash finishes the job). A directory created later under the same name is new and opaque (create.ts), so the
 * old lower entries stay hidden.
 *
 * Link counts: an upper object lives while any row names it; a lower or indexed one while its
 * count (lower-links.ts) is above zero. A removal makes the count explicit in the node row.
 */

import { join } from 'node:path';
import type { UnionContext } from './context.js';
import { discard } from './upper-fs.js';
import { clearPathCaches, forgetPathsOf } from './context.js';
import type { Attr, Caller } from './types.js';
import type { NodeRow } from './store.js';
import { checkName } from './names.js';
import { dirNode, nodeOf, upperPath } from './namespace.js';
import { getAttr, requireRemovable, stickyRuleApplies } from './attrs.js';
import { completeDir } from './readdir.js';
import { commitAndApply, tmpPath, type RenameStep } from './journal.js';
import { fail } from './errors.js';

/** Attributes of a victim, tolerating a vanished lower object (it may still be removed). */
async function victimAttr(ctx: UnionContext, node: NodeRow): Promise<Attr | undefined> {
  try {
    return await getAttr(ctx, node);
  } catch {
    return undefined;
  }
}

/**
 * Inside a transaction: drop the row (dir, name) -> victim and whatever the victim's lifetime
 * needs. Returns the renames that move upper data aside into work/tmp. `upperName` is the
 * victim's upper path under this name (computed before any row changed). With `unlinks`, an upper
 * file's name goes there instead, to be unlinked where it is (a removal: moving it to work/tmp
 * first, a rename that locks work/tmp too, buys nothing once the rows no longer name it; a rename
 * over the name needs the move, see journal.ts firstUnapplied). Directories always move, to be
 * deleted with whatever untracked content they hold.
 */
export function dropName(
  ctx: UnionContext,
  dirId: bigint,
  name: string,
  victim: NodeRow,
  attr: Attr | undefined,
  upperName: string,
  unlinks?: string[],
): RenameStep[] {
  const { store } = ctx;
  store.deleteEntry(dirId, name);
  const remaining = store.countLinks(victim.id);
  const steps: RenameStep[] = [];
  if (victim.kind === 'dir') {
    store.deleteEntriesOf(victim.id);
    store.deleteNode(victim.id);
    if (victim.upper) steps.push({ from: upperName, to: tmpPath(ctx, 'rmdir') });
    return steps;
  }
  if (victim.upper && unlinks) unlinks.push(upperName);
  else if (victim.upper) steps.push({ from: upperName, to: tmpPath(ctx, 'unlink') });
  const nlinkNow = victim.nlink ?? attr?.nlink ?? 1;
  // A lower or indexed object may have visible names no row records yet (not looked up): it lives
  // on while its count says so, and a lookup of such a name finds it (and its index copy) again.
  if (remaining === 0 && (victim.upper || nlinkNow <= 1)) {
    store.deleteNode(victim.id);
    // Its kept descriptors would hold the file's space until they idle out.
    ctx.openFiles.forget(victim.id);
    if (victim.indexed) steps.push({ from: join(ctx.layers.indexDir, String(victim.id)), to: tmpPath(ctx, 'unlink') });
  } else if (victim.indexed || !victim.upper) {
    store.putNode({ ...victim, nlink: Math.max(nlinkNow - 1, 0) });
  }
  return steps;
}

async function removeName(ctx: UnionContext, dirId: bigint, name: string, caller: Caller, wantDir: boolean): Promise<void> {
  if (name === '.' || name === '..') fail(wantDir && name === '..' ? 'ENOTEMPTY' : 'EINVAL');
  checkName(name);
  const dirAttr = await getAttr(ctx, dirNode(ctx, dirId));
  await completeDir(ctx, dirId);
  await ctx.locks.with([`name:${dirId}/${name}`], async () => {
    const row = ctx.store.getEntry(dirId, name);
    if (!row) fail('ENOENT');
    const victim = nodeOf(ctx, row.id);
    if (wantDir && victim.kind !== 'dir') fail('ENOTDIR');
    if (!wantDir && victim.kind === 'dir') fail('EISDIR');
    // Only the sticky rule and a lower or indexed object's link count (dropName) need the
    // victim's attributes: an upper file's lstat was a fifth of a removal's time.
    const needAttr = stickyRuleApplies(dirAttr, caller) || !victim.upper || victim.indexed;
    const attr = needAttr ? await victimAttr(ctx, victim) : undefined;
    requireRemovable(dirAttr, attr ?? dirAttr, caller);
    if (wantDir) {
      await completeDir(ctx, victim.id);
      if (ctx.store.countEntries(victim.id) > 0) fail('ENOTEMPTY');
    }
    const upperName = join(upperPath(ctx, dirId), name);
    let aside: RenameStep[] = [];
    const commit = (swept: boolean, committed?: () => void) =>
      commitAndApply(ctx, () => {
        const again = ctx.store.getEntry(dirId, name);
        if (!again || again.id !== victim.id) fail('ENOENT');
        const unlinks: string[] = [];
        aside = dropName(ctx, dirId, name, nodeOf(ctx, victim.id), attr, upperName, unlinks);
        committed?.();
        return { renames: aside, unlinks, swept };
      });
    // An upper file's name is unlinked after the commit, under the directory's sweep (DirSweeps);
    // other removals unlink nothing there and need no sweep.
    if (victim.upper && victim.kind !== 'dir') await ctx.sweeps.within(ctx, dirId, (committed) => commit(true, committed));
    else await commit(false);
    if (victim.kind === 'dir') clearPathCaches(ctx);
    else forgetPathsOf(ctx, victim.id);
    // Its link count and ctime changed (another name may still show it); union.ts forgets the directory.
    ctx.upperAttrs.forget(victim.id);
    await Promise.all(aside.map((s) => discard(s.to)));
  });
}

export function removeRule(ctx: UnionContext, dirId: bigint, name: string, caller: Caller): Promise<void> {
  return removeName(ctx, dirId, name, caller, false);
}

export function rmdirRule(ctx: UnionContext, dirId: bigint, name: string, caller: Caller): Promise<void> {
  return removeName(ctx, dirId, name, caller, true);
}
