/**
 * Attributes of the merged view (backing file's stat plus the store's overrides) and POSIX
 * permission checks on them.
 */

import type { BigIntStats } from 'node:fs';
import { awaitApplies, type UnionContext } from './context.js';
import type { NodeRow } from './store.js';
import type { Attr, Caller, Timespec, WccAttr } from './types.js';
import { backingPath, lstatOrNull, nodeOf } from './namespace.js';
import { upperLstat } from './upper-fs.js';
import { fail } from './errors.js';
import { lowerFileid } from './identity.js';
import { linkCount } from './lower-links.js';
import { OBJECT_CACHE_MAX } from './bounded-map.js';
import { lstatMany } from './stat-thread.js';

const NS = 1_000_000_000n;

export function nsToTimespec(ns: bigint): Timespec {
  return { sec: Number(ns / NS), nsec: Number(ns % NS) };
}

export function timespecToNs(t: Timespec): bigint {
  return BigInt(t.sec) * NS + BigInt(t.nsec);
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

const NO_DEVICE = Object.freeze({ major: 0, minor: 0 });

/** Linux dev_t encoding (glibc's gnu_dev_major/minor). */
export function splitDev(dev: bigint): { major: number; minor: number } {
  // Most objects are no device: one shared answer spares each attribute six BigInt operations.
  if (dev === 0n) return NO_DEVICE;
  const d = dev;
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

export function packRdev(r: { major: number; minor: number }): number {
  return r.major * 0x100000 + r.minor;
}

function unpackRdev(n: number): { major: number; minor: number } {
  return { major: Math.floor(n / 0x100000), minor: n % 0x100000 };
}

/** The parts of an lstat that attributes are made of. */
export type StatCore = Pick<BigIntStats, 'ino' | 'mode' | 'nlink' | 'uid' | 'gid' | 'rdev' | 'size' | 'blocks' | 'atimeNs' | 'mtimeNs' | 'ctimeNs'>;

/** Merge a backing stat with the node's overrides. */
export function attrOf(ctx: UnionContext, node: NodeRow, st: StatCore): Attr {
  const nlink = node.kind === 'dir' ? Math.max(2, Number(st.nlink)) : linkCount(ctx, node, st);
  const mtimeNs = node.mtime ?? st.mtimeNs;
  const ctimeNs = node.ctime ?? st.ctimeNs;
  const atimeNs = node.atime ?? st.atimeNs;
  // A file never changed since its creation has one time thrice: one Timespec serves all three
  // (read only, as all attributes), sparing two BigInt divisions and their objects.
  const mtime = nsToTimespec(mtimeNs);
  const ctime = ctimeNs === mtimeNs ? mtime : nsToTimespec(ctimeNs);
  const atime = atimeNs === mtimeNs ? mtime : atimeNs === ctimeNs ? ctime : nsToTimespec(atimeNs);
  return {
    type: node.kind,
    mode: node.mode ?? Number(st.mode & 0o7777n),
    nlink,
    uid: node.uid ?? Number(st.uid),
    gid: node.gid ?? Number(st.gid),
    size: node.kind === 'char' || node.kind === 'block' || node.kind === 'fifo' || node.kind === 'socket' ? 0n : st.size,
    used: st.blocks * 512n,
    rdev: node.rdev !== null ? unpackRdev(node.rdev) : splitDev(st.rdev),
    fileid: node.id,
    generation: ctx.epoch,
    atime,
    mtime,
    ctime,
  };
}

/**
 * How long an lstat of a lower object is reused by default (UnionOptions.lowerStatTtlMs). Lowers
 * are read-only, so their stat does not change; reusing it saves the second lstat of every entry
 * in a first listing (the completion already made one) and one per component of a lookup. The bound keeps the promise that a lower
 * changed underneath is noticed (within this long), as an NFS client's attribute cache would.
 */
export const DEFAULT_LOWER_STAT_TTL_MS = 5_000;
/** Bound on remembered lower stats. */
export const LOWER_STAT_MAX = OBJECT_CACHE_MAX;

/** Remember a fresh lstat of lower object `id` (its node is neither upper nor indexed). */
export function rememberLowerStat(ctx: UnionContext, id: bigint, st: StatCore): void {
  if (ctx.lowerStatTtlMs <= 0) return;
  ctx.cache.lowerStat.remember(id, st, performance.now());
}

/** How long past its TTL a remembered lower stat is still taken again on the spot (restatLower). */
const RESTAT_WITHIN_MS = 60_000;

/**
 * A remembered lower stat past its TTL (rememberedAttr found none fresh): forgotten, and taken
 * again on the spot if it is not much older (restatLower).
 */
function restatExpired(ctx: UnionContext, node: NodeRow, backingFile?: string): StatCore | undefined {
  const cache = ctx.cache.lowerStat;
  const row = cache.find(node.id);
  if (row < 0) return undefined;
  const age = performance.now() - cache.takenAt(row);
  const known = cache.statAt(row);
  cache.delete(node.id);
  return age < ctx.lowerStatTtlMs + RESTAT_WITHIN_MS ? restatLower(ctx, node, known, backingFile) : undefined;
}

/**
 * A lower stat past its TTL, taken again at once with the synchronous lstat upper objects get
 * (upper-fs.ts): the object was looked at a minute ago at most, so its inode is in memory and the
 * lstat costs microseconds, where a round trip through the thread pool per entry made a second
 * listing of a big merged directory several times slower than ganesha's. Anything unusual — gone,
 * another inode — is left to the slow path, which reports it.
 */
function restatLower(ctx: UnionContext, node: NodeRow, known: StatCore, backingFile?: string): StatCore | undefined {
  const st = upperLstat(backingFile ?? backingPath(ctx, node));
  if (st === null || st.ino !== known.ino) return undefined;
  rememberLowerStat(ctx, node.id, st);
  return st;
}

/**
 * Stat the object's backing file and build its attributes. A lower object that vanished or was
 * replaced underneath a recorded id is reported (log) and answered EIO, never served as if
 * nothing happened. `backingFile`: as for attrAtHand.
 */
export async function getAttr(ctx: UnionContext, node: NodeRow, backingFile?: string): Promise<Attr> {
  return attrAtHand(ctx, node, backingFile) ?? (await statAttr(ctx, node, backingFile));
}

/**
 * The attributes when they need no waiting: an upper (or indexed) object whose backing file is in
 * place (one synchronous lstat, see upper-fs.ts), or a lower object whose stat is remembered.
 * Listings use it to skip a promise per entry. `backingFile`: the object's backing file, when the
 * caller knows it (namespace.ts backingFileAt).
 */
export function attrAtHand(ctx: UnionContext, node: NodeRow, backingFile?: string): Attr | undefined {
  const known = rememberedAttr(ctx, node);
  if (known) return known;
  if (node.upper || node.indexed) {
    const st = upperLstat(backingFile ?? backingPath(ctx, node));
    if (st === null) return undefined;
    const attr = attrOf(ctx, node, st);
    ctx.upperAttrs.remember(node.id, attr);
    return attr;
  }
  const st = restatExpired(ctx, node, backingFile);
  return st === undefined ? undefined : attrOf(ctx, node, st);
}

/** The attributes if remembered (no system call at all), else undefined. */
export function rememberedAttr(ctx: UnionContext, node: NodeRow): Attr | undefined {
  if (node.upper || node.indexed) return ctx.upperAttrs.get(node.id);
  const cache = ctx.cache.lowerStat;
  const row = cache.find(node.id);
  if (row < 0 || performance.now() - cache.takenAt(row) >= ctx.lowerStatTtlMs) return undefined;
  return attrOf(ctx, node, cache.statAt(row));
}

/**
 * Attributes of many objects at their backing files (a listing's entries not remembered), the
 * lstats taken together off the event loop (stat-thread.ts). Undefined where that gave nothing
 * usable — nothing there (yet), a lower object replaced, a node that changed while it looked —
 * for the caller to take getAttr's path, which reports what is wrong.
 */
export async function statAttrs(ctx: UnionContext, nodes: readonly NodeRow[], files: readonly string[]): Promise<(Attr | undefined)[]> {
  const changes = ctx.upperAttrs.changes;
  // The thread failing (out of memory, killed) costs this page its shortcut, nothing more.
  const stats = await lstatMany(files).catch((e: unknown) => {
    ctx.log('warn', 'stat thread failed; stat one by one', { error: String(e) });
    return new Array<undefined>(files.length);
  });
  return stats.map((st, i) => {
    const node = nodes[i];
    if (st === undefined || ctx.store.getNode(node.id) !== node) return undefined;
    const upper = node.upper || node.indexed;
    if (!upper && node.layer !== null && node.id >= 1n << 48n && lowerFileid(node.layer, st.ino) !== node.id) return undefined;
    const attr = attrOf(ctx, node, st);
    if (!upper) rememberLowerStat(ctx, node.id, st);
    else if (ctx.upperAttrs.changes === changes) ctx.upperAttrs.remember(node.id, attr);
    return attr;
  });
}

/**
 * getAttr's slow path, once attrAtHand found nothing: a lower object not remembered (lstat in the
 * thread pool), or an upper object whose backing file was not in place.
 */
async function statAttr(ctx: UnionContext, node: NodeRow, backingFile?: string): Promise<Attr> {
  let path = backingFile ?? backingPath(ctx, node);
  let st: StatCore | null = null;
  if (!node.upper && !node.indexed) {
    st = await lstatOrNull(path);
    if (st !== null) rememberLowerStat(ctx, node.id, st);
  } else if (await awaitApplies(ctx)) {
    // Its copy-up, create or rename was committed but not yet applied: look again.
    node = nodeOf(ctx, node.id);
    path = backingPath(ctx, node);
    st = node.upper || node.indexed ? upperLstat(path) : await lstatOrNull(path);
  }
  if (st === null) {
    if (!node.upper && !node.indexed) {
      ctx.log('error', 'lower object vanished underneath the union', { fileid: String(node.id), path });
      fail('EIO', 'lower layer changed underneath the union');
    }
    fail('ESTALE', `backing file of ${node.id} is missing`);
  }
  if (!node.upper && !node.indexed && node.layer !== null) {
    const expected = lowerFileid(node.layer, st.ino);
    if (expected !== undefined && node.id >= 1n << 48n && expected !== node.id) {
      ctx.log('error', 'lower object replaced underneath the union', { fileid: String(node.id), path });
      fail('EIO', 'lower layer changed underneath the union');
    }
  }
  return attrOf(ctx, node, st);
}

export function wccOf(a: Attr): WccAttr {
  return { size: a.size, mtime: a.mtime, ctime: a.ctime };
}

export function inGroup(caller: Caller, gid: number): boolean {
  return caller.gid === gid || caller.groups.includes(gid);
}

/** rwx bits (4/2/1) the caller holds on an object, as POSIX decides them (root bypasses). */
export function permBits(attr: Attr, caller: Caller): number {
  if (caller.uid === 0) {
    // Root may read and write anything, and execute what anyone may execute (directories: search).
    const anyX = attr.type === 'dir' || (attr.mode & 0o111) !== 0;
    return 6 | (anyX ? 1 : 0);
  }
  if (caller.uid === attr.uid) return (attr.mode >> 6) & 7;
  if (inGroup(caller, attr.gid)) return (attr.mode >> 3) & 7;
  return attr.mode & 7;
}

export function requirePerm(attr: Attr, caller: Caller, want: number): void {
  if ((permBits(attr, caller) & want) !== want) fail('EACCES');
}

/**
 * Removing or renaming away `victim` from `dir`: write+search on the directory, and in a sticky
 * directory only the owner of the directory or of the victim (or root) may do it (EPERM, as Linux).
 */
export function requireRemovable(dir: Attr, victim: Attr, caller: Caller): void {
  requirePerm(dir, caller, 3);
  if (stickyRuleApplies(dir, caller) && caller.uid !== victim.uid) fail('EPERM', 'sticky directory');
}

/** Whether removing from `dir` depends on who owns the victim (a sticky directory, not the caller's). */
export function stickyRuleApplies(dir: Attr, caller: Caller): boolean {
  return (dir.mode & 0o1000) !== 0 && caller.uid !== 0 && caller.uid !== dir.uid;
}
