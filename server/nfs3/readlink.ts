/**
 * READLINK (RFC 1813 section 3.3.5): a symlink's target, returned as stored. The server never
 * follows it: a target pointing outside the layers is only text to the client.
 */

import { Nfsstat3, type Readlink3Args, type Readlink3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

export async function readlink(args: Readlink3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Readlink3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.symlink, ctx);
    const data = await t.exp.union.readlink(t.id, t.caller);
    return { status: Nfsstat3.NFS3_OK, data, symlinkAttributes: await nfs.postOp(t) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'READLINK'), symlinkAttributes: await nfs.postOp(t) };
  }
}
