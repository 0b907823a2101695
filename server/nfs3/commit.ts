/**
 * COMMIT (RFC 1813 section 3.3.21): flush the file's unstable writes for real. A failed flush
 * changes the write verifier, so clients resend everything they wrote unstable.
 */

import { Nfsstat3, type Commit3Args, type Commit3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { UnionError } from '../../union-core/index.js';
import { toWccData } from './attributes.js';
import type { Nfs3Service, Target } from './service.js';

export async function commit(args: Commit3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Commit3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.file, ctx);
    const wcc = await t.exp.union.commit(t.id);
    return { status: Nfsstat3.NFS3_OK, verf: nfs.writeVerifier.value, fileWcc: toWccData(wcc, t.exp.fsid) };
  } catch (e) {
    if (e instanceof UnionError && (e.code === 'EIO' || e.code === 'ENOSPC' || e.code === 'EDQUOT')) {
      nfs.writeVerifier.rotate();
      nfs.log.log('warn', 'nfs3: COMMIT failed to flush; write verifier changed', { xid: ctx.xid, error: e.message });
    }
    return { status: nfs.fail(e, ctx, 'COMMIT'), fileWcc: { after: await nfs.postOp(t) } };
  }
}
