/** GETATTR (RFC 1813 section 3.3.1): the attributes of one object. */

import { Nfsstat3, type Getattr3Args, type Getattr3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service } from './service.js';

export async function getattr(args: Getattr3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Getattr3Res> {
  try {
    const t = nfs.target(args.object, ctx);
    return { status: Nfsstat3.NFS3_OK, objAttributes: nfs.fattr(t, await t.exp.union.getattr(t.id)) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'GETATTR') };
  }
}
