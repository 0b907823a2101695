/**
 * REMOVE (RFC 1813 section 3.3.12). A lower file becomes a whiteout; union-core decides. RMDIR
 * (rmdir.ts) shares this shape.
 */

import { Nfsstat3, type Remove3Args, type Remove3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { toWccData } from './attributes.js';
import type { Nfs3Service, Target } from './service.js';

export async function removeName(kind: 'remove' | 'rmdir', args: Remove3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Remove3Res> {
  let dir: Target | undefined;
  try {
    dir = nfs.target(args.object.dir, ctx, true);
    const { dirWcc } = await dir.exp.union[kind](dir.id, args.object.name, dir.caller);
    return { status: Nfsstat3.NFS3_OK, dirWcc: toWccData(dirWcc, dir.exp.fsid) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, kind.toUpperCase()), dirWcc: { after: await nfs.postOp(dir) } };
  }
}

export function remove(args: Remove3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Remove3Res> {
  return removeName('remove', args, ctx, nfs);
}
