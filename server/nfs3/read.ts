/**
 * READ (RFC 1813 section 3.3.6). At most rtmax (1 MiB) per call; the data is sent by reference
 * (the XDR writer does not copy large opaques), from a buffer of the pool lent until the reply
 * is sent (protocol/rpc/buffer-pool.ts). Small reads take a buffer of their own: their data is
 * copied into the reply anyway.
 */

import { NFS3_MAX_DATA, Nfsstat3, type Read3Args, type Read3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

/** Reads of this many bytes or more use a pooled buffer. */
const LEND_FROM = 64 * 1024;

export async function read(args: Read3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Read3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.file, ctx);
    const count = Math.min(args.count, NFS3_MAX_DATA);
    let into: Buffer | undefined;
    if (count >= LEND_FROM && ctx.afterSend) {
      const lent = nfs.readBuffers.take();
      ctx.afterSend(() => nfs.readBuffers.give(lent));
      into = lent;
    }
    const r = await t.exp.union.read(t.id, args.offset, count, t.caller, into);
    return { status: Nfsstat3.NFS3_OK, count: r.data.length, eof: r.eof, data: r.data, fileAttributes: nfs.fattr(t, r.attr) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'READ'), fileAttributes: await nfs.postOp(t) };
  }
}
