/**
 * A bounded cache from ids to fixed-width records of numbers, kept in typed arrays instead of
 * objects. The attribute and lower-stat caches hold up to 2^17 entries each; as objects (an
 * Attr is eight heap objects with its times, device and bigints) they were most of the live heap,
 * and every full GC marked them all, so the heap grew and each collection cost more. Here an
 * entry is a slot in an IdMap (id-map.ts) plus a row of two typed arrays the GC never looks into;
 * readers build a short-lived object from the row (young-generation garbage, cheap to collect).
 *
 * When full, every other entry is dropped (bounded-map.ts explains why), and its row is reused.
 */

import { IdMap } from './id-map.js';

const INITIAL_ROWS = 1024;

export class PackedCache {
  private readonly rows: IdMap<number>;
  private readonly freeRows: number[] = [];
  private nextRow = 0;
  /** Rows the arrays have room for. */
  private capacity: number;
  /** Number fields, `numWidth` per row. */
  nums: Float64Array;
  /** Int64 fields, `bigWidth` per row (unsigned values wrap: read them with BigInt.asUintN). */
  bigs: BigInt64Array;

  constructor(
    private readonly bound: number,
    readonly numWidth: number,
    readonly bigWidth: number,
  ) {
    this.rows = new IdMap(bound, (row) => this.freeRows.push(row));
    this.capacity = Math.min(INITIAL_ROWS, bound);
    this.nums = new Float64Array(this.capacity * numWidth);
    this.bigs = new BigInt64Array(this.capacity * bigWidth);
  }

  /** Entries held. */
  get size(): number {
    return this.rows.size;
  }

  /** The row of `id`, or -1. */
  find(id: bigint): number {
    return this.rows.get(id) ?? -1;
  }

  /** A row for `id` to (over)write: its own if it has one, else a free one. */
  claim(id: bigint): number {
    const own = this.rows.get(id);
    if (own !== undefined) return own;
    // Room first, so the row of a dropped entry can be this one's.
    if (this.rows.size >= this.bound) this.rows.dropEveryOther();
    const row = this.freeRows.pop() ?? this.newRow();
    this.rows.set(id, row);
    return row;
  }

  /** Forget `id`; its row is free for another. */
  delete(id: bigint): void {
    const row = this.rows.delete(id);
    if (row !== undefined) this.freeRows.push(row);
  }

  clear(): void {
    this.rows.clear();
    this.freeRows.length = 0;
    this.nextRow = 0;
  }

  private newRow(): number {
    const row = this.nextRow++;
    if (row >= this.capacity) {
      this.capacity = Math.min(this.bound, row * 2);
      const nums = new Float64Array(this.capacity * this.numWidth);
      nums.set(this.nums);
      const bigs = new BigInt64Array(this.capacity * this.bigWidth);
      bigs.set(this.bigs);
      this.nums = nums;
      this.bigs = bigs;
    }
    return row;
  }
}
