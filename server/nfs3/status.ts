/**
 * The one place union-core's POSIX codes become nfsstat3 (RFC 1813 section 2.6), and the error a
 * handler throws to answer with a plain status (bad handle, read-only export, ...).
 */

import { Nfsstat3, type Nfs3Error } from '../../protocol/nfs3/index.js';
import type { Logger } from '../../protocol/rpc/index.js';
import { UnionError, type ErrnoCode } from '../../union-core/index.js';

/** A failure decided by the server itself; handlers throw it and their catch turns it into a status. */
export class NfsStatusError extends Error {
  constructor(
    readonly status: Nfs3Error,
    message?: string,
  ) {
    super(message ?? `nfsstat3 ${status}`);
    this.name = 'NfsStatusError';
  }
}

const FROM_ERRNO: Record<ErrnoCode, Nfs3Error> = {
  EPERM: Nfsstat3.NFS3ERR_PERM,
  ENOENT: Nfsstat3.NFS3ERR_NOENT,
  EIO: Nfsstat3.NFS3ERR_IO,
  ENXIO: Nfsstat3.NFS3ERR_NXIO,
  EACCES: Nfsstat3.NFS3ERR_ACCES,
  EEXIST: Nfsstat3.NFS3ERR_EXIST,
  // union-core never answers EXDEV (renames across layers work); should it, say so plainly.
  EXDEV: Nfsstat3.NFS3ERR_XDEV,
  ENODEV: Nfsstat3.NFS3ERR_NODEV,
  ENOTDIR: Nfsstat3.NFS3ERR_NOTDIR,
  EISDIR: Nfsstat3.NFS3ERR_ISDIR,
  EINVAL: Nfsstat3.NFS3ERR_INVAL,
  EFBIG: Nfsstat3.NFS3ERR_FBIG,
  ENOSPC: Nfsstat3.NFS3ERR_NOSPC,
  EROFS: Nfsstat3.NFS3ERR_ROFS,
  EMLINK: Nfsstat3.NFS3ERR_MLINK,
  ENAMETOOLONG: Nfsstat3.NFS3ERR_NAMETOOLONG,
  ENOTEMPTY: Nfsstat3.NFS3ERR_NOTEMPTY,
  EDQUOT: Nfsstat3.NFS3ERR_DQUOT,
  ESTALE: Nfsstat3.NFS3ERR_STALE,
  ENOTSUP: Nfsstat3.NFS3ERR_NOTSUPP,
  // A symlink loop can only come from a lower tree; the client sees it as an I/O failure.
  ELOOP: Nfsstat3.NFS3ERR_IO,
  EBADF: Nfsstat3.NFS3ERR_BADHANDLE,
};

/** Node errno codes that can escape a file-system call (a union-core bug, but answer sensibly). */
const NODE_ERRNO: Record<string, Nfs3Error> = {
  ENOSPC: Nfsstat3.NFS3ERR_NOSPC,
  EDQUOT: Nfsstat3.NFS3ERR_DQUOT,
  EIO: Nfsstat3.NFS3ERR_IO,
  EROFS: Nfsstat3.NFS3ERR_ROFS,
};

/**
 * The status for anything a handler caught. Unexpected throws are SERVERFAULT and one log line
 * (with the procedure and xid) so the bug is visible; the connection keeps serving.
 */
export function statusOf(e: unknown, log: Logger, where: { proc: string; xid: number }): Nfs3Error {
  if (e instanceof NfsStatusError) return e.status;
  if (e instanceof UnionError) return FROM_ERRNO[e.code] ?? Nfsstat3.NFS3ERR_IO;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && NODE_ERRNO[code]) return NODE_ERRNO[code];
  log.log('error', 'nfs3: unexpected failure', { ...where, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  return Nfsstat3.NFS3ERR_SERVERFAULT;
}
