/**
 * Attributes of upper objects, remembered while nothing changes them. The upper changes only
 * through the union, so between two changes of an upper object its attributes stay what its last
 * lstat said: a second listing of a directory, a GETATTR after a LOOKUP, the "before" attributes
 * of a SETATTR need no lstat at all.
 *
 * Two ways for a change to keep the cache right:
 * - `duringChange`, the blunt rule, for operations whose reach is wide or hard to name (renames,
 *   copy-ups, directory creation and removal, links): the cache is emptied when they start and
 *   again when they end, and nothing is remembered while one runs (its half-done state must not
 *   outlive it).
 * - `duringChangeOf(ids)`, for the frequent small changes whose objects are known — a SETATTR or
 *   WRITE of an upper object, a file created in or removed from an upper directory. The rule
 *   calls `forget(id)` right after changing an object (before it reads the new attributes), and
 *   the named ids are forgotten again when the operation ends, in case a concurrent reader
 *   remembered a state in between. The rest of the cache stays valid, so a stream of such changes
 *   still finds directories and neighbours remembered.
 */

import type { Attr } from './types.js';
import { BoundedMap } from './bounded-map.js';

/** Bound on remembered attributes. */
const MAX_ENTRIES = 100_000;

export class UpperAttrCache {
  private readonly attrs = new BoundedMap<bigint, Attr>(MAX_ENTRIES);
  private wideChangesRunning = 0;

  get(id: bigint): Attr | undefined {
    return this.attrs.get(id);
  }

  /** Remember what a fresh lstat said, unless a wide change is under way. */
  remember(id: bigint, attr: Attr): void {
    if (this.wideChangesRunning > 0) return;
    this.attrs.set(id, attr);
  }

  /** Object `id` just changed (its file or its row). */
  forget(id: bigint): void {
    this.attrs.delete(id);
  }

  async duringChange<T>(fn: () => Promise<T>): Promise<T> {
    this.wideChangesRunning++;
    this.attrs.clear();
    try {
      return await fn();
    } finally {
      this.wideChangesRunning--;
      this.attrs.clear();
    }
  }

  async duringChangeOf<T>(ids: readonly bigint[], fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      for (const id of ids) this.attrs.delete(id);
    }
  }
}
