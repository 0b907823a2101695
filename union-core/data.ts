/**
 * File data: read, write at the three stability levels, commit, truncate.
 *
 * Descriptors are kept open between calls (open-files.ts); reads open with O_NOATIME where the
 * kernel allows it, so serving a lower never touches it. Writes copy the file up first.
 * `file-sync` fsyncs, `data-sync` fdatasyncs, `unstable` leaves the data in the page cache until
 * `commit` fsyncs the file (Linux fsync covers every descriptor's dirty pages of the inode).
 */

import { read, write, ftruncate } from 'node:fs';
import { promisify } from 'node:util';
import { chmodPath, fsyncFd, fdatasyncFd } from './upper-fs.js';
import type { UnionContext } from './context.js';
import type { Caller, Stability, Wcc } from './types.js';
import { nodeOf, backingPath } from './namespace.js';
import { getAttr, requirePerm, wccOf } from './attrs.js';
import { copyUp } from './copy-up.js';
import { fail } from './errors.js';

const ftruncateFd = promisify(ftruncate);

function readAt(fd: number, into: Buffer, count: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, into, 0, count, position, (err, n) => (err ? reject(err) : resolve(n))));
}

function writeAt(fd: number, data: Buffer, from: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    write(fd, data, from, data.length - from, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}


/**
 * Read up to `count` bytes at `offset`. `into`, when given, receives the data (at least `count`
 * bytes; the server lends a pooled buffer); else a new one is made.
 */
export async function readRule(ctx: UnionContext, id: bigint, offset: bigint, count: number, caller: Caller, into?: Buffer) {
  const node = nodeOf(ctx, id);
  if (node.kind === 'dir') fail('EISDIR');
  if (node.kind !== 'file') fail('EINVAL', 'not a regular file');
  const before = await getAttr(ctx, node);
  requirePerm(before, caller, 4);
  const data = into ?? Buffer.allocUnsafe(count);
  const bytesRead = await ctx.openFiles.use(id, backingPath(ctx, node), 'read', (fd) => readAt(fd, data, count, Number(offset)));
  if (!ctx.privileged) ctx.upperAttrs.forget(id);
  const attr = await getAttr(ctx, nodeOf(ctx, id));
  return { data: data.subarray(0, bytesRead), eof: offset + BigInt(bytesRead) >= attr.size, attr };
}

/**
 * The mode after `caller` writes or truncates a file, as the kernel's file_remove_privs leaves it
 * for a writer without CAP_FSETID: set-user-ID goes, and set-group-ID where group execute is set
 * (without it the bit marks mandatory locking). The server writes as root, so the kernel keeps the
 * bits for it: without this, anyone allowed to write a setuid-root file could replace the program.
 */
export function modeAfterWrite(mode: number, caller: Caller): number {
  if (caller.uid === 0) return mode;
  return mode & ~0o4000 & ~((mode & 0o010) !== 0 ? 0o2000 : 0);
}

async function syncAs(fd: number, stability: Stability): Promise<void> {
  if (stability === 'file-sync') await fsyncFd(fd);
  else if (stability === 'data-sync') await fdatasyncFd(fd);
}

export async function writeRule(
  ctx: UnionContext,
  id: bigint,
  offset: bigint,
  data: Buffer,
  stability: Stability,
  caller: Caller,
): Promise<{ count: number; committed: Stability; wcc: Wcc }> {
  const node = nodeOf(ctx, id);
  if (node.kind === 'dir') fail('EISDIR');
  if (node.kind !== 'file') fail('EINVAL', 'not a regular file');
  const before = await getAttr(ctx, node);
  requirePerm(before, caller, 2);
  if (offset + BigInt(data.length) > BigInt(Number.MAX_SAFE_INTEGER)) fail('EFBIG');
  await copyUp(ctx, id);
  await ctx.openFiles.use(id, backingPath(ctx, nodeOf(ctx, id)), 'write', async (fd) => {
    let written = 0;
    while (written < data.length) written += await writeAt(fd, data, written, Number(offset) + written);
    await syncAs(fd, stability);
  });
  const kept = modeAfterWrite(before.mode, caller);
  if (kept !== before.mode) chmodPath(backingPath(ctx, nodeOf(ctx, id)), kept);
  ctx.upperAttrs.forget(id);
  const after = await getAttr(ctx, nodeOf(ctx, id));
  return { count: data.length, committed: stability, wcc: { before: wccOf(before), after } };
}

export async function commitRule(ctx: UnionContext, id: bigint): Promise<Wcc> {
  const node = nodeOf(ctx, id);
  const before = await getAttr(ctx, node);
  if (node.kind === 'file' && (node.upper || node.indexed)) {
    // Any descriptor's fsync covers the file (a read-only one is enough, and always allowed).
    await ctx.openFiles.use(id, backingPath(ctx, node), 'read', fsyncFd);
  }
  return { before: wccOf(before), after: await getAttr(ctx, nodeOf(ctx, id)) };
}

/** Set a file's size (copying it up; a truncate to zero copies no data). */
export async function truncateRule(ctx: UnionContext, id: bigint, size: bigint): Promise<void> {
  await copyUp(ctx, id, { empty: size === 0n });
  await ctx.openFiles.use(id, backingPath(ctx, nodeOf(ctx, id)), 'write', async (fd) => {
    await ftruncateFd(fd, Number(size));
    await fsyncFd(fd);
  });
}
