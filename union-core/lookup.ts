/**
 * Lookup rule: from (directory, name) to an object.
 *
 *   directory complete (listed or changed before)  -> its entry rows are the whole truth:
 *                                                      no row = not there (whiteout or never was)
 *   directory on the upper but not yet complete    -> complete it first (adopts upper content)
 *   directory only below                           -> a row from an earlier lookup, else search the
 *                                                      lower directories top-down (one lstat per
 *                                                      layer on a hit), honouring image whiteouts
 * A lower object found for the first time gets its computed id and an entry row, committed before
 * the answer (so its handle resolves after a server restart or kill) and on stable storage within
 * LAZY_SYNC_MS (store.durableSoon): an fsync per newly seen lower name would make a first walk
 * down a deep lower tree cost an fsync per component. A power cut inside that window can lose
 * only the record of names that are still in the lowers.
 */

import type { BigIntStats } from 'node:fs';
import type { UnionContext } from './context.js';
import { UnionError, type Attr, type Caller, type NodeType } from './types.js';
import { blankNode, ROOT_ID, type NodeRow } from './store.js';
import { checkName, isWhiteoutName } from './names.js';
import { dirNode, nodeOf, parentOf, lowerDirs, findInLowers } from './namespace.js';
import { getAttr, rememberLowerStat, requirePerm } from './attrs.js';
import { fail } from './errors.js';
import { kindOf, lowerFileid, lowerOrigin } from './identity.js';
import { completeDir } from './readdir.js';

/**
 * Record a lower object as (dir, name) -> id inside the current transaction, creating its node
 * row if it has none. Returns the node. Callers run this in a store transaction.
 */
export function recordLowerEntry(ctx: UnionContext, dirId: bigint, name: string, layer: number, st: BigIntStats): NodeRow {
  const existing = ctx.store.getEntry(dirId, name);
  if (existing) return nodeOf(ctx, existing.id);
  const node = lowerNode(ctx, layer, st.ino, kindOf(st));
  addEntry(ctx, dirId, name, node.id);
  return node;
}

/** The node of a lower object (its computed id; every name of a hard link shares it), created if new. */
export function lowerNode(ctx: UnionContext, layer: number, ino: bigint, kind: NodeType): NodeRow {
  const id = lowerFileid(layer, ino) ?? ctx.store.allocateIds();
  let node = ctx.store.getNode(id);
  if (!node) {
    node = { ...blankNode(id, kind), layer };
    ctx.store.putNode(node);
  }
  return node;
}

/** Insert (dir, name) -> id with the directory's next never-used cookie. */
export function addEntry(ctx: UnionContext, dirId: bigint, name: string, id: bigint): void {
  const dir = nodeOf(ctx, dirId);
  ctx.store.putEntry({ dir: dirId, name, id, cookie: dir.nextCookie });
  ctx.store.setNextCookie(dir, dir.nextCookie + 1n);
}

/** The object `name` names in a directory, and the directory's attributes the search was checked on. */
export async function lookupNode(ctx: UnionContext, dirId: bigint, name: string, caller: Caller): Promise<{ node: NodeRow; dirAttr: Attr }> {
  const dir = dirNode(ctx, dirId);
  const dirAttr = await getAttr(ctx, dir);
  requirePerm(dirAttr, caller, 1);
  if (name === '.') return { node: dir, dirAttr };
  if (name === '..') return { node: nodeOf(ctx, parentOf(ctx, dirId)), dirAttr };
  checkName(name);
  if (isWhiteoutName(name)) fail('ENOENT');
  return { node: await findChild(ctx, dirId, name), dirAttr };
}

/** The object named `name` in a directory, without permission checks (callers did them). */
export async function findChild(ctx: UnionContext, dirId: bigint, name: string): Promise<NodeRow> {
  let dir = dirNode(ctx, dirId);
  if (dir.upper && !dir.complete) {
    await completeDir(ctx, dirId);
    dir = dirNode(ctx, dirId);
  }
  const row = ctx.store.getEntry(dirId, name);
  if (row) return nodeOf(ctx, row.id);
  if (dir.complete) fail('ENOENT');
  const found = await findInLowers(await lowerDirs(ctx, dirId), name);
  if (!found) fail('ENOENT');
  const node = ctx.store.transaction(() => recordLowerEntry(ctx, dirId, name, found.layer, found.st));
  if (!node.upper && !node.indexed) rememberLowerStat(ctx, node.id, found.st);
  ctx.store.durableSoon();
  return node;
}

/**
 * Give a lower object whose recorded names are all gone a name again, through one of its other
 * visible lower names (lower-links.ts): a client's handle names the object, not one of its names.
 * False when none of them is reachable at its lower path (a directory on the way was renamed or
 * removed, or the name itself was).
 */
export async function reachByLowerName(ctx: UnionContext, node: NodeRow): Promise<boolean> {
  const origin = lowerOrigin(node.id);
  if (!origin || node.upper || node.kind === 'dir') return false;
  for (const path of ctx.store.visibleLowerPaths(origin.layer, origin.ino)) {
    try {
      let id = ROOT_ID;
      for (const part of path.split('/')) id = (await findChild(ctx, id, part)).id;
      if (id === node.id) return true;
    } catch (e) {
      if (!(e instanceof UnionError)) throw e;
    }
  }
  return false;
}
