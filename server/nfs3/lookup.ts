/**
 * LOOKUP (RFC 1813 section 3.3.3): one name in a directory. ".." of the export root is the root
 * itself, so no name walks out of an export.
 */

import { Nfsstat3, type Lookup3Args, type Lookup3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

export async function lookup(args: Lookup3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Lookup3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.dir, ctx);
    const found = await t.exp.union.lookup(t.id, args.name, t.caller);
    return {
      status: Nfsstat3.NFS3_OK,
      object: t.exp.handleOf(found.fileid),
      objAttributes: nfs.fattr(t, found.attr),
      dirAttributes: nfs.fattr(t, found.dirAttr),
    };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'LOOKUP'), dirAttributes: await nfs.postOp(t) };
  }
}
