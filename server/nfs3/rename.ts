/**
 * RENAME (RFC 1813 section 3.3.14): files and directories, across layers, replacing the target
 * as POSIX says. Both directories must be in one export (else XDEV, as across file systems).
 */

import { Nfsstat3, type Rename3Args, type Rename3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { toWccData } from './attributes.js';
import type { Nfs3Service, Target } from './service.js';

export async function rename(args: Rename3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Rename3Res> {
  let from: Target | undefined;
  let to: Target | undefined;
  try {
    from = nfs.target(args.from.dir, ctx, true);
    to = nfs.sameExport(from, args.to.dir, ctx, true);
    const r = await from.exp.union.rename(from.id, args.from.name, to.id, args.to.name, from.caller);
    return { status: Nfsstat3.NFS3_OK, fromdirWcc: toWccData(r.fromWcc, from.exp.fsid), todirWcc: toWccData(r.toWcc, from.exp.fsid) };
  } catch (e) {
    return {
      status: nfs.fail(e, ctx, 'RENAME'),
      fromdirWcc: { after: await nfs.postOp(from) },
      todirWcc: { after: await nfs.postOp(to) },
    };
  }
}
