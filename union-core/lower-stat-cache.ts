/**
 * Recent lstats of lower objects by fileid, packed (packed-cache.ts): a first listing of a big
 * merged directory remembers one per entry, and as objects of eleven bigints they weighed about
 * 400 bytes each in the heap.
 */

import type { StatCore } from './attrs.js';
import { PackedCache } from './packed-cache.js';

// The stat's fields, all 64-bit (ino and rdev are unsigned: read back with asUintN).
const INO = 0, MODE = 1, NLINK = 2, UID = 3, GID = 4, RDEV = 5, SIZE = 6, BLOCKS = 7, ATIME = 8, MTIME = 9, CTIME = 10;
const BIG_WIDTH = 11;
/** The one number field: when the stat was taken (performance.now()). */
const NUM_WIDTH = 1;

export class LowerStatCache {
  private readonly stats: PackedCache;

  constructor(bound: number) {
    this.stats = new PackedCache(bound, NUM_WIDTH, BIG_WIDTH);
  }

  remember(id: bigint, st: StatCore, at: number): void {
    const row = this.stats.claim(id);
    this.stats.nums[row] = at;
    const b = this.stats.bigs;
    const o = row * BIG_WIDTH;
    b[o + INO] = st.ino;
    b[o + MODE] = st.mode;
    b[o + NLINK] = st.nlink;
    b[o + UID] = st.uid;
    b[o + GID] = st.gid;
    b[o + RDEV] = st.rdev;
    b[o + SIZE] = st.size;
    b[o + BLOCKS] = st.blocks;
    b[o + ATIME] = st.atimeNs;
    b[o + MTIME] = st.mtimeNs;
    b[o + CTIME] = st.ctimeNs;
  }

  /** The row of `id`'s remembered stat, or -1 (read it with takenAt and statAt). */
  find(id: bigint): number {
    return this.stats.find(id);
  }

  /** When the stat in `row` was taken (performance.now()). */
  takenAt(row: number): number {
    return this.stats.nums[row];
  }

  statAt(row: number): StatCore {
    const b = this.stats.bigs;
    const o = row * BIG_WIDTH;
    return {
      ino: BigInt.asUintN(64, b[o + INO]),
      mode: b[o + MODE],
      nlink: b[o + NLINK],
      uid: b[o + UID],
      gid: b[o + GID],
      rdev: BigInt.asUintN(64, b[o + RDEV]),
      size: b[o + SIZE],
      blocks: b[o + BLOCKS],
      atimeNs: b[o + ATIME],
      mtimeNs: b[o + MTIME],
      ctimeNs: b[o + CTIME],
    };
  }

  delete(id: bigint): void {
    this.stats.delete(id);
  }
}
