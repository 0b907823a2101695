/**
 * What every NFSv3 handler shares: the export table, the write verifier, the logger, and the one
 * way to turn a file handle into a target (export, fileid, caller) with every check a handle must
 * pass — format and MAC (BADHANDLE), epoch (STALE), client allowed (ACCES), reserved port under
 * --secure (PERM), read-only export for changes (ROFS).
 */

import { Nfsstat3, type Fattr3, type Nfs3Error } from '../../protocol/nfs3/index.js';
import { bigBuffers, type BufferPool, type CallContext, type Logger } from '../../protocol/rpc/index.js';
import type { Attr, Caller } from '../../union-core/index.js';
import type { ExportTable, ServedExport } from '../exports.js';
import { toFattr3 } from './attributes.js';
import { NfsStatusError, statusOf } from './status.js';
import { WriteVerifier } from './write-verifier.js';

export interface Target {
  exp: ServedExport;
  id: bigint;
  caller: Caller;
}

export class Nfs3Service {
  readonly writeVerifier = new WriteVerifier();
  /** Data buffers of READ replies (see read.ts), shared with the transport's big records. */
  readonly readBuffers: BufferPool = bigBuffers;

  constructor(
    readonly exports: ExportTable,
    readonly log: Logger,
  ) {}

  /** Resolve and authorize a handle; throws NfsStatusError. `change` = the call modifies the export. */
  target(fh: Buffer, ctx: CallContext, change = false): Target {
    const found = this.exports.forHandle(fh);
    if (!found || !found.exp.authentic(fh, found.fileid, found.generation)) throw new NfsStatusError(Nfsstat3.NFS3ERR_BADHANDLE);
    const { exp } = found;
    if (found.generation !== exp.generation) throw new NfsStatusError(Nfsstat3.NFS3ERR_STALE);
    if (!exp.allows(ctx.remoteAddress)) throw new NfsStatusError(Nfsstat3.NFS3ERR_ACCES, 'client not allowed');
    if (!exp.portAcceptable(ctx.remotePort)) throw new NfsStatusError(Nfsstat3.NFS3ERR_PERM, 'insecure port');
    if (change && exp.config.readOnly) throw new NfsStatusError(Nfsstat3.NFS3ERR_ROFS);
    return { exp, id: found.fileid, caller: exp.callerFor(ctx.cred) };
  }

  /** A second handle of the same call (RENAME, LINK) must name the same export. */
  sameExport(t: Target, fh: Buffer, ctx: CallContext, change = false): Target {
    const other = this.target(fh, ctx, change);
    if (other.exp !== t.exp) throw new NfsStatusError(Nfsstat3.NFS3ERR_XDEV);
    return other;
  }

  fattr(t: Target, attr: Attr): Fattr3 {
    return toFattr3(attr, t.exp.fsid);
  }

  /** post_op_attr for failure arms: the object's attributes if they can be had, else none. */
  async postOp(t: Target | undefined, id = t?.id): Promise<Fattr3 | undefined> {
    if (!t || id === undefined) return undefined;
    try {
      return toFattr3(await t.exp.union.getattr(id), t.exp.fsid);
    } catch {
      return undefined;
    }
  }

  /** The status for a caught failure (see statusOf). */
  fail(e: unknown, ctx: CallContext, proc: string): Nfs3Error {
    return statusOf(e, this.log, { proc, xid: ctx.xid });
  }
}
