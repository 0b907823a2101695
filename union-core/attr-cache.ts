/**
 * Attributes of upper objects, remembered while nothing changes. The upper changes only through
 * the union, so between two changing operations an upper object's attributes stay what its last
 * lstat said: a second listing of a directory, or a GETATTR after a LOOKUP, need no lstat at all.
 *
 * The rule is blunt on purpose, so no change can be missed: every changing operation empties the
 * cache when it starts and again when it ends, and nothing is remembered while one is running (its
 * half-done state must not outlive it). Query-heavy phases — listings, lookups, getattrs — hit;
 * under a stream of changes the cache stays empty and costs nothing but a counter check.
 */

import type { Attr } from './types.js';
import { BoundedMap } from './bounded-map.js';

/** Bound on remembered attributes. */
const MAX_ENTRIES = 100_000;

export class UpperAttrCache {
  private readonly attrs = new BoundedMap<bigint, Attr>(MAX_ENTRIES);
  private changesRunning = 0;

  get(id: bigint): Attr | undefined {
    return this.attrs.get(id);
  }

  /** Remember what a fresh lstat said, unless a change is under way. */
  remember(id: bigint, attr: Attr): void {
    if (this.changesRunning > 0) return;
    this.attrs.set(id, attr);
  }

  async duringChange<T>(fn: () => Promise<T>): Promise<T> {
    this.changesRunning++;
    this.attrs.clear();
    try {
      return await fn();
    } finally {
      this.changesRunning--;
      this.attrs.clear();
    }
  }
}
