/**
 * SETATTR (RFC 1813 section 3.3.2). The guard makes the change conditional on the object's ctime
 * (clients use it so a retried truncate cannot undo a later write): a mismatch is NOT_SYNC.
 */

import { Nfsstat3, type Setattr3Args, type Setattr3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { preOpOf, toSetAttrs, toWccData } from './attributes.js';
import type { Nfs3Service, Target } from './service.js';

export async function setattr(args: Setattr3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Setattr3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.object, ctx, true);
    if (args.guard) {
      const now = await t.exp.union.getattr(t.id);
      if (now.ctime.sec !== args.guard.seconds || now.ctime.nsec !== args.guard.nseconds) {
        return { status: Nfsstat3.NFS3ERR_NOT_SYNC, objWcc: toWccData({ before: preOpOf(now), after: now }, t.exp.fsid) };
      }
    }
    const wcc = await t.exp.union.setattr(t.id, toSetAttrs(args.newAttributes), t.caller);
    return { status: Nfsstat3.NFS3_OK, objWcc: toWccData(wcc, t.exp.fsid) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'SETATTR'), objWcc: { after: await nfs.postOp(t) } };
  }
}
