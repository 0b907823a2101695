/**
 * A Map with a size bound for caches: when full, the older half of its entries (insertion order)
 * is dropped. Dropping everything at the bound made a working set just above it miss on every
 * access (a 100,000-entry listing through a 100,000-entry cache); keeping the newer half keeps
 * what was used last.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly bound: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.bound && !this.has(key)) {
      let drop = this.size - Math.floor(this.bound / 2);
      for (const k of this.keys()) {
        if (drop-- <= 0) break;
        this.delete(k);
      }
    }
    return super.set(key, value);
  }
}
