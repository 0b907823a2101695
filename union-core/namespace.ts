/**
 * Where things are: from a fileid to its node row, its parent, its path in the merged namespace,
 * its upper path, the lower directories that contribute to a merged directory, and the file that
 * backs its data and attributes.
 *
 * Worked example (two lowers, directory `a` renamed to `b` after `a/x` was looked up):
 *   entry rows:  (root, "b") -> A,  (A, "x") -> X        node A: upper, redirect "a"
 *   relPath(X)   = "b/x"           upper file would be   <upper>/b/x
 *   lowerRel(X)  = lowerRel(A) + "/x" = "a/x"            lower file is  <lower k>/a/x
 */

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnionContext, LowerDir } from './context.js';
import type { NodeRow } from './store.js';
import { ROOT_ID } from './store.js';
import { fail, isErrno } from './errors.js';
import { under } from './layers.js';
import { isWhiteoutDevice } from './identity.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './names.js';

export function nodeOf(ctx: UnionContext, id: bigint): NodeRow {
  const n = ctx.store.getNode(id);
  if (!n) fail('ESTALE', `no object with fileid ${id}`);
  return n;
}

export function dirNode(ctx: UnionContext, id: bigint): NodeRow {
  const n = nodeOf(ctx, id);
  if (n.kind !== 'dir') fail('ENOTDIR');
  return n;
}

/** The directory holding (one name of) `id`; the root is its own parent. */
export function parentOf(ctx: UnionContext, id: bigint): bigint {
  if (id === ROOT_ID) return ROOT_ID;
  const link = ctx.store.linkOf(id);
  if (!link) fail('ESTALE', `fileid ${id} has no name`);
  return link.dir;
}

/** Path of `id` in the merged namespace, relative to the root ('' for the root). */
export function relPath(ctx: UnionContext, id: bigint): string {
  if (id === ROOT_ID) return '';
  const cached = ctx.cache.rel.get(id);
  if (cached !== undefined) return cached;
  const link = ctx.store.linkOf(id);
  if (!link) fail('ESTALE', `fileid ${id} has no name`);
  const parent = relPath(ctx, link.dir);
  const rel = parent === '' ? link.name : `${parent}/${link.name}`;
  ctx.cache.rel.set(id, rel);
  return rel;
}

export function upperPath(ctx: UnionContext, id: bigint): string {
  return under(ctx.layers.upper, relPath(ctx, id));
}

/** Path of the object's lower content relative to each lower root, following redirects. */
export function lowerRel(ctx: UnionContext, id: bigint): string {
  if (id === ROOT_ID) return '';
  const cached = ctx.cache.lowerRel.get(id);
  if (cached !== undefined) return cached;
  const node = nodeOf(ctx, id);
  let rel: string;
  if (node.redirect !== null) {
    rel = node.redirect;
  } else {
    const link = ctx.store.linkOf(id);
    if (!link) fail('ESTALE', `fileid ${id} has no name`);
    const parent = lowerRel(ctx, link.dir);
    rel = parent === '' ? link.name : `${parent}/${link.name}`;
  }
  ctx.cache.lowerRel.set(id, rel);
  return rel;
}

/** The file whose data and attributes are the object's (index, upper, or lower copy). */
export function backingPath(ctx: UnionContext, node: NodeRow): string {
  if (node.indexed) return join(ctx.layers.indexDir, String(node.id));
  if (node.upper) return upperPath(ctx, node.id);
  return under(ctx.layers.lowers[node.layer ?? 0], lowerRel(ctx, node.id));
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path, { bigint: true });
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return null;
    throw e;
  }
}

/** True if a lower layer hides `rel` with a `.wh.<name>` file next to it. */
async function hasWhiteoutFile(root: string, rel: string): Promise<boolean> {
  const slash = rel.lastIndexOf('/');
  const dir = slash < 0 ? '' : rel.slice(0, slash);
  const name = rel.slice(slash + 1);
  return (await lstatOrNull(join(under(root, dir), WHITEOUT_PREFIX + name))) !== null;
}

/**
 * Lower directories contributing to a merged directory, highest first: start at the layer the
 * directory was found in and go down while the same path is a directory, stopping at a whiteout,
 * a non-directory, or after a directory marked opaque.
 */
export async function lowerDirs(ctx: UnionContext, id: bigint): Promise<LowerDir[]> {
  const cached = ctx.cache.lowerDirs.get(id);
  if (cached) return cached;
  const node = nodeOf(ctx, id);
  const out: LowerDir[] = [];
  if (!node.opaque) {
    const rel = lowerRel(ctx, id);
    const lowers = ctx.layers.lowers;
    for (let layer = node.layer ?? 0; layer < lowers.length; layer++) {
      const path = under(lowers[layer], rel);
      const st = await lstatOrNull(path);
      if (st === null) {
        if (rel !== '' && (await hasWhiteoutFile(lowers[layer], rel))) break;
        continue;
      }
      if (!st.isDirectory()) break;
      out.push({ layer, path });
      if ((await lstatOrNull(join(path, OPAQUE_MARKER))) !== null) break;
    }
  }
  ctx.cache.lowerDirs.set(id, out);
  return out;
}

/**
 * Find `name` in the lower directories of a merged directory, honouring the image-layer whiteout
 * forms (`.wh.<name>` beside it, a 0/0 character device in its place).
 */
export async function findInLowers(dirs: LowerDir[], name: string) {
  for (const { layer, path } of dirs) {
    const st = await lstatOrNull(join(path, name));
    if (st !== null) {
      if (isWhiteoutDevice(st)) return null;
      return { layer, st };
    }
    if ((await lstatOrNull(join(path, WHITEOUT_PREFIX + name))) !== null) return null;
  }
  return null;
}

export { lstatOrNull };
