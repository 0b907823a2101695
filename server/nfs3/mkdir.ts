/** MKDIR (RFC 1813 section 3.3.9). */

import type { Mkdir3Args, Mkdir3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { toSetAttrs } from './attributes.js';
import { newObjectFailed, newObjectOk } from './new-object.js';
import type { Nfs3Service, Target } from './service.js';

export async function mkdir(args: Mkdir3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Mkdir3Res> {
  let dir: Target | undefined;
  try {
    dir = nfs.target(args.where.dir, ctx, true);
    return newObjectOk(nfs, dir, await dir.exp.union.mkdir(dir.id, args.where.name, toSetAttrs(args.attributes), dir.caller));
  } catch (e) {
    return newObjectFailed(nfs, dir, e, ctx, 'MKDIR');
  }
}
