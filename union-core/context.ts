/** State shared by every union rule for one open union, and small shared mechanisms. */

import { fsyncPath } from './upper-fs.js';
import { isErrno } from './errors.js';
import type { LowerStatCache } from './lower-stat-cache.js';
import type { MetadataStore } from './store.js';
import type { DirSweeps } from './journal.js';
import type { Layers } from './layers.js';
import type { UpperAttrCache } from './attr-cache.js';
import type { OpenFiles } from './open-files.js';
import type { IdMap } from './id-map.js';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface UnionContext {
  store: MetadataStore;
  layers: Layers;
  /** Random per union at creation: the generation of every object (see identity.ts). */
  epoch: number;
  /** Owners and device numbers are applied for real (running as root). */
  privileged: boolean;
  /** How long a lower object's lstat is reused (attrs.ts). */
  lowerStatTtlMs: number;
  /** Changes are answered before they are durable (UnionOptions.async; journal.ts). */
  async: boolean;
  log: LogFn;
  locks: KeyedLock;
  syncer: DirSyncer;
  metadata: MetadataBarrier;
  /**
   * Namespace changes whose rows are committed but whose renames are not yet applied (journal.ts):
   * meanwhile the rows are ahead of the upper tree. See awaitApplies.
   */
  applying: Set<Promise<void>>;
  /** Directories with creations or removals in progress (journal.ts). */
  sweeps: DirSweeps;
  /** Every operation holds it shared, a rename exclusive (union.ts). */
  namespace: NamespaceLock;
  /** Attributes of upper objects while nothing changes (attr-cache.ts). */
  upperAttrs: UpperAttrCache;
  /** Descriptors of backing files kept between data calls (open-files.ts). */
  openFiles: OpenFiles;
  cache: {
    /**
     * Derived paths by fileid; cleared whenever a directory moves or disappears. Bounded
     * (PATH_CACHE_MAX): a path per object ever touched is ~150 bytes each, ~300 MiB over a
     * million files.
     */
    rel: IdMap<string>;
    lowerRel: IdMap<string>;
    /** Lower directories by lower path (namespace.ts lowerDirsAt); never stale: lowers do not change. */
    lowerAt: Map<string, LowerDir[]>;
    /** Recent lstat of lower objects by fileid (attrs.ts lowerStat). */
    lowerStat: LowerStatCache;
  };
}

/** One lower directory contributing entries to a merged directory. */
export interface LowerDir {
  layer: number;
  path: string;
}

export function clearPathCaches(ctx: UnionContext): void {
  ctx.cache.rel.clear();
  ctx.cache.lowerRel.clear();
}

/**
 * After one name of a non-directory went away: only that object's own paths can change (another
 * of its links may become its primary name); nothing lies below it, so every other cached path
 * stays right. (Clearing everything after each removal cost each following call a walk up
 * through the store.)
 */
export function forgetPathsOf(ctx: UnionContext, id: bigint): void {
  ctx.cache.rel.delete(id);
  ctx.cache.lowerRel.delete(id);
}

/**
 * Waits until every namespace change committed so far has reached the upper tree; resolves false
 * at once when none is in flight. For a reader that finds an object's backing file missing: a
 * copy-up commits "this file is on the upper" before it renames the copy into place, a create
 * before its file appears, a rename before the move, so the missing file may just be on its way.
 * (Without this, a GETATTR racing a copy-up answered ESTALE.)
 */
export async function awaitApplies(ctx: UnionContext): Promise<boolean> {
  if (ctx.applying.size === 0) return false;
  await Promise.all(ctx.applying);
  // Let the committing operation finish its own follow-up (clearPathCaches) before we look again.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return true;
}

/**
 * Serialises operations per key (a name in a directory, an object), so that two requests on the
 * same name cannot interleave their store commit and file-system steps, while operations on
 * different names run concurrently and share group commits.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    for (const k of sorted) releases.push(await this.acquire(k));
    try {
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }

  /** Resolves once everything holding or queued for `key` at this moment has released it. */
  async settled(key: string): Promise<void> {
    await this.tails.get(key);
  }

  private async acquire(key: string): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

/**
 * A rename moves the upper path of the renamed object and of everything below it, and each
 * operation computes the paths it touches from the rows, before its own commit: a create in
 * `a/` (target `upper/a/new`) racing `mv a b` renamed its file into a directory that was no longer
 * there, and its journal intent could never be applied; a write or getattr of `a/f` opened a path
 * the rows had already moved. So renames run alone: an exclusive holder waits until the running
 * shared holders are done, and new shared holders wait behind it. Renames are rare next to reads
 * and writes, so making them wait for the operations in flight costs little.
 */
export class NamespaceLock {
  private sharedHolders = 0;
  /** Set while an exclusive holder waits or runs. */
  private exclusiveTurn: Promise<void> | undefined;
  private wakeExclusive: (() => void) | undefined;

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusiveTurn) await this.exclusiveTurn;
    this.sharedHolders++;
    try {
      return await fn();
    } finally {
      if (--this.sharedHolders === 0) this.wakeExclusive?.();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusiveTurn) await this.exclusiveTurn;
    let done!: () => void;
    this.exclusiveTurn = new Promise<void>((resolve) => (done = resolve));
    try {
      if (this.sharedHolders > 0) await new Promise<void>((resolve) => (this.wakeExclusive = resolve));
      this.wakeExclusive = undefined;
      return await fn();
    } finally {
      this.exclusiveTurn = undefined;
      done();
    }
  }
}

/**
 * fsync of directories after namespace changes, shared by concurrent operations: a request for a
 * directory whose sync has not started yet joins it; one that arrives while a sync of that
 * directory runs waits for the next.
 */
export class DirSyncer {
  private readonly pending = new Map<string, Promise<void>>();

  syncAll(dirs: Iterable<string>): Promise<void> {
    return Promise.all([...new Set(dirs)].map((d) => this.sync(d))).then(() => undefined);
  }

  sync(dir: string): Promise<void> {
    const queued = this.pending.get(dir);
    if (queued) return queued;
    const p = (async () => {
      // Let other operations of this tick join before the sync starts.
      await new Promise<void>((r) => setImmediate(r));
      this.pending.delete(dir);
      try {
        await fsyncPath(dir);
      } catch (e) {
        // Removed meanwhile (its entries had to go first): nothing of it left to keep.
        if (!isErrno(e, 'ENOENT') && !isErrno(e, 'ENOTDIR')) throw e;
      }
    })();
    this.pending.set(dir, p);
    return p;
  }
}

/**
 * Durability of metadata changes to upper objects (chmod, chown, utimes) shared by concurrent
 * operations: one fsync, of the object changed last, covers every change made before it — the
 * file systems the upper may live on (ext4, XFS) commit metadata through one journal, in order.
 * A request joins the sync that has not started yet; one that arrives while a sync runs waits for
 * the next. If the object changed last is gone by then (removed meanwhile), the one before it is
 * synced instead; changes to objects that are all gone need nothing.
 */
export class MetadataBarrier {
  private next: { paths: string[]; done: Promise<void> } | null = null;
  private running: Promise<void> | null = null;

  /** Resolves once the metadata changes made so far to `path` (and to any object) are durable. */
  after(path: string): Promise<void> {
    if (this.next) {
      this.next.paths.push(path);
      return this.next.done;
    }
    const entry = { paths: [path], done: Promise.resolve() };
    entry.done = (async () => {
      // Let the other operations of this turn join, and the running sync finish first.
      await new Promise<void>((r) => setImmediate(r));
      while (this.running) await this.running.catch(() => undefined);
      this.next = null;
      this.running = syncLatest(entry.paths);
      try {
        await this.running;
      } finally {
        this.running = null;
      }
    })();
    this.next = entry;
    return entry.done;
  }
}

async function syncLatest(paths: string[]): Promise<void> {
  for (let i = paths.length - 1; i >= 0; i--) {
    try {
      return await fsyncPath(paths[i]);
    } catch (e) {
      if (!isErrno(e, 'ENOENT') && !isErrno(e, 'ENOTDIR')) throw e;
    }
  }
}
