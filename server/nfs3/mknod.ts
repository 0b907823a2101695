/**
 * MKNOD (RFC 1813 section 3.3.11): devices, sockets and fifos. Regular files, directories and
 * symlinks have their own procedures: asking MKNOD for one is BADTYPE.
 */

import { Ftype3, Nfsstat3, type Mknod3Args, type Mknod3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { toSetAttrs } from './attributes.js';
import { newObjectFailed, newObjectOk } from './new-object.js';
import { NfsStatusError } from './status.js';
import type { Nfs3Service, Target } from './service.js';

export async function mknod(args: Mknod3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Mknod3Res> {
  let dir: Target | undefined;
  try {
    dir = nfs.target(args.where.dir, ctx, true);
    const what = args.what;
    const { union } = dir.exp;
    const name = args.where.name;
    switch (what.type) {
      case Ftype3.NF3CHR:
      case Ftype3.NF3BLK: {
        const rdev = { major: what.device.spec.specdata1, minor: what.device.spec.specdata2 };
        const type = what.type === Ftype3.NF3CHR ? 'char' : 'block';
        return newObjectOk(nfs, dir, await union.mknod(dir.id, name, type, toSetAttrs(what.device.devAttributes), rdev, dir.caller));
      }
      case Ftype3.NF3SOCK:
      case Ftype3.NF3FIFO: {
        const type = what.type === Ftype3.NF3SOCK ? 'socket' : 'fifo';
        return newObjectOk(nfs, dir, await union.mknod(dir.id, name, type, toSetAttrs(what.pipeAttributes), { major: 0, minor: 0 }, dir.caller));
      }
      default:
        throw new NfsStatusError(Nfsstat3.NFS3ERR_BADTYPE);
    }
  } catch (e) {
    return newObjectFailed(nfs, dir, e, ctx, 'MKNOD');
  }
}
