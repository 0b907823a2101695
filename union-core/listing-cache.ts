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
 */

import type { ListedEntry } from './store.js';

/** Entries of the largest directory kept. */
const PER_DIR = 65_536;

interface Snapshot {
  /** Entries with cookies up to the last one's, in cookie order (the whole directory once complete). */
  entries: ListedEntry[];
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
    const from = firstAfter(s.entries, after);
    if (!s.complete && s.entries.length - from < limit) return undefined;
    s.used = ++this.uses;
    return s.entries.slice(from, from + limit);
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
      s = { entries: [], complete: false, used: 0 };
      this.snapshots.set(dir, s);
    }
    if (s === undefined) return;
    const last = s.entries.length ? s.entries[s.entries.length - 1].cookie : 0n;
    // Continuing means starting inside what the snapshot covers: no row can be missing between.
    if (after > last) return;
    const before = s.entries.length;
    for (const r of rows) if (r.cookie > last) s.entries.push(r);
    this.held += s.entries.length - before;
    s.used = ++this.uses;
    if (s.entries.length > PER_DIR) return this.drop(dir);
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
    this.held -= s.entries.length;
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
function firstAfter(entries: ListedEntry[], after: bigint): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].cookie <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
