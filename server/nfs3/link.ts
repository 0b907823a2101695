/**
 * LINK (RFC 1813 section 3.3.15): a new name for a file. Lower files keep one identity across
 * their links after copy-up (union-core's hard-link index).
 */

import { Nfsstat3, type Link3Args, type Link3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { toWccData } from './attributes.js';
import type { Nfs3Service, Target } from './service.js';

export async function link(args: Link3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Link3Res> {
  let file: Target | undefined;
  let dir: Target | undefined;
  try {
    file = nfs.target(args.file, ctx, true);
    dir = nfs.sameExport(file, args.link.dir, ctx, true);
    const r = await file.exp.union.link(file.id, dir.id, args.link.name, file.caller);
    return { status: Nfsstat3.NFS3_OK, fileAttributes: nfs.fattr(file, r.attr), linkdirWcc: toWccData(r.dirWcc, file.exp.fsid) };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'LINK'), fileAttributes: await nfs.postOp(file), linkdirWcc: { after: await nfs.postOp(dir) } };
  }
}
