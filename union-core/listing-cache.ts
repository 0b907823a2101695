/**
 * Entry rows of recently listed directories, kept in cookie order, so that listing a directory
 * again reads no rows from SQLite. Reading a row there is cheap (~0.08 µs a step), but making it
 * into JavaScript values is not: ~0.45 µs a row for a name and two integers, a quarter of a
 * READDIRPLUS entry's CPU. ganesha keeps directory entries in memory the same way (its dirent
 * chunks).
 *
 * A snapshot is built by the listings themselves: one that starts at the beginning of a directory
 * starts it, each page read from the store that continues it extends it, and a page that reaches
 * the end of a complete directory completes it. From then on any page of the directory is served
 * from it. It is exact, not a guess: the store drops a directory's snapshot on every write of one
 * of its entries, and every snapshot when a transaction is undone (the snapshot may hold rows it
 * wrote).
 *
 * Bounds: a directory of more than PER_DIR entries is never kept (its listings go on reading the
 * store, page by page, as before), and all snapshots together hold at most `maxEntries` entries;
 * past that the least recently used are dropped.
 *
 * A snapshot holds its names and, in typed arrays, its ids and cookies: one heap object per entry
 * (the name) instead of four. A walk over a tree of a million files snapshots every directory on
 * the way and drops it later; each kept object lives long enough to reach the old generation, and
 * with four per entry that walk peaked ~12 MiB higher.
 */

import type { ListedEntry } from './store.js';

/** Entries of the largest directory kept. */
const PER_DIR = 65_536;

/**
 * Entries with cookies up to the last one's, in cookie order (the whole directory once complete):
 * entry i is names[i], ids[i], cookies[i].
 */
interface Snapshot {
  names: string[];
  ids: BigInt64Array;
  cookies: BigInt64Array;
  length: number;
  complete: boolean;
  /** Value of the use counter when last used (for dropping the least recently used). */
  used: number;
}

export class ListingCache {
  private readonly snapshots = new Map<bigint, Snapshot>();
  private held = 0;
  private uses = 0;

  constructor(private readonly maxEntries: number) {}

  /** Entries of `dir` after cookie `after`, at most `limit`, if the snapshot has them all. */
  page(dir: bigint, after: bigint, limit: number): ListedEntry[] | undefined {
    const s = this.snapshots.get(dir);
    if (s === undefined) return undefined;
    const from = firstAfter(s, after);
    if (!s.complete && s.length - from < limit) return undefined;
    s.used = ++this.uses;
    const end = Math.min(s.length, from + limit);
    const page = new Array<ListedEntry>(end - from);
    // Ids above 2^63 are stored wrapped (a lower object of a high layer): unwrap.
    for (let i = from; i < end; i++) page[i - from] = { name: s.names[i], id: BigInt.asUintN(64, s.ids[i]), cookie: s.cookies[i] };
    return page;
  }

  /**
   * `rows`, the entries of `dir` after `after` the store just read for a page of at most `limit`:
   * they start a snapshot (a listing from the beginning) or extend one they continue. `complete`:
   * the directory has all its rows (fewer than `limit` rows then means the end).
   */
  offer(dir: bigint, after: bigint, limit: number, rows: ListedEntry[], complete: boolean): void {
    let s = this.snapshots.get(dir);
    if (s?.complete) return;
    if (after === 0n) {
      this.drop(dir);
      s = { names: [], ids: new BigInt64Array(rows.length), cookies: new BigInt64Array(rows.length), length: 0, complete: false, used: 0 };
      this.snapshots.set(dir, s);
    }
    if (s === undefined) return;
    const last = s.length ? s.cookies[s.length - 1] : 0n;
    // Continuing means starting inside what the snapshot covers: no row can be missing between.
    if (after > last) return;
    const before = s.length;
    for (const r of rows) {
      if (r.cookie <= last) continue;
      if (s.length === PER_DIR) {
        this.held += s.length - before;
        return this.drop(dir);
      }
      if (s.length === s.ids.length) grow(s);
      s.names.push(r.name);
      s.ids[s.length] = BigInt.asIntN(64, r.id);
      s.cookies[s.length] = r.cookie;
      s.length++;
    }
    this.held += s.length - before;
    s.used = ++this.uses;
    if (rows.length < limit && complete) s.complete = true;
    if (this.held > this.maxEntries) this.shrink();
  }

  /** `dir`'s entries changed. */
  forget(dir: bigint): void {
    if (this.snapshots.size > 0) this.drop(dir);
  }

  clear(): void {
    this.snapshots.clear();
    this.held = 0;
  }

  private drop(dir: bigint): void {
    const s = this.snapshots.get(dir);
    if (s === undefined) return;
    this.held -= s.length;
    this.snapshots.delete(dir);
  }

  /** Drop the least recently used snapshots until a quarter of the bound is free. */
  private shrink(): void {
    const byUse = [...this.snapshots].sort((a, b) => a[1].used - b[1].used);
    for (const [dir] of byUse) {
      if (this.held <= (this.maxEntries * 3) / 4) return;
      this.drop(dir);
    }
  }
}

/** Index of the first entry with a cookie above `after` (binary search: cookies only grow). */
function firstAfter(s: Snapshot, after: bigint): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.cookies[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Room for twice as many ids and cookies. */
function grow(s: Snapshot): void {
  const ids = new BigInt64Array(Math.max(16, s.ids.length * 2));
  ids.set(s.ids);
  const cookies = new BigInt64Array(ids.length);
  cookies.set(s.cookies);
  s.ids = ids;
  s.cookies = cookies;
}
