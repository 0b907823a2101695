/**
 * Size bounds for caches. When a cache is full, every other entry (in insertion order) is dropped:
 * half of the old entries and half of the recent ones stay.
 *
 * Why not the older half: clients go over a tree in the same order again and again (LOOKUP each
 * file, then GETATTR each, then list every directory), and a pass over a working set just above the
 * bound, through a cache that drops its older half, finds none of the entries it needs: they are
 * exactly the older half. Dropping everything at the bound fails the same way. Spread evenly, a
 * pass over 100,100 entries through a 100,000-entry cache hits half of them, and a pass over
 * 150,000 a fifth, in a simulation of that sequence (both policies: 0%).
 */
export function dropEveryOther<K, V>(map: Map<K, V>, dropped?: (value: V) => void): void {
  let keep = false;
  for (const [key, value] of map) {
    keep = !keep;
    if (keep) continue;
    map.delete(key);
    dropped?.(value);
  }
}

/**
 * Bound of the per-object caches (node rows, attributes, lower stats, derived paths, handle
 * MACs): 2^17. A Map of 100,000 entries already has a table of 2^17 slots, so the last 31,072
 * entries cost only their payload; and a working set of "100,000 files and their directories"
 * fits instead of losing half of itself to the first eviction.
 */
export const OBJECT_CACHE_MAX = 131_072;

/** A Map with a size bound, for caches (see dropEveryOther). */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly bound: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.bound && !this.has(key)) dropEveryOther(this);
    return super.set(key, value);
  }
}
