/**
 * Crash-safe namespace changes: a journal of intents — renames and unlinks to redo, creations to
 * finish or undo (MadeEntry), directories to sweep of what interrupted creations and removals
 * left (DirSweeps).
 *
 * Every change to the upper tree follows one pattern:
 *   1. prepare  — build whatever is new in work/tmp (a copied-up file), or at its destination
 *                 where no row names it yet (a new empty file, directory or symlink: see
 *                 MadeEntry): anything that can fail for lack of space fails here, before the
 *                 union changed, and leaves only an unnamed object behind. Copied data are
 *                 fsynced here; a new empty object is not.
 *   2. commit   — in ONE store transaction: re-validate, change the rows, and record the intent:
 *                 the list of renames that will bring the upper tree in line with the rows. Then
 *                 wait until that transaction is durable.
 *   3. apply    — perform the renames (each "if `from` still exists, rename it to `to`", so
 *                 replaying is harmless), fsync the directories that must keep them (dirsToSync).
 *                 Concurrent operations share each fsync (DirSyncer, store group commit).
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
import { upperLstat, renamePath, unlinkPath, discard } from './upper-fs.js';
import { upperPath } from './namespace.js';

export interface RenameStep {
  from: string;
  to: string;
}

export interface Plan {
  renames: RenameStep[];
  /** Extra directories to fsync besides the parents of every rename target and source. */
  syncDirs?: string[];
  /**
   * Upper names to unlink after the renames: a removed file's name. Replaying an unlink is
   * harmless: nothing new takes that name before the removal's intent is forgotten (the name's
   * lock is held until then, and later commits follow in the store's order).
   */
  unlinks?: string[];
  /**
   * The caller holds the sweep (DirSweeps) of the directory its unlinks or its new entry are in:
   * a crash before they are done leaves names no row knows, or a row whose new object is lost,
   * and recovery's sweep mends both, so they need no intent.
   */
  swept?: boolean;
  /** A creation's new entry (see MadeEntry). */
  made?: MadeEntry;
}

/**
 * A creation builds its object at its upper path before any row names it (create.ts), so a crash
 * between the build and the commit leaves an object no row knows: never shown, but litter; and
 * a power cut after the commit may keep the rows but lose the object (MadeEntry). A removal is
 * the mirror image: its row goes first, its upper name is unlinked after the commit, and a crash
 * between the two leaves the same kind of litter. Rather than an intent per operation
 * (two more row writes each, a third of a creation's cost), a directory with creations or
 * removals in progress carries one "sweep" intent, committed before its first operation touches
 * the upper and forgotten a little after its last one ends; recovery removes whatever in that
 * upper directory no row names (a complete directory's rows are its whole listing) and drops the
 * rows whose own upper object is missing. A burst of operations in one directory pays for it
 * once. (A power cut can lose the intent but keep the files: an object without a row, moved aside
 * if its name is created again, and reported by check.)
 */
export class DirSweeps {
  private readonly active = new Map<bigint, Sweep>();

  /**
   * How long a sweep outlives its last operation. Clients send in waves (every call waiting on
   * one group commit is answered at once), so the count touches zero between waves; forgetting
   * the intent there would make the next wave wait for one more commit.
   */
  static readonly LINGER_MS = 200;

  /**
   * Run `op`, which builds or unlinks in directory `dir`, under the directory's sweep: its intent
   * is committed before `op` starts. `op` calls `committed()` inside its commit's plan; if it then
   * fails (or a crash interrupts it), what it left may be named by no row, so the intent stays
   * for the next open to sweep. Before that point a failure left nothing: it refused and undid
   * what it built.
   */
  async within<T>(ctx: UnionContext, dir: bigint, op: (committed: () => void) => Promise<T>): Promise<T> {
    await this.enter(ctx, dir);
    let committed = false;
    let finished = false;
    try {
      const result = await op(() => (committed = true));
      finished = true;
      return result;
    } finally {
      this.leave(ctx, dir, finished || !committed);
    }
  }

  /** Resolves once the sweep intent of `dir` is committed (durable, on an async union). */
  private async enter(ctx: UnionContext, dir: bigint): Promise<void> {
    let sweep = this.active.get(dir);
    if (sweep) {
      sweep.count++;
      sweep.entered++;
      if (sweep.forget) clearTimeout(sweep.forget);
      sweep.forget = undefined;
    } else {
      const seq = ctx.store.transaction(() => ctx.store.addIntent(encodeIntent({ renames: [], sweep: dir })));
      // An async union unlinks a removed name before the removal's rows are synced: a power cut
      // could keep the unlink and lose the rows, and only a durable sweep mends that. So there the
      // intent is synced first, once per burst of operations in the directory.
      const committed = ctx.async ? ctx.store.durable() : ctx.store.settled();
      sweep = { seq, count: 1, entered: 1, committed, keep: false, forget: undefined };
      this.active.set(dir, sweep);
    }
    try {
      await sweep.committed;
    } catch (e) {
      // The batch failed to commit and took the intent with it; every operation waiting here
      // fails alike. Forget this sweep, so the next one in the directory records a new one.
      if (this.active.get(dir) === sweep) this.active.delete(dir);
      throw e;
    }
  }

  /** An operation in `dir` ended; `clean`: it left nothing a row does not name. */
  private leave(ctx: UnionContext, dir: bigint, clean: boolean): void {
    const sweep = this.active.get(dir);
    if (!sweep) return;
    if (!clean) sweep.keep = true;
    if (--sweep.count > 0) return;
    const idle = sweep;
    idle.forget = setTimeout(() => void this.forget(ctx, dir, idle), DirSweeps.LINGER_MS);
    idle.forget.unref();
  }

  /** Whether intent `seq` is the sweep of a directory with operations in progress (or just ended). */
  holds(seq: bigint): boolean {
    for (const sweep of this.active.values()) if (sweep.seq === seq) return true;
    return false;
  }

  /** Forget every idle sweep now (before closing the store). */
  async flush(ctx: UnionContext): Promise<void> {
    const idle = [...this.active].filter(([, sweep]) => sweep.count === 0);
    for (const [, sweep] of idle) clearTimeout(sweep.forget);
    await Promise.all(idle.map(([dir, sweep]) => this.forget(ctx, dir, sweep)));
  }

  private async forget(ctx: UnionContext, dir: bigint, sweep: Sweep): Promise<void> {
    if (this.active.get(dir) !== sweep || sweep.count > 0) return;
    if (ctx.async && !sweep.keep) {
      // An async union answered before the directory and the rows were synced: until they are,
      // a power cut can still leave what the sweep mends, so the intent waits for both.
      const entered = sweep.entered;
      try {
        await Promise.all([syncUpperDir(ctx, dir), ctx.store.durable()]);
      } catch (e) {
        // The intent stays recorded: the next open sweeps the directory.
        if (this.active.get(dir) === sweep && sweep.count === 0) this.active.delete(dir);
        ctx.log('error', 'syncing a directory after async changes failed; it will be swept at next open', { dir: String(dir), error: String(e) });
        return;
      }
      // An operation came meanwhile (its change may have missed these syncs): the sweep goes on,
      // and that operation's end forgets it.
      if (this.active.get(dir) !== sweep || sweep.count > 0 || sweep.entered !== entered) return;
    }
    this.active.delete(dir);
    if (!sweep.keep) ctx.store.deleteIntent(sweep.seq);
  }
}

/** fsync the upper directory of `dir`, if it still has one. */
function syncUpperDir(ctx: UnionContext, dir: bigint): Promise<void> {
  const node = ctx.store.getNode(dir);
  return node?.upper ? ctx.syncer.sync(upperPath(ctx, dir)) : Promise.resolve();
}

interface Sweep {
  seq: bigint;
  /** Operations in progress. */
  count: number;
  /** Operations ever started under this sweep. */
  entered: number;
  committed: Promise<void> | undefined;
  /** Something was left behind: the next open must sweep. */
  keep: boolean;
  /** Pending forgetting of an idle sweep (DirSweeps.LINGER_MS). */
  forget: NodeJS.Timeout | undefined;
}

/**
 * A creation's new entry. The object is built at its destination before the commit (create.ts
 * buildInPlace), with no fsync of its own: after the commit, the fsync of its directory (which
 * covers the new inode too: the file systems the upper lives on commit metadata through one
 * journal, in order) runs alongside the store's. A crash may keep the object and lose the rows
 * (an untracked leftover, never shown, removed by the directory's sweep or moved aside when its
 * name is created again), or keep the rows and lose the object: the directory's sweep then drops
 * the rows, as if the creation never happened — its caller was never answered. (Older versions
 * recorded an intent per creation for that; such intents are still recovered.)
 */
export interface MadeEntry {
  dir: bigint;
  name: string;
  id: bigint;
  /** Where the new object is on the upper. */
  path: string;
}

/** What an intent row holds (older stores hold just the renames array). */
interface IntentRecord {
  renames: RenameStep[];
  unlinks?: string[];
  made?: { dir: string; name: string; id: string; path: string };
  /** A directory with creations or removals in progress (DirSweeps). */
  sweep?: string;
  /** Written by older versions: one creation being built (its temporary and its destination). */
  building?: { temp: string; path: string };
}

/** An intent: a plan's steps, or a directory to sweep. */
type Intent = Plan & { sweep?: bigint; building?: { temp: string; path: string } };

function encodeIntent(steps: Intent): string {
  const record: IntentRecord = { renames: steps.renames };
  if (steps.unlinks?.length) record.unlinks = steps.unlinks;
  const m = steps.made;
  if (m) record.made = { dir: String(m.dir), name: m.name, id: String(m.id), path: m.path };
  if (steps.sweep !== undefined) record.sweep = String(steps.sweep);
  return JSON.stringify(record);
}

function decodeIntent(text: string): Intent {
  const parsed = JSON.parse(text) as IntentRecord | RenameStep[];
  if (Array.isArray(parsed)) return { renames: parsed };
  const m = parsed.made;
  return {
    renames: parsed.renames,
    unlinks: parsed.unlinks,
    made: m && { dir: BigInt(m.dir), name: m.name, id: BigInt(m.id), path: m.path },
    sweep: parsed.sweep === undefined ? undefined : BigInt(parsed.sweep),
    building: parsed.building,
  };
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

function applyUnlink(path: string): void {
  try {
    unlinkPath(path);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
}

/**
 * Steps 2–4 above. `plan` runs inside the store transaction: it validates (throwing a UnionError
 * aborts everything), updates rows, and returns the renames to apply.
 */
export async function commitAndApply(
  ctx: UnionContext,
  plan: () => Plan,
  opts: { temporaries?: string[]; refused?: () => Promise<void> } = {},
): Promise<void> {
  let steps: Plan = { renames: [] };
  let seq: bigint | null;
  try {
    seq = ctx.store.transaction(() => {
      steps = plan();
      const unswept = !steps.swept && (steps.unlinks?.length || steps.made);
      return steps.renames.length > 0 || unswept ? ctx.store.addIntent(encodeIntent(steps)) : null;
    });
  } catch (e) {
    // Refused (or the transaction failed): nothing was committed, so the temporaries prepared
    // for it are garbage now, not at the next open (a copy-up's may be a large file).
    await Promise.all((opts.temporaries ?? []).map((p) => discard(p)));
    await opts.refused?.();
    throw e;
  }
  if (ctx.async && steps.swept && steps.renames.length === 0) {
    // An async union answers once the rows are committed (a process kill keeps them). The syncs
    // run behind: the store's within LAZY_SYNC_MS, the directory's before its sweep, which
    // mends whatever a power cut leaves meanwhile, forgets its intent (DirSweeps.forget).
    await rowsAnswerable(ctx);
    await applySteps(ctx, steps, { sync: false });
    return;
  }
  if (steps.made) {
    // A creation's object is in place already and only the rows make it visible: whichever of
    // the store and the directory a crash keeps, recovery ends in "created" or "never created"
    // (MadeEntry), so both fsyncs run at once.
    await applySteps(ctx, steps, { alongside: ctx.store.durable() });
    if (seq !== null) ctx.store.deleteIntent(seq);
    return;
  }
  if (seq === null) {
    await rowsAnswerable(ctx);
    // Swept unlinks: the rows no longer name them, so nothing waits for them (see `swept`).
    if (steps.unlinks?.length) await applySteps(ctx, steps);
    return;
  }
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

/**
 * Wait until the rows written so far may be answered: durable, or on an async union committed
 * (which a process kill keeps) and synced within LAZY_SYNC_MS.
 */
async function rowsAnswerable(ctx: UnionContext): Promise<void> {
  if (!ctx.async) return ctx.store.durable();
  await ctx.store.settled();
  ctx.store.durableSoon();
}

/**
 * Perform the renames and unlinks, then (unless `sync` is false) fsync what must keep them,
 * together with `alongside` (if given).
 */
async function applySteps(ctx: UnionContext, steps: Plan, opts: { alongside?: Promise<void>; sync?: boolean } = {}): Promise<void> {
  try {
    for (const r of steps.renames) applyRename(r);
    for (const u of steps.unlinks ?? []) applyUnlink(u);
    if (opts.sync === false) return;
    await Promise.all([ctx.syncer.syncAll(dirsToSync(ctx, steps.renames, steps.syncDirs)), opts.alongside]);
  } catch (e) {
    // The rows are committed; the intent (or the directory's sweep) stays for the next open.
    ctx.log('error', 'applying a committed namespace change failed; will be finished at next open', {
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
 * The directories whose entries must be durable before the answer: where something was moved in
 * from work/tmp or renamed within the union — not work/tmp itself (emptied at the next open
 * anyway), and not the source of a move out to work/tmp (a removal): the committed rows no longer
 * name that object, so if a crash undoes the move it is an untracked leftover in a complete
 * directory, never shown, and moved aside if the name is ever created again (create.ts).
 */
function dirsToSync(ctx: UnionContext, renames: RenameStep[], extra: string[] = []): Set<string> {
  const dirs = new Set<string>(extra);
  const tmp = ctx.layers.tmpDir;
  for (const r of renames) {
    if (dirname(r.to) === tmp) continue;
    dirs.add(dirname(r.to));
    dirs.add(dirname(r.from));
  }
  dirs.delete(tmp);
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

/** A row (dir, name) -> id whose object a crash lost. */
type LostEntry = Pick<MadeEntry, 'dir' | 'name' | 'id'>;

/** A creation whose new object a crash lost (see MadeEntry): its rows go too. */
function dropLostCreation(ctx: UnionContext, made: LostEntry): void {
  ctx.store.transaction(() => {
    if (ctx.store.getEntry(made.dir, made.name)?.id === made.id) ctx.store.deleteEntry(made.dir, made.name);
    if (ctx.store.countLinks(made.id) === 0) ctx.store.deleteNode(made.id);
  });
  ctx.log('warn', 'a creation interrupted by a crash lost its new object; its name was dropped', {
    dir: String(made.dir), name: made.name, fileid: String(made.id),
  });
}

/** Rows read per page when a sweep compares a directory's rows with its upper listing. */
const SWEEP_PAGE = 4096;

/**
 * The rows of swept directory `dir` that name an object of its own on the upper (created here, or
 * copied up: not a lower object, not an indexed one whose names are rows only) which its upper
 * listing lacks: creations whose object a crash lost after their rows committed (MadeEntry).
 */
function lostEntries(ctx: UnionContext, dir: bigint, onUpper: Set<string>): LostEntry[] {
  const lost: LostEntry[] = [];
  for (let after = 0n; ; ) {
    const page = ctx.store.entryPage(dir, after, SWEEP_PAGE);
    for (const e of page) {
      if (onUpper.has(e.name)) continue;
      const node = ctx.store.getNode(e.id);
      if (node?.upper && !node.indexed) lost.push({ dir, name: e.name, id: e.id });
    }
    if (page.length < SWEEP_PAGE) return lost;
    after = page[page.length - 1].cookie;
  }
}

/**
 * Bring the upper directory of `dir` and its rows back in line after a crash (DirSweeps): remove
 * whatever no row names (what creations built before their commit, or removals left after
 * theirs), and drop the rows of creations whose object the crash lost. Runs after every other
 * intent is replayed, so the rows and the tree agree on everything else.
 */
async function sweepDir(ctx: UnionContext, dir: bigint): Promise<number> {
  const node = ctx.store.getNode(dir);
  if (!node || node.kind !== 'dir' || !node.upper || !node.complete) return 0;
  const path = upperPath(ctx, dir);
  let names: string[];
  try {
    names = await readdir(path);
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return 0;
    throw e;
  }
  const untracked = names.filter((name) => !ctx.store.getEntry(dir, name));
  await Promise.all(untracked.map((name) => discard(join(path, name))));
  const lost = lostEntries(ctx, dir, new Set(names));
  for (const entry of lost) dropLostCreation(ctx, entry);
  return untracked.length + lost.length;
}

/** Replay every recorded intent, then empty work/tmp. Called once at open, before any operation. */
export async function recoverJournal(ctx: UnionContext): Promise<{ replayed: number; discarded: number }> {
  const intents = ctx.store.intents();
  const sweeps = new Map<bigint, bigint[]>();
  for (const { seq, steps } of intents) {
    const { renames, unlinks, made, sweep, building } = decodeIntent(steps);
    if (sweep !== undefined) {
      const seqs = sweeps.get(sweep) ?? [];
      seqs.push(seq);
      sweeps.set(sweep, seqs);
      continue;
    }
    for (const r of renames.slice(firstUnapplied(renames))) applyRename(r);
    for (const u of unlinks ?? []) applyUnlink(u);
    await ctx.syncer.syncAll(dirsToSync(ctx, renames));
    if (made && !exists(made.path)) dropLostCreation(ctx, made);
    if (building) await Promise.all([discard(building.temp), discard(building.path)]);
    ctx.store.deleteIntent(seq);
    ctx.log('info', 'replayed interrupted namespace change', { seq: String(seq), renames: renames.length });
  }
  for (const [dir, seqs] of sweeps) {
    const removed = await sweepDir(ctx, dir);
    for (const seq of seqs) ctx.store.deleteIntent(seq);
    if (removed) ctx.log('info', 'removed what interrupted creations and removals left', { dir: String(dir), count: removed });
  }
  const leftovers = await readdir(ctx.layers.tmpDir);
  await Promise.all(leftovers.map((n) => discard(join(ctx.layers.tmpDir, n))));
  if (leftovers.length) ctx.log('info', 'discarded leftovers of interrupted operations', { count: leftovers.length });
  await ctx.store.durable();
  return { replayed: intents.length, discarded: leftovers.length };
}
