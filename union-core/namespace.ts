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
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { UnionContext, LowerDir } from './context.js';
import type { NodeRow } from './store.js';
import { ROOT_ID } from './store.js';
import { fail, isErrno } from './errors.js';
import { under } from './layers.js';
import { isWhiteoutDevice } from './identity.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './names.js';
import { OBJECT_CACHE_MAX } from './bounded-map.js';

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

/** A directory's own places: its upper path (if it has one) and its lower directories by layer. */
export interface DirPlaces {
  upper: string | undefined;
  lowers: Map<number, string>;
}

export async function dirPlaces(ctx: UnionContext, dir: NodeRow): Promise<DirPlaces> {
  return {
    upper: dir.upper ? upperPath(ctx, dir.id) : undefined,
    lowers: new Map((await lowerDirs(ctx, dir.id)).map((d) => [d.layer, d.path])),
  };
}

/**
 * The backing file of object `node` through its name `name` in a directory at `places`, where
 * that is where the object lives: every name of an upper object is a link on the upper, and a
 * lower object is where its directory's lower directory of its layer has it. Spares backingPath's
 * walk up through the store (a row read per object not in the path caches, which every entry of
 * a listing misses once the objects outnumber them). Undefined where it may not hold: indexed
 * objects (their data is in work/index) and redirected directories (their lower content is
 * elsewhere).
 */
export function backingFileAt(places: DirPlaces, name: string, node: NodeRow): string | undefined {
  if (name === '..' || node.indexed) return undefined;
  if (node.upper) return places.upper === undefined ? undefined : `${places.upper}/${name}`;
  if (node.redirect !== null || node.layer === null) return undefined;
  const lower = places.lowers.get(node.layer);
  return lower === undefined ? undefined : `${lower}/${name}`;
}

/** The file whose data and attributes are the object's (index, upper, or lower copy). */
export function backingPath(ctx: UnionContext, node: NodeRow): string {
  if (node.indexed) return join(ctx.layers.indexDir, String(node.id));
  if (node.upper) return upperPath(ctx, node.id);
  return under(ctx.layers.lowers[node.layer ?? 0], lowerRel(ctx, node.id));
}

async function lstatOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await lstat(path, { bigint: true });
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return null;
    throw e;
  }
}

/** What one lower directory says about `name`: absent, hidden (a whiteout form), or an object. */
export type Probe = { is: 'absent' } | { is: 'whiteout' } | { is: 'object'; st: BigIntStats };

/**
 * Look `name` up in one lower directory, honouring the image-layer whiteout forms: a 0/0
 * character device in its place, or a `.wh.<name>` file beside it.
 */
export async function probe(dir: string, name: string): Promise<Probe> {
  const st = await lstatOrNull(join(dir, name));
  if (st !== null) return isWhiteoutDevice(st) ? { is: 'whiteout' } : { is: 'object', st };
  return (await lstatOrNull(join(dir, WHITEOUT_PREFIX + name))) !== null ? { is: 'whiteout' } : { is: 'absent' };
}

/** A lower directory marked opaque hides the layers below it. */
async function isOpaque(path: string): Promise<boolean> {
  return (await lstatOrNull(join(path, OPAQUE_MARKER))) !== null;
}

/** Bound on cached lower-directory lists. */
export const LOWER_AT_CACHE_MAX = 200_000;

/** Bound of the derived-path caches (relPath, lowerRel). */
export const PATH_CACHE_MAX = OBJECT_CACHE_MAX;

/**
 * Lower directories at lower path `rel`, highest first, as overlayfs merges them: the root of
 * every lower (down to one marked opaque); below, for each lower directory of the parent in turn,
 * the same name while it is a directory, skipping layers that lack it and stopping at a whiteout,
 * a non-directory, or after a directory marked opaque. Cached for the union's lifetime: it
 * depends on the lowers only, which never change.
 *
 *   layer 0: /a/b/     layer 1: /a (file)     layer 2: /a/b/
 *   lowerDirsAt("a")   = [0:/a]       (layer 1's file ends the merge)
 *   lowerDirsAt("a/b") = [0:/a/b]     (layer 2's /a/b is not reachable through /a)
 */
export async function lowerDirsAt(ctx: UnionContext, rel: string): Promise<LowerDir[]> {
  const cached = ctx.cache.lowerAt.get(rel);
  if (cached) return cached;
  const out: LowerDir[] = [];
  if (rel === '') {
    for (const [layer, path] of ctx.layers.lowers.entries()) {
      out.push({ layer, path });
      if (await isOpaque(path)) break;
    }
  } else {
    const slash = rel.lastIndexOf('/');
    const name = rel.slice(slash + 1);
    for (const parent of await lowerDirsAt(ctx, slash < 0 ? '' : rel.slice(0, slash))) {
      const found = await probe(parent.path, name);
      if (found.is === 'absent') continue;
      if (found.is === 'whiteout' || !found.st.isDirectory()) break;
      const path = join(parent.path, name);
      out.push({ layer: parent.layer, path });
      if (await isOpaque(path)) break;
    }
  }
  ctx.cache.lowerAt.set(rel, out);
  return out;
}

/**
 * Lower directories contributing to a merged directory, highest first: those at its lower path
 * (following redirects), from the layer it was found in down. An opaque directory has none.
 */
export async function lowerDirs(ctx: UnionContext, id: bigint): Promise<LowerDir[]> {
  const node = nodeOf(ctx, id);
  if (node.opaque) return [];
  const from = node.layer ?? 0;
  return (await lowerDirsAt(ctx, lowerRel(ctx, id))).filter((d) => d.layer >= from);
}

/** Find `name` in the lower directories of a merged directory: the highest object not hidden. */
export async function findInLowers(dirs: LowerDir[], name: string): Promise<{ layer: number; st: BigIntStats } | null> {
  for (const { layer, path } of dirs) {
    const found = await probe(path, name);
    if (found.is === 'whiteout') return null;
    if (found.is === 'object') return { layer, st: found.st };
  }
  return null;
}

const STAT_CONCURRENCY = 64;

/**
 * lstat of many names of one directory, a bounded number at a time; null where it fails. `keep`
 * picks what to retain of each stat (a listing of a million entries must not hold a million
 * BigIntStats of ~1 KB each).
 */
export async function statAll<T>(dir: string, names: string[], keep: (st: BigIntStats) => T): Promise<(T | null)[]> {
  const out = new Array<T | null>(names.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      const st = await lstat(join(dir, names[i]), { bigint: true }).catch(() => null);
      out[i] = st === null ? null : keep(st);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, names.length) }, worker));
  return out;
}

export { lstatOrNull };
