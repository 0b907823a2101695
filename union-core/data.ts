/**
 * File data: read, write at the three stability levels, commit, truncate.
 *
 * Reads of lower files open with O_NOATIME where the kernel allows it, so serving a lower never
 * touches it. Writes copy the file up first. `file-sync` fsyncs, `data-sync` fdatasyncs, `unstable`
 * leaves the data in the page cache until `commit` fsyncs the file (Linux fsync covers every
 * descriptor's dirty pages of the inode).
 */

import { open, type FileHandle } from 'node:fs/promises';
import { chmodPath } from './upper-fs.js';
import { constants } from 'node:fs';
import type { UnionContext } from './context.js';
import type { Caller, Stability, Wcc } from './types.js';
import { nodeOf, backingPath } from './namespace.js';
import { getAttr, requirePerm, wccOf } from './attrs.js';
import { copyUp } from './copy-up.js';
import { fail, isErrno } from './errors.js';

async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOATIME);
  } catch (e) {
    // O_NOATIME is refused for files the process does not own unless it is privileged.
    if (isErrno(e, 'EPERM')) return open(path, constants.O_RDONLY);
    throw e;
  }
}

export async function readRule(ctx: UnionContext, id: bigint, offset: bigint, count: number, caller: Caller) {
  const node = nodeOf(ctx, id);
  if (node.kind === 'dir') fail('EISDIR');
  if (node.kind !== 'file') fail('EINVAL', 'not a regular file');
  const before = await getAttr(ctx, node);
  requirePerm(before, caller, 4);
  const fh = await openForRead(backingPath(ctx, node));
  try {
    const data = Buffer.allocUnsafe(count);
    const { bytesRead } = await fh.read(data, 0, count, Number(offset));
    const attr = await getAttr(ctx, nodeOf(ctx, id));
    return { data: data.subarray(0, bytesRead), eof: offset + BigInt(bytesRead) >= attr.size, attr };
  } finally {
    await fh.close();
  }
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

async function syncAs(fh: FileHandle, stability: Stability): Promise<void> {
  if (stability === 'file-sync') await fh.sync();
  else if (stability === 'data-sync') await fh.datasync();
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
  const fh = await open(backingPath(ctx, nodeOf(ctx, id)), 'r+');
  try {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await fh.write(data, written, data.length - written, Number(offset) + written);
      written += bytesWritten;
    }
    await syncAs(fh, stability);
  } finally {
    await fh.close();
  }
  const kept = modeAfterWrite(before.mode, caller);
  if (kept !== before.mode) chmodPath(backingPath(ctx, nodeOf(ctx, id)), kept);
  const after = await getAttr(ctx, nodeOf(ctx, id));
  return { count: data.length, committed: stability, wcc: { before: wccOf(before), after } };
}

export async function commitRule(ctx: UnionContext, id: bigint): Promise<Wcc> {
  const node = nodeOf(ctx, id);
  const before = await getAttr(ctx, node);
  if (node.kind === 'file' && (node.upper || node.indexed)) {
    const fh = await open(backingPath(ctx, node), 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  return { before: wccOf(before), after: await getAttr(ctx, nodeOf(ctx, id)) };
}

/** Set a file's size (copying it up; a truncate to zero copies no data). */
export async function truncateRule(ctx: UnionContext, id: bigint, size: bigint): Promise<void> {
  await copyUp(ctx, id, { empty: size === 0n });
  const fh = await open(backingPath(ctx, nodeOf(ctx, id)), 'r+');
  try {
    await fh.truncate(Number(size));
    await fh.sync();
  } finally {
    await fh.close();
  }
}
