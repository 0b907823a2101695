/**
 * CREATE (RFC 1813 section 3.3.8): UNCHECKED (truncate an existing file per the attributes),
 * GUARDED (EXIST if the name is taken), EXCLUSIVE (union-core persists the verifier, so a
 * retransmitted create with the same verifier succeeds on the same file).
 */

import { Createmode3, type Create3Args, type Create3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import type { CreateHow } from '../../union-core/index.js';
import { toSetAttrs } from './attributes.js';
import { newObjectFailed, newObjectOk } from './new-object.js';
import type { Nfs3Service, Target } from './service.js';

export async function create(args: Create3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Create3Res> {
  let dir: Target | undefined;
  try {
    dir = nfs.target(args.where.dir, ctx, true);
    const how: CreateHow =
      args.how.mode === Createmode3.EXCLUSIVE
        ? { mode: 'exclusive', verifier: Buffer.from(args.how.verf) }
        : { mode: args.how.mode === Createmode3.GUARDED ? 'guarded' : 'unchecked', attrs: toSetAttrs(args.how.objAttributes) };
    return newObjectOk(nfs, dir, await dir.exp.union.create(dir.id, args.where.name, how, dir.caller));
  } catch (e) {
    return newObjectFailed(nfs, dir, e, ctx, 'CREATE');
  }
}
