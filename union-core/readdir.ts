/**
 * Readdir rule: persistent fallthrus and stable cookies.
 *
 * The first time a directory is listed or changed it is *completed*: every visible entry of every
 * layer (upper first, then the lowers top-down; whiteouts and opaque markers honoured, each name
 * once) gets an entry row with a cookie, in one transaction. From then on the rows are the
 * directory: a listing is one index range scan `cookie > c ORDER BY cookie LIMIT n`, so each call
 * costs O(entries returned), a cookie stays valid across creates, removes, renames and restarts,
 * and new entries get new, never-reused cookies (the directory's counter only grows).
 */

import { readdir } from 'node:fs/promises';
import type { UnionContext } from './context.js';
import type { Caller, DirEntry, NodeType, ReaddirResult } from './types.js';
import { blankNode } from './store.js';
import { dirNode, nodeOf, lowerDirs, upperPath, statAll } from './namespace.js';
import { attrAtHand, coreOf, getAttr, rememberLowerStat, requirePerm, LOWER_STAT_MAX, type StatCore } from './attrs.js';
import { isWhiteoutDevice, kindOf } from './identity.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './names.js';
import { lowerNode } from './lookup.js';

interface Found {
  name: string;
  /** null: found on the upper (adopted content the store did not know). */
  layer: number | null;
  kind: NodeType;
  ino: bigint;
  /** The stat, kept for the lower-stat cache while it can hold them (a huge directory keeps none). */
  st?: StatCore;
}

/**
 * Entries of one completion whose stats are kept for the lower-stat cache: the half of its bound
 * that the cache keeps when it overflows (attrs.ts, bounded-map.ts).
 */
const KEEP_STATS = LOWER_STAT_MAX / 2;

/**
 * Gather the visible entries of all layers of a directory that have no row yet (`known` are the
 * names with rows); no store changes.
 */
async function gatherLayers(ctx: UnionContext, dirId: bigint, upper: boolean, known: Set<string>): Promise<Found[]> {
  const seen = new Set<string>();
  const found: Found[] = [];
  let keptStats = 0;
  const take = async (path: string, layer: number | null, names: string[]) => {
    const stats = await statAll(path, names, (st) => ({
      whiteout: isWhiteoutDevice(st),
      kind: kindOf(st),
      ino: st.ino,
      st: keptStats++ < KEEP_STATS ? coreOf(st) : undefined,
    }));
    const hiddenBelow: string[] = [];
    names.forEach((name, i) => {
      const got = stats[i];
      if (got === null) return;
      if (layer !== null && got.whiteout) {
        hiddenBelow.push(name);
        return;
      }
      found.push({ name, layer, kind: got.kind, ino: got.ino, st: got.st });
      seen.add(name);
    });
    for (const h of hiddenBelow) seen.add(h);
  };
  if (upper) {
    const names = (await readdir(upperPath(ctx, dirId))).filter((n) => !known.has(n));
    await take(upperPath(ctx, dirId), null, names);
  }
  for (const { layer, path } of await lowerDirs(ctx, dirId)) {
    const names: string[] = [];
    const whiteouts: string[] = [];
    for (const name of await readdir(path)) {
      if (name === OPAQUE_MARKER) continue;
      if (name.startsWith(WHITEOUT_PREFIX)) whiteouts.push(name.slice(WHITEOUT_PREFIX.length));
      else if (!seen.has(name)) names.push(name);
    }
    await take(path, layer, names);
    for (const w of whiteouts) seen.add(w);
  }
  return found;
}

/** Record every visible entry of a directory as rows, once. */
export async function completeDir(ctx: UnionContext, dirId: bigint): Promise<void> {
  if (dirNode(ctx, dirId).complete) return;
  await ctx.locks.with([`complete:${dirId}`], async () => {
    const dir = dirNode(ctx, dirId);
    if (dir.complete) return;
    const known = new Set(ctx.store.entryNames(dirId));
    const found = (await gatherLayers(ctx, dirId, dir.upper, known)).filter((f) => !known.has(f.name));
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    ctx.store.transaction(() => {
      // Cookies handed out in one go; the directory row is written once, with the next free one.
      let cookie = dirNode(ctx, dirId).nextCookie;
      for (const f of found) {
        let id: bigint;
        if (f.layer !== null) {
          id = lowerNode(ctx, f.layer, f.ino, f.kind).id;
          if (f.st) rememberLowerStat(ctx, id, f.st);
        } else {
          id = ctx.store.allocateIds();
          // Content found on the upper that the store never saw (an upper populated by hand): adopt
          // it; a directory merges with its lower namesakes as overlayfs would.
          ctx.store.putNode({ ...blankNode(id, f.kind), upper: true, layer: 0 });
        }
        ctx.store.putEntry({ dir: dirId, name: f.name, id, cookie: cookie++ });
      }
      ctx.store.putNode({ ...dirNode(ctx, dirId), nextCookie: cookie, complete: true });
    });
    await ctx.store.durable();
    if (found.length > 1000) ctx.log('info', 'recorded fallthrus of a merged directory', { fileid: String(dirId), entries: found.length });
  });
}

export async function readdirRule(
  ctx: UnionContext,
  dirId: bigint,
  cookie: bigint,
  limit: number,
  withAttrs: boolean,
  caller: Caller,
): Promise<ReaddirResult> {
  const dir = dirNode(ctx, dirId);
  requirePerm(await getAttr(ctx, dir), caller, 4);
  await completeDir(ctx, dirId);
  const rows = ctx.store.entryPage(dirId, cookie, limit + 1);
  const eof = rows.length <= limit;
  if (!eof) rows.length = limit;
  const entries: DirEntry[] = rows.map((r) => ({ name: r.name, fileid: r.id, cookie: r.cookie, type: nodeOf(ctx, r.id).kind }));
  if (withAttrs) {
    const waiting: Promise<void>[] = [];
    for (const e of entries) {
      const node = nodeOf(ctx, e.fileid);
      e.attr = attrAtHand(ctx, node);
      if (e.attr) continue;
      waiting.push(
        getAttr(ctx, node).then(
          (attr) => void (e.attr = attr),
          // A vanished lower entry is reported by getAttr; the listing still shows the name.
          () => undefined,
        ),
      );
    }
    await Promise.all(waiting);
  }
  return { entries, eof, dirAttr: await getAttr(ctx, dirNode(ctx, dirId)) };
}
