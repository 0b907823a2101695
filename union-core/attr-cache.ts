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

import type { Attr, NodeType } from './types.js';
import { PackedCache } from './packed-cache.js';
import { OBJECT_CACHE_MAX } from './bounded-map.js';

/** Bound on remembered attributes. */
const MAX_ENTRIES = OBJECT_CACHE_MAX;

const TYPES: readonly NodeType[] = ['file', 'dir', 'symlink', 'char', 'block', 'socket', 'fifo'];
// Fields of a packed Attr: numbers, then the 64-bit ones.
const N_TYPE = 0, N_MODE = 1, N_NLINK = 2, N_UID = 3, N_GID = 4, N_MAJOR = 5, N_MINOR = 6, N_GENERATION = 7;
const N_ATIME = 8, N_MTIME = 10, N_CTIME = 12, NUM_WIDTH = 14;
const B_SIZE = 0, B_USED = 1, B_FILEID = 2, BIG_WIDTH = 3;

export class UpperAttrCache {
  private readonly attrs = new PackedCache(MAX_ENTRIES, NUM_WIDTH, BIG_WIDTH);
  private wideChangesRunning = 0;
  /**
   * Counts forgets and clears. A reader whose lstat ran off the event loop (stat-thread.ts)
   * remembers what it saw only if this did not move meanwhile: a change may have come between.
   */
  changes = 0;

  get(id: bigint): Attr | undefined {
    const row = this.attrs.find(id);
    if (row < 0) return undefined;
    const n = this.attrs.nums;
    const o = row * NUM_WIDTH;
    const b = this.attrs.bigs;
    const ob = row * BIG_WIDTH;
    return {
      type: TYPES[n[o + N_TYPE]],
      mode: n[o + N_MODE],
      nlink: n[o + N_NLINK],
      uid: n[o + N_UID],
      gid: n[o + N_GID],
      size: BigInt.asUintN(64, b[ob + B_SIZE]),
      used: BigInt.asUintN(64, b[ob + B_USED]),
      rdev: { major: n[o + N_MAJOR], minor: n[o + N_MINOR] },
      fileid: BigInt.asUintN(64, b[ob + B_FILEID]),
      generation: n[o + N_GENERATION],
      atime: { sec: n[o + N_ATIME], nsec: n[o + N_ATIME + 1] },
      mtime: { sec: n[o + N_MTIME], nsec: n[o + N_MTIME + 1] },
      ctime: { sec: n[o + N_CTIME], nsec: n[o + N_CTIME + 1] },
    };
  }

  /** Remember what a fresh lstat said, unless a wide change is under way. */
  remember(id: bigint, attr: Attr): void {
    if (this.wideChangesRunning > 0) return;
    const row = this.attrs.claim(id);
    const n = this.attrs.nums;
    const o = row * NUM_WIDTH;
    n[o + N_TYPE] = TYPES.indexOf(attr.type);
    n[o + N_MODE] = attr.mode;
    n[o + N_NLINK] = attr.nlink;
    n[o + N_UID] = attr.uid;
    n[o + N_GID] = attr.gid;
    n[o + N_MAJOR] = attr.rdev.major;
    n[o + N_MINOR] = attr.rdev.minor;
    n[o + N_GENERATION] = attr.generation;
    n[o + N_ATIME] = attr.atime.sec;
    n[o + N_ATIME + 1] = attr.atime.nsec;
    n[o + N_MTIME] = attr.mtime.sec;
    n[o + N_MTIME + 1] = attr.mtime.nsec;
    n[o + N_CTIME] = attr.ctime.sec;
    n[o + N_CTIME + 1] = attr.ctime.nsec;
    const b = this.attrs.bigs;
    const ob = row * BIG_WIDTH;
    b[ob + B_SIZE] = attr.size;
    b[ob + B_USED] = attr.used;
    b[ob + B_FILEID] = attr.fileid;
  }

  /** Object `id` just changed (its file or its row). */
  forget(id: bigint): void {
    this.changes++;
    this.attrs.delete(id);
  }

  async duringChange<T>(fn: () => Promise<T>): Promise<T> {
    this.wideChangesRunning++;
    this.changes++;
    this.attrs.clear();
    try {
      return await fn();
    } finally {
      this.wideChangesRunning--;
      this.changes++;
      this.attrs.clear();
    }
  }

  async duringChangeOf<T>(ids: readonly bigint[], fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      for (const id of ids) this.forget(id);
    }
  }
}
