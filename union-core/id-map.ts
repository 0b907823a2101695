/**
 * A bounded map from object ids to values, for the per-object caches (node rows, attributes,
 * lower stats, handle MACs, paths). Ids are kept in pages of PAGE consecutive ids, and the pages
 * in a Map.
 *
 * Why not a Map keyed by id: a listing looks up every entry in three of these caches, and a V8
 * Map puts each key in a bucket picked by a scrambling hash, so each lookup in a table of 10^5
 * entries lands somewhere new in a few MiB of memory. Inside a listing (which touches plenty of
 * other memory in between) such a lookup cost ~0.3 µs, against ~40 ns in a loop doing nothing
 * else: a third of a READDIRPLUS entry's CPU. Entries of a directory mostly have consecutive ids
 * (they were created one after another, or are neighbouring lower inodes), so with pages, the
 * page of the previous lookup is usually the page of the next one (kept at hand: no Map lookup
 * at all), and the Map is PAGE times smaller.
 *
 * The page size bounds the waste where ids are scattered: a page costs ~200 bytes whether it
 * holds one id or sixteen (a Map slot cost ~30 per id).
 *
 * Page keys: up to 2^53 a number (V8 hashes a small number key as an integer, a BigInt from its
 * digits: ~105 against ~380 ns among 10^5 keys), above it the BigInt itself; the key's type
 * follows from the value, so one page never has two keys.
 *
 * When full, every other entry in page order is dropped: ids follow creation order, so this spreads
 * the loss over old and recent entries alike (bounded-map.ts explains why that matters).
 */

type PageKey = number | bigint;

/** Ids per page. */
const PAGE = 16;
const BIG_PAGE = BigInt(PAGE);
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

interface Page<V> {
  slots: (V | undefined)[];
  /** Slots holding a value. */
  used: number;
}

export class IdMap<V> {
  private readonly pages = new Map<PageKey, Page<V>>();
  private count = 0;
  /** Pages with no value left. They stay until a sweep (see `pageOf`). */
  private emptyPages = 0;
  /** The page of the last access, and its key. */
  private lastKey: PageKey | undefined = undefined;
  private lastPage: Page<V> | undefined = undefined;
  /** The slot in its page of the id `pageOf` was last asked for. */
  private slot = 0;

  /**
   * @param bound entries held at most
   * @param dropped told of each value dropped to stay within the bound
   */
  constructor(
    private readonly bound: number,
    private readonly dropped?: (value: V) => void,
  ) {}

  get size(): number {
    return this.count;
  }

  get(id: bigint): V | undefined {
    return this.pageOf(id, false)?.slots[this.slot];
  }

  set(id: bigint, value: V): void {
    let page = this.pageOf(id, false);
    if (page === undefined || page.slots[this.slot] === undefined) {
      if (this.count >= this.bound) {
        this.dropEveryOther();
        page = undefined;
      }
      page ??= this.pageOf(id, true)!;
      if (page.used++ === 0) this.emptyPages--;
      this.count++;
    }
    page.slots[this.slot] = value;
  }

  /** Remove `id`; returns the value it had. */
  delete(id: bigint): V | undefined {
    const page = this.pageOf(id, false);
    const value = page?.slots[this.slot];
    if (page === undefined || value === undefined) return undefined;
    page.slots[this.slot] = undefined;
    this.count--;
    if (--page.used === 0 && ++this.emptyPages > Math.max(64, this.pages.size / 2)) this.sweep();
    return value;
  }

  clear(): void {
    this.pages.clear();
    this.count = 0;
    this.emptyPages = 0;
    this.lastKey = this.lastPage = undefined;
  }

  /** Drop every other entry, in page order (what `set` does when the map is full). */
  dropEveryOther(): void {
    let keep = false;
    for (const page of this.pages.values()) {
      for (let i = 0; i < PAGE; i++) {
        const value = page.slots[i];
        if (value === undefined) continue;
        keep = !keep;
        if (keep) continue;
        page.slots[i] = undefined;
        this.count--;
        if (--page.used === 0) this.emptyPages++;
        this.dropped?.(value);
      }
    }
    this.sweep();
  }

  /**
   * The page of `id` (made if `make`), with `this.slot` set to the id's slot in it. Pages emptied
   * by deletions are not removed at once: a V8 Map keeps a deleted key in its bucket's chain until
   * the table is rebuilt, and one page emptied and refilled over and over (a directory's id,
   * forgotten and remembered again by each creation in it) made that key's chain tens of
   * thousands of entries long (26 µs per forget/remember pair in a 100,000-entry Map). Sweeps
   * remove empty pages in bulk instead.
   */
  private pageOf(id: bigint, make: boolean): Page<V> | undefined {
    let key: PageKey;
    if (id <= MAX_EXACT) {
      const n = Number(id);
      key = Math.floor(n / PAGE);
      this.slot = n - key * PAGE;
    } else {
      const big = id / BIG_PAGE;
      this.slot = Number(id - big * BIG_PAGE);
      key = big <= MAX_EXACT ? Number(big) : big;
    }
    if (key === this.lastKey) return this.lastPage;
    let page = this.pages.get(key);
    if (page === undefined) {
      if (!make) return undefined;
      page = { slots: new Array<V | undefined>(PAGE).fill(undefined), used: 0 };
      this.pages.set(key, page);
      this.emptyPages++;
    }
    this.lastKey = key;
    this.lastPage = page;
    return page;
  }

  private sweep(): void {
    for (const [key, page] of this.pages) if (page.used === 0) this.pages.delete(key);
    this.emptyPages = 0;
    this.lastKey = this.lastPage = undefined;
  }
}
