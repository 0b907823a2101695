/**
 * FSINFO (RFC 1813 section 3.3.19). The Linux client caps rsize/wsize at 1 MiB, and small sizes
 * are the classic cause of slow user-space servers: offer 1 MiB for reads, writes and directory
 * listings alike.
 */

import { Fsf3, Nfsstat3, NFS3_MAX_DATA, type Fsinfo3Args, type Fsinfo3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { Nfs3Service, Target } from './service.js';

/** Offsets are JavaScript numbers inside union-core: 2^53 - 1 is the honest maximum. */
const MAX_FILE_SIZE = BigInt(Number.MAX_SAFE_INTEGER);
/** Block multiple clients should align I/O to (the upper's page size). */
const IO_MULTIPLE = 4096;

export async function fsinfo(args: Fsinfo3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Fsinfo3Res> {
  let t: Target | undefined;
  try {
    t = nfs.target(args.fsroot, ctx);
    return {
      status: Nfsstat3.NFS3_OK,
      objAttributes: nfs.fattr(t, await t.exp.union.getattr(t.id)),
      rtmax: NFS3_MAX_DATA,
      rtpref: NFS3_MAX_DATA,
      rtmult: IO_MULTIPLE,
      wtmax: NFS3_MAX_DATA,
      wtpref: NFS3_MAX_DATA,
      wtmult: IO_MULTIPLE,
      dtpref: NFS3_MAX_DATA,
      maxfilesize: MAX_FILE_SIZE,
      // Times are kept to the nanosecond.
      timeDelta: { seconds: 0, nseconds: 1 },
      properties: Fsf3.LINK | Fsf3.SYMLINK | Fsf3.HOMOGENEOUS | Fsf3.CANSETTIME,
    };
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'FSINFO'), objAttributes: await nfs.postOp(t) };
  }
}
