/** RMDIR (RFC 1813 section 3.3.13). A merged directory's removal leaves a whiteout (union-core). */

import type { Rmdir3Args, Rmdir3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { removeName } from './remove.js';
import type { Nfs3Service } from './service.js';

export function rmdir(args: Rmdir3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Rmdir3Res> {
  return removeName('rmdir', args, ctx, nfs);
}
