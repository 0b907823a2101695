/**
 * WRITE (RFC 1813 section 3.3.7). `committed` is what union-core achieved (never weaker than
 * true); the verifier tells the client whether UNSTABLE data survived (see write-verifier.ts).
 */

import { Nfsstat3, StableHow, type Write3Args, type Write3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Stability } from '../../union-core/index.js';
import { toWccData } from './attributes.js';
import { NfsStatusError } from './status.js';
import type { Nfs3Service, Target } from './service.js';

const TO_STABILITY: Record<StableHow, Stability> = {
  [StableHow.UNSTABLE]: 'unstable',
  [StableHow.DATA_SYNC]: 'data-sync',
  [StableHow.FILE_SYNC]: 'file-sync',
};
const FROM_STABILITY: Record<Stability, StableHow> = {
  unstable: StableHow.UNSTABLE,
  'data-sync': StableHow.DATA_SYNC,
  'file-sync': StableHow.FILE_SYNC,
};

export async function write(args: Write3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Write3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.file, ctx, true);
    // `count` and the opaque's own length must agree; more count than data is a broken client.
    if (args.count > args.data.length) throw new NfsStatusError(Nfsstat3.NFS3ERR_INVAL, 'count exceeds data');
    const data = args.data.subarray(0, args.count);
    const r = await t.exp.union.write(t.id, args.offset, data, TO_STABILITY[args.stable], t.caller);
    return {
      status: Nfsstat3.NFS3_OK,
      count: r.count,
      committed: FROM_STABILITY[r.committed],
      verf: nfs.writeVerifier.value,
      fileWcc: toWccData(r.wcc, t.exp.fsid),
    };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'WRITE'), fileWcc: { after: await nfs.postOp(t) } };
  }
}
