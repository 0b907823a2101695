/**
 * The result shared by CREATE, MKDIR, SYMLINK and MKNOD (RFC 1813 sections 3.3.8-3.3.11): the new
 * object's handle and attributes plus the directory's wcc_data, or on failure the directory's
 * post-op attributes.
 */

import { Nfsstat3, type NewObject3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Attr, Wcc } from '../../union-core/index.js';
import { toWccData } from './attributes.js';
import type { Nfs3Service, Target } from './service.js';

export function newObjectOk(nfs: Nfs3Service, dir: Target, made: { fileid: bigint; attr: Attr; dirWcc: Wcc }): NewObject3Res {
  return {
    status: Nfsstat3.NFS3_OK,
    obj: dir.exp.handleOf(made.fileid),
    objAttributes: nfs.fattr(dir, made.attr),
    dirWcc: toWccData(made.dirWcc, dir.exp.fsid),
  };
}

export async function newObjectFailed(nfs: Nfs3Service, dir: Target | undefined, e: unknown, ctx: CallContext, proc: string): Promise<NewObject3Res> {
  return { status: nfs.fail(e, ctx, proc), dirWcc: { after: await nfs.postOp(dir) } };
}
