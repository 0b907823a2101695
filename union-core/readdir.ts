/**
 * Readdir rule: persistent fallthrus and stable cookies.
 *
 * The first time a directory is listed or changed it is *completed*: every visible entry of every
 * layer (upper first, then the lowers top-down; whiteouts and opaque markers honoured, each name
 * once) gets an entry row with a cookie. From then on the rows are the
 * directory: a listing is one index range scan `cookie > c ORDER BY cookie LIMIT n`, so each call
 * costs O(entries returned), a cookie stays valid across creates, removes, renames and restarts,
 * and new entries get new, never-reused cookies (the directory's counter only grows).
 *
 * A completion streams each layer in chunks, each chunk one transaction; the directory is marked
 * complete after the last. One cut short (a crash) leaves rows that are all true, and the next
 * completion skips the names that have rows, as it skips rows earlier lookups made. A listing
 * does not wait for the end: it answers from the rows recorded so far as soon as they fill its
 * page (later rows get later cookies, so it meets them further on), with eof only once complete.
 */

import { opendir } from 'node:fs/promises';
import type { UnionContext } from './context.js';
import type { Caller, DirEntry, ReaddirOptions, ReaddirResult } from './types.js';
import { blankNode, type NodeRow } from './store.js';
import { dirNode, nodeOf, lowerDirs, upperPath, dirPlaces, backingFileAt, statAll } from './namespace.js';
import { attrAtHand, getAttr, rememberedAttr, rememberLowerStat, requirePerm, statAttrs, LOWER_STAT_MAX } from './attrs.js';
import { isWhiteoutDevice, kindOf } from './identity.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './names.js';
import { lowerNode } from './lookup.js';

/**
 * Entries of one completion whose stats are kept for the lower-stat cache: the half of its bound
 * that the cache keeps when it overflows (attrs.ts, bounded-map.ts).
 */
const KEEP_STATS = LOWER_STAT_MAX / 2;

/**
 * Names read, stat'ed and recorded per step. A completion streams: a directory of a million
 * entries never has more than one chunk of names and stats in memory (holding them all cost
 * hundreds of MiB), and each chunk is one store transaction.
 */
const CHUNK = 1024;

/**
 * Entries of one listing page without remembered attributes from which on their lstats go to the
 * stat thread together (a round trip there costs about as much as a few lstats here).
 */
const STAT_BATCH_MIN = 32;

/** Progress of a big completion is logged every this many entries. */
const PROGRESS_EVERY = 100_000;

/** The state of one completion while it walks the layers. */
interface Completion {
  dirId: bigint;
  /** Names hidden from the layers still to come (whiteouts of the layers done). */
  hidden: Set<string>;
  recorded: number;
  keptStats: number;
  /** A chunk's rows are committed (listings waiting for them may go on). */
  chunkDone: () => void;
}

/**
 * Record one chunk of names found in a layer (null: the upper — content the store never saw).
 * A name that already has a row is skipped: a higher layer's entry, a row an earlier lookup or an
 * interrupted completion made. Whiteouts found go to `whiteouts` (they hide names further down).
 */
async function recordChunk(ctx: UnionContext, c: Completion, path: string, layer: number | null, names: string[], whiteouts: string[]): Promise<void> {
  const stats = await statAll(path, names, (st) => st);
  ctx.store.transaction(() => {
    // Cookies handed out in one go; the directory row is written once per chunk, with the next free one.
    let cookie = dirNode(ctx, c.dirId).nextCookie;
    names.forEach((name, i) => {
      const st = stats[i];
      if (st === null) return;
      if (layer !== null && isWhiteoutDevice(st)) {
        whiteouts.push(name);
        return;
      }
      if (ctx.store.getEntry(c.dirId, name)) return;
      let id: bigint;
      if (layer !== null) {
        id = lowerNode(ctx, layer, st.ino, kindOf(st)).id;
        if (c.keptStats++ < KEEP_STATS) rememberLowerStat(ctx, id, st);
      } else {
        id = ctx.store.allocateIds();
        // Content found on the upper that the store never saw (an upper populated by hand): adopt
        // it; a directory merges with its lower namesakes as overlayfs would.
        ctx.store.putNode({ ...blankNode(id, kindOf(st)), upper: true, layer: 0 });
      }
      ctx.store.putEntry({ dir: c.dirId, name, id, cookie: cookie++ });
      if (++c.recorded % PROGRESS_EVERY === 0) ctx.log('info', 'recording fallthrus of a merged directory', { fileid: String(c.dirId), entries: c.recorded });
    });
    ctx.store.setNextCookie(dirNode(ctx, c.dirId), cookie);
  });
  // Listings hand out these rows' cookies before the completion ends: make them durable soon.
  ctx.store.durableSoon();
  c.chunkDone();
}

/**
 * Walk one layer's directory in chunks: the upper (layer null) first, then each lower top-down.
 * Returns the whiteouts found in it, which hide names in the layers below it only.
 */
async function recordLayer(ctx: UnionContext, c: Completion, path: string, layer: number | null): Promise<string[]> {
  const whiteouts: string[] = [];
  let names: string[] = [];
  for await (const entry of await opendir(path, { bufferSize: 256 })) {
    const name = entry.name;
    if (layer !== null) {
      if (name === OPAQUE_MARKER) continue;
      if (name.startsWith(WHITEOUT_PREFIX)) {
        whiteouts.push(name.slice(WHITEOUT_PREFIX.length));
        continue;
      }
    }
    if (c.hidden.has(name)) continue;
    names.push(name);
    if (names.length === CHUNK) {
      await recordChunk(ctx, c, path, layer, names, whiteouts);
      names = [];
    }
  }
  if (names.length) await recordChunk(ctx, c, path, layer, names, whiteouts);
  return whiteouts;
}

/** A completion under way: listings read the rows it has recorded so far. */
interface Running {
  done: Promise<void>;
  /** Called (once each) when a chunk is recorded or the completion ends. */
  waiters: (() => void)[];
}

const running = new WeakMap<UnionContext, Map<bigint, Running>>();

/** The completion of a directory, started if none runs. */
function completion(ctx: UnionContext, dirId: bigint): Running {
  let byDir = running.get(ctx);
  if (!byDir) running.set(ctx, (byDir = new Map()));
  const known = byDir.get(dirId);
  if (known) return known;
  const r: Running = { done: Promise.resolve(), waiters: [] };
  const wake = () => {
    const waiters = r.waiters;
    r.waiters = [];
    for (const w of waiters) w();
  };
  const dirs = byDir;
  // This map is the single flight: one completion per directory at a time.
  r.done = record(ctx, dirId, wake).finally(() => {
    dirs.delete(dirId);
    wake();
  });
  dirs.set(dirId, r);
  return r;
}

/** Until the completion of `dirId` records its next chunk or ends (rejects if it failed). */
function progress(ctx: UnionContext, dirId: bigint): Promise<void> {
  const r = completion(ctx, dirId);
  return Promise.race([r.done, new Promise<void>((resolve) => r.waiters.push(resolve))]);
}

/**
 * Record every visible entry of a directory as rows, once. Changes wait for the whole of it; a
 * listing only for the rows it answers with (readdirRule).
 */
export async function completeDir(ctx: UnionContext, dirId: bigint): Promise<void> {
  if (dirNode(ctx, dirId).complete) return;
  await completion(ctx, dirId).done;
}

async function record(ctx: UnionContext, dirId: bigint, recorded: () => void): Promise<void> {
  const dir = dirNode(ctx, dirId);
  if (dir.complete) return;
  const c: Completion = { dirId, hidden: new Set(), recorded: 0, keptStats: 0, chunkDone: recorded };
  if (dir.upper) await recordLayer(ctx, c, upperPath(ctx, dirId), null);
  for (const { layer, path } of await lowerDirs(ctx, dirId)) {
    for (const w of await recordLayer(ctx, c, path, layer)) c.hidden.add(w);
  }
  ctx.store.transaction(() => ctx.store.putNode({ ...dirNode(ctx, dirId), complete: true }));
  await ctx.store.durable();
  if (c.recorded > 1000) ctx.log('info', 'recorded fallthrus of a merged directory', { fileid: String(dirId), entries: c.recorded });
}

export async function readdirRule(
  ctx: UnionContext,
  dirId: bigint,
  cookie: bigint,
  limit: number,
  { withAttrs, fits }: ReaddirOptions,
  caller: Caller,
): Promise<ReaddirResult> {
  const dir = dirNode(ctx, dirId);
  requirePerm(await getAttr(ctx, dir), caller, 4);
  // A page is answered as soon as its rows are recorded: the first listing of a directory of a
  // million entries streams along with its completion, where waiting for all of it kept the
  // first call unanswered for over a minute (clients retransmit, or give up, after 60 s).
  let rows = ctx.store.entryPage(dirId, cookie, limit + 1);
  while (!dirNode(ctx, dirId).complete && rows.length <= limit) {
    await progress(ctx, dirId);
    rows = ctx.store.entryPage(dirId, cookie, limit + 1);
  }
  let eof = rows.length <= limit;
  if (!eof) rows.length = limit;
  const refused = fits ? rows.findIndex((r) => !fits(r.name)) : -1;
  if (refused >= 0) {
    rows.length = refused;
    eof = false;
  }
  const nodes = ctx.store.reading(() => rows.map((r) => nodeOf(ctx, r.id)));
  const entries = rows.map((r, i): DirEntry => ({ name: r.name, fileid: r.id, cookie: r.cookie, type: nodes[i].kind }));
  if (withAttrs) await attachAttrs(ctx, dir, entries, nodes);
  return { entries, eof, dirAttr: await getAttr(ctx, dirNode(ctx, dirId)) };
}

/**
 * The attributes of a page's entries: remembered ones as they are; the others' lstats together on
 * the stat thread when there are many (a tree beyond the caches), else one by one as getAttr
 * takes them. An entry whose attributes cannot be had (a lower entry vanished: getAttr reports
 * it) is listed without them.
 */
async function attachAttrs(ctx: UnionContext, dir: NodeRow, entries: DirEntry[], nodes: NodeRow[]): Promise<void> {
  const missed: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    entries[i].attr = rememberedAttr(ctx, nodes[i]);
    if (!entries[i].attr) missed.push(i);
  }
  if (missed.length === 0) return;
  const places = await dirPlaces(ctx, dir);
  const files = missed.map((i) => backingFileAt(places, entries[i].name, nodes[i]));
  // Those whose backing file is known go together (the rest take getAttr's path below).
  const batch: number[] = [];
  const batchFiles: string[] = [];
  missed.forEach((i, k) => {
    const file = files[k];
    if (file === undefined) return;
    batch.push(i);
    batchFiles.push(file);
  });
  if (batch.length >= STAT_BATCH_MIN) {
    const attrs = await statAttrs(ctx, batch.map((i) => nodes[i]), batchFiles);
    batch.forEach((i, k) => (entries[i].attr = attrs[k]));
  }
  const waiting: Promise<void>[] = [];
  missed.forEach((i, k) => {
    const e = entries[i];
    if (e.attr) return;
    e.attr = attrAtHand(ctx, nodes[i], files[k]);
    if (e.attr) return;
    waiting.push(
      getAttr(ctx, nodes[i], files[k]).then(
        (attr) => void (e.attr = attr),
        () => undefined,
      ),
    );
  });
  await Promise.all(waiting);
}
