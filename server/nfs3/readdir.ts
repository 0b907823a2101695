/**
 * READDIR (RFC 1813 section 3.3.16): names and cookies, filling the reply up to `count` bytes;
 * TOOSMALL when not even one entry fits. See dir-listing.ts for cookies.
 */

import { DirlistBudget, nameBudget, type Entry3, type Readdir3Args, type Readdir3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { entryLimit, fillReply, listFrom, MIN_ENTRY3_BYTES } from './dir-listing.js';
import type { Nfs3Service, Target } from './service.js';

export async function readdir(args: Readdir3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Readdir3Res> {
  let dir: Target | undefined;
  try {
    dir = nfs.target(args.dir, ctx);
    const listing = await listFrom(dir, args.cookie, entryLimit(args.count, MIN_ENTRY3_BYTES), false, nameBudget(args.count));
    const dirAttributes = nfs.fattr(dir, listing.dirAttr);
    const budget = DirlistBudget.forReaddir(args.count, dirAttributes);
    return fillReply(
      listing,
      dirAttributes,
      (e): Entry3 => ({ fileid: e.fileid, name: e.name, cookie: e.cookie }),
      (e) => budget.addEntry3(e),
      () => budget.tooSmall,
    );
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'READDIR'), dirAttributes: await nfs.postOp(dir) };
  }
}
