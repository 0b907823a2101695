/** PATHCONF (RFC 1813 section 3.3.20): the limits union-core enforces. */

import { NFS3_NAME_MAX, Nfsstat3, type Pathconf3Args, type Pathconf3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

/** ext4's and xfs's link limit is at least this; a union never adds links beyond its upper's. */
const LINK_MAX = 65000;

export async function pathconf(args: Pathconf3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Pathconf3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.object, ctx);
    return {
      status: Nfsstat3.NFS3_OK,
      objAttributes: nfs.fattr(t, await t.exp.union.getattr(t.id)),
      linkmax: LINK_MAX,
      nameMax: NFS3_NAME_MAX,
      // Longer names are refused (NAMETOOLONG), never silently cut.
      noTrunc: true,
      // Only root gives files away (chown), as on Linux.
      chownRestricted: true,
      caseInsensitive: false,
      casePreserving: true,
    };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'PATHCONF'), objAttributes: await nfs.postOp(t) };
  }
}
