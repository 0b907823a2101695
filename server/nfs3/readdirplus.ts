/**
 * READDIRPLUS (RFC 1813 section 3.3.17): entries with handles and attributes, so a client lists
 * a directory without a LOOKUP+GETATTR per name. `maxcount` caps the whole reply, `dircount` (a
 * hint) the name/cookie bytes; TOOSMALL when not even one entry fits.
 */

import { Access3, DirlistBudget, nameBudget, type Entryplus3, type Readdirplus3Args, type Readdirplus3Res } from '../../protocol/nfs3/index.js';
import type { CallContext } from '../../protocol/rpc/index.js';
import { entryLimit, fillReply, listFrom, MIN_ENTRY3_BYTES } from './dir-listing.js';
import type { Nfs3Service, Target } from './service.js';

/** Smallest entryplus3: entry3 plus attributes (4+84) and a handle (4+4+32). */
const MIN_ENTRYPLUS3_BYTES = MIN_ENTRY3_BYTES + 88 + 40;

export async function readdirplus(args: Readdirplus3Args, ctx: CallContext, nfs: Nfs3Service): Promise<Readdirplus3Res> {
  let dir: Target | undefined;
  try {
    dir = nfs.target(args.dir, ctx);
    const limit = Math.min(entryLimit(args.maxcount, MIN_ENTRYPLUS3_BYTES), entryLimit(args.dircount, MIN_ENTRY3_BYTES));
    // Handles and attributes only for a caller who may search the directory (LOOKUP would be
    // ACCES otherwise): a handle bypasses the directory's permissions. knfsd likewise sends names
    // without handles there (compose_entry_fh's lookup fails).
    const { granted } = await dir.exp.union.access(dir.id, Access3.LOOKUP, dir.caller);
    const listing = await listFrom(dir, args.cookie, limit, (granted & Access3.LOOKUP) !== 0, nameBudget(args.dircount));
    const dirAttributes = nfs.fattr(dir, listing.dirAttr);
    const budget = DirlistBudget.forReaddirplus(args.maxcount, args.dircount, dirAttributes);
    const target = dir;
    // Every handle of the page in one go: their MACs are computed together (handlesOf).
    const handles = dir.exp.handlesOf(listing.entries.map((e) => e.fileid));
    return fillReply(
      listing,
      dirAttributes,
      (e, i): Entryplus3 => ({
        fileid: e.fileid,
        name: e.name,
        cookie: e.cookie,
        nameAttributes: e.attr && nfs.fattr(target, e.attr),
        nameHandle: e.attr && handles[i],
      }),
      (e) => budget.addEntryplus3(e),
      () => budget.tooSmall,
    );
  } catch (e) {
    return { status: nfs.fail(e, ctx, 'READDIRPLUS'), dirAttributes: await nfs.postOp(dir) };
  }
}
