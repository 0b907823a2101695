/**
 * READ (RFC 1813 section 3.3.6). At most rtmax (1 MiB) per call; the data is sent by reference
 * (the XDR writer does not copy large opaques).
 */

import { NFS3_MAX_DATA, Nfsstat3, type Read3Args, type Read3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

export async function read(args: Read3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Read3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.file, ctx);
    const count = Math.min(args.count, NFS3_MAX_DATA);
    const r = await t.exp.union.read(t.id, args.offset, count, t.caller);
    return { status: Nfsstat3.NFS3_OK, count: r.data.length, eof: r.eof, data: r.data, fileAttributes: nfs.fattr(t, r.attr) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'READ'), fileAttributes: await nfs.postOp(t) };
  }
}
