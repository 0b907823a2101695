/**
 * The metadata store: what the upper tree cannot say by itself. SQLite in WAL mode, in the work
 * directory, behind a narrow interface (rows in, rows out, a transaction, a durability barrier) so
 * a shared PostgreSQL store can later stand in for it.
 *
 * Tables
 *   node   one row per object handed out: kind, where it lives (upper/lower layer), directory state
 *          (complete listing, opaque, redirect, next readdir cookie), explicit link count,
 *          metadata overrides (mode, owner, rdev, times), exclusive-create verifier.
 *   entry  (dir, name) -> id with a readdir cookie. For a *complete* directory these rows are the
 *          whole listing: a lower name without a row is whited out. Rows of lower entries are the
 *          persistent fallthrus.
 *   lower_link  one row per name of every lower inode with several links, marked visible when
 *          the union's initial view shows that name (lower-links.ts); built once, then read-only.
 *   intent redo journal of file-system steps not yet known to be done (see journal.ts).
 *   meta   union identity (layers, epoch), schema version, id counter.
 *
 * Batches and durability (group commit). Writes go into a batch: one SQLite transaction, opened
 * by the first write and committed on the next turn of the event loop, when an operation needs
 * durability, or when one asks (`settled`). Each `transaction()` inside it is a savepoint, atomic
 * on its own; committing a batch thus never exposes half an operation, and the concurrent
 * operations of one loop turn share one commit (the pages they touch — an entry leaf, the node
 * leaf, the intents — are written to the WAL once, not once per operation). Commits use
 * synchronous=NORMAL, i.e. into the WAL without an fsync, which is already safe against a process
 * kill. `durable()` then fsyncs the WAL file on a descriptor of our own, asynchronously; callers
 * arriving while that fsync runs accumulate in the next batch and share the next fsync. SQLite
 * itself syncs the WAL before and the database after each checkpoint.
 */

import Database from 'better-sqlite3';
import { openSync, fsync, closeSync } from 'node:fs';
import type { NodeType } from './types.js';
import { OBJECT_CACHE_MAX } from './bounded-map.js';
import { IdMap } from './id-map.js';
import { ListingCache } from './listing-cache.js';

/** 2: lower_link table (an older store is given one at open, see lower-links.ts). */
export const SCHEMA_VERSION = 2;

/** fileid of the union's root directory. Counter-allocated ids start above it. */
export const ROOT_ID = 1n;

export interface NodeRow {
  id: bigint;
  kind: NodeType;
  /** The object lives on the upper layer (created there or copied up). */
  upper: boolean;
  /** Lower layer the object was found in (0 = highest), or null when created on the upper. */
  layer: number | null;
  /** Directory: entry rows hold the complete listing. */
  complete: boolean;
  /** Directory: no lower layer contributes to it. */
  opaque: boolean;
  /** Directory: lower path (relative to each lower root) its lower content lives at. */
  redirect: string | null;
  nextCookie: bigint;
  /** Regular file whose data lives in work/index/<id> (lower hard links copied up). */
  indexed: boolean;
  /** Link count when the backing file's own count is not the union's. */
  nlink: number | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  /** Device number override (major << 20 | minor) for placeholder device nodes. */
  rdev: number | null;
  /** Time overrides in nanoseconds since the epoch. */
  atime: bigint | null;
  mtime: bigint | null;
  ctime: bigint | null;
  verifier: Buffer | null;
}

export interface EntryRow {
  dir: bigint;
  name: string;
  id: bigint;
  cookie: bigint;
}

/** A row of a listing page: the directory is the page's. Shared with the listing cache: read only. */
export type ListedEntry = Readonly<Omit<EntryRow, 'dir'>>;

/** One name of a lower inode that has several links (lower-links.ts). */
export interface LowerLinkRow {
  layer: number;
  ino: bigint;
  /** Path relative to the lower root. */
  path: string;
  /** The union's initial view shows this name as this inode. */
  visible: boolean;
}

/** Every node column. A new one also goes into NODE_COMMON, or into OVERRIDE_COLUMNS if it can be empty. */
const NODE_COLUMNS =
  'id, kind, upper, layer, complete, opaque, redirect, next_cookie, indexed, nlink, mode, uid, gid, rdev, atime, mtime, ctime, verifier';

/**
 * A node row from its columns in NODE_COLUMNS order. Rows are read raw (arrays): better-sqlite3
 * builds an object row key by key, which doubled the cost of every node read that misses the
 * cache (each entry of a listing once the objects outnumber the cache).
 */
function toNodeRow(r: unknown[]): NodeRow {
  const num = (v: unknown) => (v === null ? null : Number(v));
  return {
    id: r[0] as bigint,
    kind: r[1] as NodeType,
    upper: r[2] === 1n,
    layer: num(r[3]),
    complete: r[4] === 1n,
    opaque: r[5] === 1n,
    redirect: r[6] as string | null,
    nextCookie: r[7] as bigint,
    indexed: r[8] === 1n,
    nlink: num(r[9]),
    mode: num(r[10]),
    uid: num(r[11]),
    gid: num(r[12]),
    rdev: num(r[13]),
    atime: r[14] as bigint | null,
    mtime: r[15] as bigint | null,
    ctime: r[16] as bigint | null,
    verifier: r[17] as Buffer | null,
  };
}

/** Columns that override what the backing file says; all empty in most rows. */
const OVERRIDE_COLUMNS = ['redirect', 'nlink', 'mode', 'uid', 'gid', 'rdev', 'atime', 'mtime', 'ctime', 'verifier'];

/**
 * The common part of a node row in five columns: kind, the four flags in one integer, layer, next
 * cookie, and whether every override is empty. better-sqlite3 turns each column into a JS value
 * in a call of its own: a row of all 18 columns cost ~3.4 µs to read, this ~2.1 µs (a listing
 * beyond the node cache reads one per entry). Integers come as numbers (no BigInt each).
 */
const NODE_COMMON = `kind, upper | (complete << 1) | (opaque << 2) | (indexed << 3), layer, next_cookie, ${OVERRIDE_COLUMNS.map((c) => `${c} IS NULL`).join(' AND ')}`;
type NodeCommon = [kind: NodeType, flags: number, layer: number | null, nextCookie: number, noOverrides: number];

/** A node row from its common part, if that is all of it (else undefined: read the whole row). */
function fromCommon(id: bigint, [kind, flags, layer, nextCookie, noOverrides]: NodeCommon): NodeRow | undefined {
  // A cookie counter beyond 2^53 came back rounded.
  if (noOverrides !== 1 || !Number.isSafeInteger(nextCookie)) return undefined;
  // Written out rather than spread over blankNode: that made two objects of every row read.
  return {
    id, kind, upper: (flags & 1) !== 0, layer, complete: (flags & 2) !== 0, opaque: (flags & 4) !== 0, redirect: null,
    nextCookie: BigInt(nextCookie), indexed: (flags & 8) !== 0, nlink: null, mode: null, uid: null, gid: null, rdev: null,
    atime: null, mtime: null, ctime: null, verifier: null,
  };
}

function fromNodeRow(n: NodeRow): unknown[] {
  const b = (v: boolean) => (v ? 1 : 0);
  return [
    n.id, n.kind, b(n.upper), n.layer, b(n.complete), b(n.opaque), n.redirect, n.nextCookie, b(n.indexed),
    n.nlink, n.mode, n.uid, n.gid, n.rdev, n.atime, n.mtime, n.ctime, n.verifier,
  ];
}

/** A node row with every optional field empty. */
export function blankNode(id: bigint, kind: NodeType): NodeRow {
  return {
    id, kind, upper: false, layer: null, complete: false, opaque: false, redirect: null, nextCookie: 3n,
    indexed: false, nlink: null, mode: null, uid: null, gid: null, rdev: null, atime: null, mtime: null,
    ctime: null, verifier: null,
  };
}

/** Bound on cached node rows (rows are cheap to reload). */
const NODE_CACHE_MAX = OBJECT_CACHE_MAX;

/**
 * Entries of recently listed directories kept in memory, all together (listing-cache.ts): a name
 * and 16 bytes each, a few MiB in all.
 */
const LISTING_CACHE_MAX = 65_536;

/** Fileids reserved per write of the persistent counter. */
const ID_BLOCK = 1024;

/** WAL pages (4 KiB) that trigger a checkpoint: ~40 MiB. */
const WAL_CHECKPOINT_PAGES = 10_000;

/** Longest a lazily synced commit (durableSoon) stays only in the page cache. */
const LAZY_SYNC_MS = 200;

export class MetadataStore {
  private readonly db: Database.Database;
  private readonly nodeCache = new IdMap<NodeRow>(NODE_CACHE_MAX);
  private readonly listings = new ListingCache(LISTING_CACHE_MAX);
  private readonly stmt;
  private walFd: number | null = null;
  /** Bumped by every committed write; `durable()` waits for a sync that covers it. */
  private writeGen = 0;
  private syncedGen = 0;
  /** Ids reserved by the persistent counter and not handed out yet (allocateIds). */
  private reservedIds: { next: bigint; end: bigint } | null = null;
  /** writeGen as of the last commit: what a WAL fsync covers. */
  private committedGen = 0;
  private syncing: Promise<void> | null = null;
  private lazySync: NodeJS.Timeout | null = null;
  /** The open batch: resolves when it commits (rejects if the commit fails). */
  private batch: { committed: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;

  constructor(readonly path: string) {
    // A short busy timeout: the only other holder of this lock is another process serving the
    // same union, and waiting for it is pointless.
    this.db = new Database(path, { timeout: 100 });
    this.db.defaultSafeIntegers(true);
    // One process per work directory: two servers (or a server and `fsck`) over one union would
    // each replay the journal and empty work/tmp under the other. EXCLUSIVE locking mode holds the
    // database's file lock from the first write until close, and the kernel drops it when the
    // process dies, so a killed server never leaves a stale lock. Set before WAL mode, it also
    // keeps the WAL index in process memory (no -shm file).
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('journal_mode = WAL');
    this.db.exec('BEGIN EXCLUSIVE; COMMIT');
    this.db.pragma('synchronous = NORMAL');
    // better-sqlite3 builds SQLite with a 16 MiB page cache per connection: an eighth of the whole
    // server's memory at 100,000 files. Hot rows live in our own caches (nodeCache, attr caches),
    // so SQLite's cache mostly holds B-tree interior pages; 4 MiB keeps those, and a leaf it
    // drops comes back from the OS page cache with one pread.
    this.db.pragma('cache_size = -4096');
    this.db.pragma('foreign_keys = OFF');
    // Each operation's savepoint copies the pages it changes into a statement journal, so it can
    // be undone alone. SQLite keeps that journal in a temporary file by default: under load, ten
    // pwrite calls per creation, five times the WAL's own writes. In memory it costs a copy.
    this.db.pragma('temp_store = MEMORY');
    // SQLite copies the WAL back into the database (with two fsyncs, on the event loop) whenever
    // a commit leaves it over this many pages. At the default 1,000, a burst of creations did so
    // every few hundred files; a larger WAL is checkpointed a tenth as often, and pages changed many
    // times in between are copied once.
    this.db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS node (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, upper INTEGER NOT NULL, layer INTEGER,
        complete INTEGER NOT NULL, opaque INTEGER NOT NULL, redirect TEXT, next_cookie INTEGER NOT NULL,
        indexed INTEGER NOT NULL, nlink INTEGER, mode INTEGER, uid INTEGER, gid INTEGER, rdev INTEGER,
        atime INTEGER, mtime INTEGER, ctime INTEGER, verifier BLOB);
      CREATE TABLE IF NOT EXISTS entry (
        dir INTEGER NOT NULL, name TEXT NOT NULL, id INTEGER NOT NULL, cookie INTEGER NOT NULL,
        PRIMARY KEY (dir, name)) WITHOUT ROWID;
      -- Covering for a listing page (dir, cookie > c, with id): without id, every row of a page
      -- was a second B-tree search in the table (1.38 -> 0.92 us per row). Replaces the older
      -- UNIQUE (dir, cookie); a repeated cookie is reported by check.ts instead.
      DROP INDEX IF EXISTS entry_by_cookie;
      CREATE UNIQUE INDEX IF NOT EXISTS entry_by_cookie_id ON entry (dir, cookie, id);
      CREATE INDEX IF NOT EXISTS entry_by_id ON entry (id);
      CREATE TABLE IF NOT EXISTS lower_link (
        layer INTEGER NOT NULL, ino INTEGER NOT NULL, path TEXT NOT NULL, visible INTEGER NOT NULL,
        PRIMARY KEY (layer, ino, path)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS intent (seq INTEGER PRIMARY KEY, steps TEXT NOT NULL);
    `);
    this.stmt = {
      metaGet: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      metaSet: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      nodeGet: this.db.prepare(`SELECT ${NODE_COLUMNS} FROM node WHERE id = ?`).raw(true),
      nodeGetCommon: this.db.prepare(`SELECT ${NODE_COMMON} FROM node WHERE id = ?`).raw(true).safeIntegers(false),
      nodePut: this.db.prepare(`INSERT OR REPLACE INTO node (${NODE_COLUMNS}) VALUES (${NODE_COLUMNS.split(',').map(() => '?').join(',')})`),
      nodeDel: this.db.prepare('DELETE FROM node WHERE id = ?'),
      nodeSetCookie: this.db.prepare('UPDATE node SET next_cookie = ? WHERE id = ?'),
      nodeAll: this.db.prepare(`SELECT ${NODE_COLUMNS} FROM node`).raw(true),
      entryGet: this.db.prepare('SELECT dir, name, id, cookie FROM entry WHERE dir = ? AND name = ?'),
      entryPut: this.db.prepare('INSERT OR REPLACE INTO entry (dir, name, id, cookie) VALUES (?, ?, ?, ?)'),
      entryDel: this.db.prepare('DELETE FROM entry WHERE dir = ? AND name = ?'),
      entryPage: this.db.prepare('SELECT name, id, cookie FROM entry WHERE dir = ? AND cookie > ? ORDER BY cookie LIMIT ?').raw(true),
      entryNames: this.db.prepare('SELECT name FROM entry WHERE dir = ?').pluck(),
      entryCount: this.db.prepare('SELECT count(*) AS n FROM entry WHERE dir = ?'),
      entryOfId: this.db.prepare('SELECT dir, name, id, cookie FROM entry WHERE id = ? LIMIT 1'),
      entryLinks: this.db.prepare('SELECT count(*) AS n FROM entry WHERE id = ?'),
      entryDirDel: this.db.prepare('DELETE FROM entry WHERE dir = ?'),
      entryAll: this.db.prepare('SELECT dir, name, id, cookie FROM entry'),
      lowerLinkPut: this.db.prepare('INSERT OR REPLACE INTO lower_link (layer, ino, path, visible) VALUES (?, ?, ?, ?)'),
      lowerLinkVisible: this.db.prepare('SELECT sum(visible) AS n FROM lower_link WHERE layer = ? AND ino = ?'),
      lowerLinkPaths: this.db.prepare('SELECT path FROM lower_link WHERE layer = ? AND ino = ? AND visible = 1 ORDER BY path'),
      lowerLinkAll: this.db.prepare('SELECT layer, ino, path, visible FROM lower_link'),
      intentAdd: this.db.prepare('INSERT INTO intent (steps) VALUES (?) RETURNING seq'),
      intentDel: this.db.prepare('DELETE FROM intent WHERE seq = ?'),
      intentAll: this.db.prepare('SELECT seq, steps FROM intent ORDER BY seq'),
      savepoint: this.db.prepare('SAVEPOINT op'),
      beginRead: this.db.prepare('BEGIN DEFERRED'),
      endRead: this.db.prepare('COMMIT'),
      release: this.db.prepare('RELEASE op'),
      rollbackTo: this.db.prepare('ROLLBACK TO op'),
    };
  }

  // ---- meta ------------------------------------------------------------------------------

  getMeta(key: string): string | undefined {
    return (this.stmt.metaGet.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.write(() => this.stmt.metaSet.run(key, value));
  }

  /**
   * Note the time the store was opened (meta `opened`), committed at once unless a batch is open.
   * Until a connection has written, SQLite re-reads the database file's size (an fstat) at the
   * start of every read transaction: after a restart, a node read that missed the cache took
   * ~5.7 µs instead of ~2.8 until the first change.
   */
  markOpened(): void {
    this.stmt.metaSet.run('opened', new Date().toISOString());
  }

  /**
   * Allocate `count` consecutive fileids from the persistent counter. The counter is advanced a
   * block at a time (one row write per ID_BLOCK ids, inside the caller's transaction): ids of a
   * block unused at a crash or restart are skipped, never handed out twice.
   */
  allocateIds(count = 1): bigint {
    if (this.reservedIds === null || this.reservedIds.next + BigInt(count) > this.reservedIds.end) {
      const next = this.reservedIds?.next ?? BigInt(this.getMeta('next_id') ?? '2');
      const end = next + BigInt(Math.max(count, ID_BLOCK));
      this.setMeta('next_id', String(end));
      this.reservedIds = { next, end };
    }
    const id = this.reservedIds.next;
    this.reservedIds.next += BigInt(count);
    return id;
  }

  // ---- nodes -----------------------------------------------------------------------------

  getNode(id: bigint): NodeRow | undefined {
    const cached = this.nodeCache.get(id);
    if (cached) return cached;
    const common = this.stmt.nodeGetCommon.get(id) as NodeCommon | undefined;
    if (!common) return undefined;
    const row = fromCommon(id, common) ?? toNodeRow(this.stmt.nodeGet.get(id) as unknown[]);
    this.cacheNode(row);
    return row;
  }

  putNode(row: NodeRow): void {
    this.write(() => this.stmt.nodePut.run(...fromNodeRow(row)));
    this.cacheNode(row);
  }

  /**
   * Set a directory's next readdir cookie: every creation does, and updating one column costs a
   * fraction of putNode's whole-row replace (a delete and an insert in SQLite).
   */
  setNextCookie(dir: NodeRow, next: bigint): void {
    const changes = this.write(() => this.stmt.nodeSetCookie.run(next, dir.id).changes);
    if (changes === 0) return this.putNode({ ...dir, nextCookie: next });
    this.cacheNode({ ...dir, nextCookie: next });
  }

  deleteNode(id: bigint): void {
    this.write(() => this.stmt.nodeDel.run(id));
    this.nodeCache.delete(id);
  }

  allNodes(): NodeRow[] {
    return (this.stmt.nodeAll.all() as unknown[][]).map(toNodeRow);
  }

  private cacheNode(row: NodeRow): void {
    this.nodeCache.set(row.id, row);
  }

  // ---- entries ---------------------------------------------------------------------------

  getEntry(dir: bigint, name: string): EntryRow | undefined {
    return this.stmt.entryGet.get(dir, name) as EntryRow | undefined;
  }

  putEntry(e: EntryRow): void {
    this.write(() => this.stmt.entryPut.run(e.dir, e.name, e.id, e.cookie));
    this.listings.forget(e.dir);
  }

  deleteEntry(dir: bigint, name: string): void {
    this.write(() => this.stmt.entryDel.run(dir, name));
    this.listings.forget(dir);
  }

  deleteEntriesOf(dir: bigint): void {
    this.write(() => this.stmt.entryDirDel.run(dir));
    this.listings.forget(dir);
  }

  /**
   * Entries of `dir` with cookie > `after`, in cookie order: from the listing cache, or one index
   * range scan. Rows come as arrays: better-sqlite3 builds a row object key by key, and a
   * listing's rows cost half as much read raw and made into objects here (~0.5 against ~1.2 µs a
   * row).
   */
  entryPage(dir: bigint, after: bigint, limit: number): ListedEntry[] {
    const kept = this.listings.page(dir, after, limit);
    if (kept) return kept;
    const rows = (this.stmt.entryPage.all(dir, after, limit) as [string, bigint, bigint][]).map(([name, id, cookie]) => ({ name, id, cookie }));
    this.listings.offer(dir, after, limit, rows, this.getNode(dir)?.complete ?? false);
    return rows;
  }

  /** Names of every row of `dir`. */
  entryNames(dir: bigint): string[] {
    return this.stmt.entryNames.all(dir) as string[];
  }

  countEntries(dir: bigint): number {
    return Number((this.stmt.entryCount.get(dir) as { n: bigint }).n);
  }

  /** One name of object `id` (its primary link for path building), if any. */
  linkOf(id: bigint): EntryRow | undefined {
    return this.stmt.entryOfId.get(id) as EntryRow | undefined;
  }

  countLinks(id: bigint): number {
    return Number((this.stmt.entryLinks.get(id) as { n: bigint }).n);
  }

  allEntries(): EntryRow[] {
    return this.stmt.entryAll.all() as EntryRow[];
  }

  // ---- lower hard links -----------------------------------------------------------------

  putLowerLink(row: LowerLinkRow): void {
    this.write(() => this.stmt.lowerLinkPut.run(row.layer, row.ino, row.path, row.visible ? 1 : 0));
  }

  /** How many names of lower inode (layer, ino) the union showed initially; undefined if unknown. */
  visibleLowerLinks(layer: number, ino: bigint): number | undefined {
    const n = (this.stmt.lowerLinkVisible.get(layer, ino) as { n: bigint | null }).n;
    return n === null ? undefined : Number(n);
  }

  /** The names of lower inode (layer, ino) the union showed initially. */
  visibleLowerPaths(layer: number, ino: bigint): string[] {
    return (this.stmt.lowerLinkPaths.all(layer, ino) as { path: string }[]).map((r) => r.path);
  }

  allLowerLinks(): LowerLinkRow[] {
    return (this.stmt.lowerLinkAll.all() as { layer: bigint; ino: bigint; path: string; visible: bigint }[]).map((r) => ({
      layer: Number(r.layer), ino: r.ino, path: r.path, visible: r.visible === 1n,
    }));
  }

  // ---- intents (redo journal) ------------------------------------------------------------

  addIntent(steps: string): bigint {
    return this.write(() => (this.stmt.intentAdd.get(steps) as { seq: bigint }).seq);
  }

  deleteIntent(seq: bigint): void {
    this.write(() => this.stmt.intentDel.run(seq));
  }

  intents(): { seq: bigint; steps: string }[] {
    return this.stmt.intentAll.all() as { seq: bigint; steps: string }[];
  }

  // ---- transactions and durability -------------------------------------------------------

  /**
   * Run `fn`, which only reads, in one read transaction. Outside a batch each statement is a
   * transaction of its own, and starting and ending one costs more than a node read itself
   * (~1.4 µs; ~2.8 µs on a connection that has not written yet, which re-reads the database
   * file's size every time): a listing page reads its nodes in one.
   */
  reading<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.stmt.beginRead.run();
    try {
      return fn();
    } finally {
      this.stmt.endRead.run();
    }
  }

  /**
   * Run `fn` atomically (synchronous; rows are visible at once): a savepoint inside the batch, so
   * a throw undoes exactly what `fn` wrote.
   */
  transaction<T>(fn: () => T): T {
    this.openBatch();
    // Prepared savepoint statements rather than better-sqlite3's db.transaction(fn), which builds
    // four wrapper functions per call: 14 against 3 µs per transaction, and every creation,
    // removal and first lookup runs one. Nested calls nest: SQLite resolves a savepoint name to
    // its most recent use.
    this.stmt.savepoint.run();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      // A failing statement may have ended the whole transaction (SQLITE_FULL can): then there
      // is no savepoint to return to, and the batch's commit reports the loss.
      if (this.db.inTransaction) {
        this.stmt.rollbackTo.run();
        this.stmt.release.run();
      }
      this.forgetUncommitted();
      throw e;
    }
    this.stmt.release.run();
    return result;
  }

  /**
   * After a rollback: cached rows may hold undone values, and the id block may have been reserved
   * by an undone counter write (handing its ids out again would give two objects one fileid).
   */
  private forgetUncommitted(): void {
    this.nodeCache.clear();
    this.listings.clear();
    this.reservedIds = null;
  }

  /** One write statement: inside the open batch (opened if needed), counted for durable(). */
  private write<T>(run: () => T): T {
    this.openBatch();
    const result = run();
    this.writeGen++;
    return result;
  }

  private openBatch(): void {
    if (this.batch) return;
    this.db.exec('BEGIN IMMEDIATE');
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const committed = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    committed.catch(() => undefined); // a failed commit reaches whoever awaits it, not the process
    this.batch = { committed, resolve, reject };
    setImmediate(() => this.commitBatch());
  }

  /** Commit the open batch now (no-op without one). A failure rolls the whole batch back. */
  private commitBatch(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = null;
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.forgetUncommitted();
      b.reject(e);
      return;
    }
    this.committedGen = this.writeGen;
    b.resolve();
  }

  /**
   * Resolves once every write made so far is committed (survives a process kill): callers that
   * answered with rows they wrote without needing an fsync (a new lower entry) wait here first.
   */
  settled(): Promise<void> | undefined {
    return this.batch?.committed;
  }

  /**
   * Resolve once everything committed before the call is on stable storage. Concurrent callers
   * share one fsync of the WAL (group commit); a caller that arrives while a sync is running
   * waits for the next one, which then covers it.
   */
  async durable(): Promise<void> {
    const mine = this.writeGen;
    while (this.syncedGen < mine) {
      if (!this.syncing) {
        const b = this.batch;
        this.commitBatch();
        this.syncing = (async () => {
          if (b) await b.committed; // a failed commit fails everyone waiting for this sync
          await this.syncWal();
        })().finally(() => {
          this.syncing = null;
        });
      }
      await this.syncing;
    }
  }

  /**
   * Make what is committed durable within LAZY_SYNC_MS, without waiting: for rows that only
   * record what the lowers already say (a lower object's id and name). Losing them in a power
   * cut costs a re-lookup, never data; any later durable() covers them anyway (the WAL is
   * sequential), so no change that depends on them can become durable without them.
   */
  durableSoon(): void {
    if (this.lazySync || this.syncedGen >= this.writeGen) return;
    this.lazySync = setTimeout(() => {
      this.lazySync = null;
      this.durable().catch(() => undefined); // a failing fsync fails the next durable() caller
    }, LAZY_SYNC_MS);
    this.lazySync.unref();
  }

  private syncWal(): Promise<void> {
    const target = this.committedGen;
    if (this.walFd === null) this.walFd = openSync(`${this.path}-wal`, 'r');
    const fd = this.walFd;
    return new Promise((resolve, reject) => {
      fsync(fd, (err) => {
        if (err) return reject(err);
        if (this.syncedGen < target) this.syncedGen = target;
        resolve();
      });
    });
  }

  close(): void {
    this.commitBatch();
    if (this.lazySync) clearTimeout(this.lazySync);
    this.lazySync = null;
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
