/** FSSTAT (RFC 1813 section 3.3.18): space and inodes of the file system holding the upper layer. */

import { Nfsstat3, type Fsstat3Args, type Fsstat3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

export async function fsstat(args: Fsstat3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Fsstat3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.fsroot, ctx);
    const [s, attr] = await Promise.all([t.exp.union.statfs(), t.exp.union.getattr(t.id)]);
    return {
      status: Nfsstat3.NFS3_OK,
      objAttributes: nfs.fattr(t, attr),
      tbytes: s.totalBytes,
      fbytes: s.freeBytes,
      abytes: s.availBytes,
      tfiles: s.totalFiles,
      ffiles: s.freeFiles,
      afiles: s.availFiles,
      // The numbers change with every write: clients must not cache them.
      invarsec: 0,
    };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'FSSTAT'), objAttributes: await nfs.postOp(t) };
  }
}
