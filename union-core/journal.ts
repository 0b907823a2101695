/**
 * Crash-safe namespace changes: a redo journal of renames.
 *
 * Every change to the upper tree follows one pattern:
 *   1. prepare  — build whatever is new in work/tmp (a copied-up file, a new empty file, a new
 *                 directory, a symlink): anything that can fail for lack of space fails here,
 *                 before the union changed, and leaves only a temporary behind.
 *   2. commit   — in ONE store transaction: re-validate, change the rows, and record the intent:
 *                 the list of renames that will bring the upper tree in line with the rows. Then
 *                 wait until that transaction is durable.
 *   3. apply    — perform the renames (each "if `from` still exists, rename it to `to`", so
 *                 replaying is harmless), fsync the directories involved.
 *   4. forget   — delete the intent (rides along with the next group commit).
 * The client is answered after 3. After a crash, reopening replays every recorded intent (redo),
 * then empties work/tmp: each interrupted operation ends fully done if its rows committed, and
 * fully undone (only a temporary left, now deleted) if they did not. The store is the truth for
 * names; removing upper objects is a rename into work/tmp, so data vanish only after the rows did.
 */

import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { UnionContext } from './context.js';
import { fromFsError, isErrno } from './errors.js';
import { upperLstat, renamePath, discard } from './upper-fs.js';

export interface RenameStep {
  from: string;
  to: string;
}

export interface Plan {
  renames: RenameStep[];
  /** Extra directories to fsync besides the parents of every rename target and source. */
  syncDirs?: string[];
}

/** A fresh unique path in work/tmp. */
export function tmpPath(ctx: UnionContext, tag: string): string {
  return join(ctx.layers.tmpDir, `${tag}.${randomBytes(6).toString('hex')}`);
}

function applyRename(step: RenameStep): void {
  try {
    renamePath(step.from, step.to);
  } catch (e) {
    // Already applied before a crash: the source is gone. Anything else is a real failure.
    if (isErrno(e, 'ENOENT')) return;
    throw e;
  }
}

/**
 * Steps 2–4 above. `plan` runs inside the store transaction: it validates (throwing a UnionError
 * aborts everything), updates rows, and returns the renames to apply.
 */
export async function commitAndApply(ctx: UnionContext, plan: () => Plan, opts: { temporaries?: string[] } = {}): Promise<void> {
  let steps: Plan = { renames: [] };
  let seq: bigint | null;
  try {
    seq = ctx.store.transaction(() => {
      steps = plan();
      return steps.renames.length > 0 ? ctx.store.addIntent(JSON.stringify(steps.renames)) : null;
    });
  } catch (e) {
    // Refused (or the transaction failed): nothing was committed, so the temporaries prepared
    // for it are garbage now, not at the next open (a copy-up's may be a large file).
    await Promise.all((opts.temporaries ?? []).map((p) => discard(p)));
    throw e;
  }
  if (seq === null) return ctx.store.durable();
  // Until the renames are done the rows are ahead of the tree; readers that trip over that wait
  // for this promise (awaitApplies). Registered in the same tick as the commit.
  let applied!: () => void;
  const applying = new Promise<void>((resolve) => (applied = resolve));
  ctx.applying.add(applying);
  try {
    await ctx.store.durable();
    await applySteps(ctx, steps);
  } finally {
    ctx.applying.delete(applying);
    applied();
  }
  ctx.store.deleteIntent(seq);
}

async function applySteps(ctx: UnionContext, steps: Plan): Promise<void> {
  try {
    for (const r of steps.renames) applyRename(r);
    await ctx.syncer.syncAll(dirsToSync(ctx, steps.renames, steps.syncDirs));
  } catch (e) {
    // The rows are committed; the intent stays and is replayed at the next open.
    ctx.log('error', 'applying a committed namespace change failed; will be replayed at next open', {
      error: String(e),
      renames: steps.renames,
    });
    throw fromFsError(e);
  }
}

function exists(path: string): boolean {
  return upperLstat(path) !== null;
}

/**
 * The directories whose entries a set of renames changed, except work/tmp: what is left or missing
 * there after a crash is emptied at the next open anyway, so its entries need no fsync of their own.
 */
function dirsToSync(ctx: UnionContext, renames: RenameStep[], extra: string[] = []): Set<string> {
  const dirs = new Set<string>(extra);
  for (const r of renames) {
    dirs.add(dirname(r.to));
    dirs.add(dirname(r.from));
  }
  dirs.delete(ctx.layers.tmpDir);
  return dirs;
}

/**
 * Index of the first step of an intent not yet applied. "Rename if the source still exists" alone
 * is not enough: in a rename over an existing target the second step recreates the first step's
 * source (target -> trash, then source -> target), so a blind replay would move the renamed object
 * into the trash. Steps run in order, so the last step whose source is gone and whose destination
 * exists marks everything up to it as done.
 */
function firstUnapplied(renames: RenameStep[]): number {
  for (let i = renames.length - 1; i >= 0; i--) {
    if (!exists(renames[i].from) && exists(renames[i].to)) return i + 1;
  }
  return 0;
}

/** Replay every recorded intent, then empty work/tmp. Called once at open, before any operation. */
export async function recoverJournal(ctx: UnionContext): Promise<{ replayed: number; discarded: number }> {
  const intents = ctx.store.intents();
  for (const { seq, steps } of intents) {
    const renames = JSON.parse(steps) as RenameStep[];
    for (const r of renames.slice(firstUnapplied(renames))) applyRename(r);
    await ctx.syncer.syncAll(dirsToSync(ctx, renames));
    ctx.store.deleteIntent(seq);
    ctx.log('info', 'replayed interrupted namespace change', { seq: String(seq), renames: renames.length });
  }
  const leftovers = await readdir(ctx.layers.tmpDir);
  await Promise.all(leftovers.map((n) => discard(join(ctx.layers.tmpDir, n))));
  if (leftovers.length) ctx.log('info', 'discarded leftovers of interrupted operations', { count: leftovers.length });
  await ctx.store.durable();
  return { replayed: intents.length, discarded: leftovers.length };
}
