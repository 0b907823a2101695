/**
 * System calls on the upper layer and the work directory (one file system: layers.ts checks it).
 *
 * Metadata calls here run synchronously, on the event loop. The upper is the union's own
 * territory: what it holds was written through us, its inodes and directories are hot in the page
 * cache, and an lstat, chmod or rename there takes a few microseconds of kernel time, where the
 * same call through libuv's thread pool costs ~50 µs of CPU (hand-off, wake-up, a promise) and
 * showed up as the largest item in every server profile (creating a file too: see makeEmptyFile).
 * Calls that wait for the disk — fsync, file data, directory listings, copy-up of file contents —
 * stay asynchronous, as do lookups in the lowers (namespace.ts), which may be cold on disk and gain
 * from running in parallel.
 */

import {
  lstatSync, fstatSync, openSync, closeSync, fsync, fdatasync, fchmodSync, fchownSync, mkdirSync, symlinkSync, renameSync, linkSync,
  chmodSync, lchownSync, lutimesSync, unlinkSync, constants, type BigIntStats,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isErrno } from './errors.js';

/** lstat, or null where nothing is (ENOENT, or a path through a non-directory). */
export function upperLstat(path: string): BigIntStats | null {
  try {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false }) ?? null;
  } catch (e) {
    if (isErrno(e, 'ENOTDIR')) return null;
    throw e;
  }
}

/** fsync and fdatasync of an open descriptor, waiting in the thread pool. */
export const fsyncFd = promisify(fsync);
export const fdatasyncFd = promisify(fdatasync);

/**
 * Make the metadata of `path` (a file or directory) durable: fsync on a descriptor of its own.
 * Only the fsync itself waits in the thread pool.
 */
export async function fsyncPath(path: string): Promise<void> {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** The owner and mode to give a new object; owner only when the server may give files away. */
export interface NewOwnership {
  uid?: number;
  gid?: number;
  mode: number;
}

/** Who the server runs as: a new file is already theirs, and needs no chown to become theirs. */
const SERVER_UID = process.geteuid?.() ?? -1;
const SERVER_GID = process.getegid?.() ?? -1;

/**
 * Create an empty regular file at a fresh path (EEXIST if taken), owner before mode, and return
 * its stat. On the event loop like the other metadata calls here: creations in one directory
 * serialise on its lock in the kernel anyway, and from the thread pool four of them at once spun
 * on that lock (an eighth of a creation's CPU) on top of the hand-off to and from the pool.
 *
 * A file that is to be the server's own is opened with its final permission bits, so when the
 * umask and the directory's group leave them as asked (the fstat says), it takes open, fstat and
 * close: no chown, no chmod, and no lstat of the path afterwards. A file for someone else is
 * opened private (0600) until chown has given it to them: the intended group and other bits must
 * not apply while the server still owns it.
 */
export function makeEmptyFile(path: string, own: NewOwnership): BigIntStats {
  const ours = own.uid === undefined || (own.uid === SERVER_UID && own.gid === SERVER_GID);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, ours ? own.mode & 0o777 : 0o600);
  try {
    const made = fstatSync(fd, { bigint: true });
    const ownerWrong = own.uid !== undefined && own.gid !== undefined && (made.uid !== BigInt(own.uid) || made.gid !== BigInt(own.gid));
    if (!ownerWrong && (made.mode & 0o7777n) === BigInt(own.mode)) return made;
    // chown first: changing the owner clears set-id bits that chmod then sets.
    if (ownerWrong) fchownSync(fd, own.uid!, own.gid!);
    fchmodSync(fd, own.mode);
    return fstatSync(fd, { bigint: true });
  } finally {
    closeSync(fd);
  }
}

/** Create a directory at a fresh path, owner before mode. */
export function makeDir(path: string, own: NewOwnership): void {
  mkdirSync(path, { mode: 0o700 });
  setOwnership(path, own);
}

/** Owner then mode of an existing path (not following a final symlink for the owner). */
export function setOwnership(path: string, own: NewOwnership): void {
  if (own.uid !== undefined && own.gid !== undefined) lchownSync(path, own.uid, own.gid);
  chmodSync(path, own.mode);
}

/**
 * Delete a discarded object (a temporary, or what an abandoned creation built): a file with one
 * unlink, a directory tree in the thread pool. Gone already is fine.
 */
export async function discard(path: string): Promise<void> {
  try {
    unlinkSync(path);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return;
    if (!isErrno(e, 'EISDIR') && !isErrno(e, 'EPERM')) throw e;
    await rm(path, { recursive: true, force: true });
  }
}

export { unlinkSync as unlinkPath, symlinkSync as makeSymlink, renameSync as renamePath, linkSync as linkPath, chmodSync as chmodPath, lchownSync as lchownPath, lutimesSync as lutimesPath };
