/**
 * ACCESS (RFC 1813 section 3.3.4): which of the asked rights the caller has. It must agree with
 * what the operations would do, so a read-only export never grants MODIFY, EXTEND or DELETE.
 */

import { Access3, Nfsstat3, type Access3Args, type Access3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

const CHANGE_RIGHTS = Access3.MODIFY | Access3.EXTEND | Access3.DELETE;

export async function access(args: Access3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Access3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.object, ctx);
    const { granted, attr } = await t.exp.union.access(t.id, args.access, t.caller);
    const allowed = t.exp.config.readOnly ? granted & ~CHANGE_RIGHTS : granted;
    return { status: Nfsstat3.NFS3_OK, access: allowed & args.access, objAttributes: nfs.fattr(t, attr) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'ACCESS'), objAttributes: await nfs.postOp(t) };
  }
}
