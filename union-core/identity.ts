/**
 * Stable identities.
 *
 * An object found on lower layer L with inode number I gets fileid (L + 1) << 48 | I: computed,
 * not allocated, so every name of a lower hard link yields the same id, and the id is the same
 * after any restart even if the store row that remembers it were lost. Objects created on the
 * upper, and lower objects whose inode number does not fit 48 bits, get ids from the store's
 * counter (below 2^48, never reused). Copy-up and rename keep the id: it lives in the store, not in
 * the upper inode.
 *
 * The generation is one random number per union (its epoch): a work directory recreated from
 * scratch restarts the counter, and the new epoch makes every older handle stale instead of
 * silently naming a different object.
 */

import type { BigIntStats } from 'node:fs';
import type { NodeType } from './types.js';

const LAYER_SHIFT = 48n;
const INO_MASK = (1n << LAYER_SHIFT) - 1n;

/** The computed id of a lower object, or undefined when its inode number is too large. */
export function lowerFileid(layer: number, ino: bigint): bigint | undefined {
  if (ino <= 0n || ino > INO_MASK) return undefined;
  return (BigInt(layer + 1) << LAYER_SHIFT) | ino;
}

/** The lower layer and inode number a computed id stands for, or undefined for a counter id. */
export function lowerOrigin(id: bigint): { layer: number; ino: bigint } | undefined {
  if (id <= INO_MASK) return undefined;
  return { layer: Number(id >> LAYER_SHIFT) - 1, ino: id & INO_MASK };
}

export function kindOf(st: BigIntStats): NodeType {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'file';
}

/** overlayfs stores whiteouts as character devices with device number 0/0. */
export function isWhiteoutDevice(st: BigIntStats): boolean {
  return st.isCharacterDevice() && st.rdev === 0n;
}
