/**
 * A bounded cache from ids to fixed-width records of numbers, kept in typed arrays instead of
 * objects. The attribute and lower-stat caches hold up to 100,000 entries each; as objects (an
 * Attr is eight heap objects with its times, device and bigints) they were most of the live heap,
 * and every full GC marked them all, so the heap grew and each collection cost more. Here an
 * entry is one Map slot (keyed as id-map.ts explains) plus a row of two typed arrays the GC never looks into; readers build a
 * short-lived object from the row (young-generation garbage, cheap to collect).
 *
 * When full, every other entry is dropped (bounded-map.ts explains why).
 *
 * Forgetting an id keeps its Map slot and its row, marked forgotten (a negative row number), until
 * the id is remembered again or evicted. V8 leaves a deleted Map entry in its bucket's chain until
 * the table is rebuilt, so deleting and re-adding one key over and over (a directory's attributes,
 * forgotten and remembered again by every creation in it) made that key's chain tens of thousands
 * of entries long: 26 µs per forget/remember pair in a 100,000-entry Map, a tenth of a creation.
 */

import { dropEveryOther } from './bounded-map.js';
import { idKey, type IdKey } from './id-map.js';

const INITIAL_ROWS = 1024;

export class PackedCache {
  private readonly rows = new Map<IdKey, number>();
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
    this.capacity = Math.min(INITIAL_ROWS, bound);
    this.nums = new Float64Array(this.capacity * numWidth);
    this.bigs = new BigInt64Array(this.capacity * bigWidth);
  }

  /** Entries held, forgotten ones included (they count against the bound). */
  get size(): number {
    return this.rows.size;
  }

  /** The row of `id`, or -1. */
  find(id: bigint): number {
    const row = this.rows.get(idKey(id));
    return row === undefined || row < 0 ? -1 : row;
  }

  /** A row for `id` to (over)write: its own if it has one (forgotten or not), else a free one. */
  claim(id: bigint): number {
    const key = idKey(id);
    const own = this.rows.get(key);
    if (own !== undefined) {
      if (own >= 0) return own;
      this.rows.set(key, forgottenRow(own));
      return forgottenRow(own);
    }
    if (this.rows.size >= this.bound) dropEveryOther(this.rows, (row) => this.freeRows.push(row < 0 ? forgottenRow(row) : row));
    const row = this.freeRows.pop() ?? this.newRow();
    this.rows.set(key, row);
    return row;
  }

  /** Forget `id` (see above: its slot and row stay reserved for it). */
  delete(id: bigint): void {
    const key = idKey(id);
    const row = this.rows.get(key);
    if (row === undefined || row < 0) return;
    this.rows.set(key, forgottenRow(row));
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

/** A forgotten entry's Map value from its row, and back (the same map both ways: -1 - row). */
function forgottenRow(value: number): number {
  return -1 - value;
}
