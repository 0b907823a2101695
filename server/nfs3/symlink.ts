/** SYMLINK (RFC 1813 section 3.3.10): the target is stored as given and never followed here. */

import type { Symlink3Args, Symlink3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { toSetAttrs } from './attributes.js';
import { newObjectFailed, newObjectOk } from './new-object.js';
import type { Nfs3Service, Target } from './service.js';

export async function symlink(args: Symlink3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Symlink3Res> {
  let dir: Target | undefined;
  try {
    dir = nfs.target(args.where.dir, ctx, true);
    const { symlinkData, symlinkAttributes } = args.symlink;
    return newObjectOk(nfs, dir, await dir.exp.union.symlink(dir.id, args.where.name, symlinkData, toSetAttrs(symlinkAttributes), dir.caller));
  } catch (e) {
    return newObjectFailed(nfs, dir, e, ctx, 'SYMLINK');
  }
}
