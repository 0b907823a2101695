/**
 * The entries READDIR and READDIRPLUS offer, in cookie order: "." (cookie 1) and ".." (cookie 2)
 * as knfsd sends them (`ls -a` shows what the server lists), then the union's entries, whose
 * cookies are persistent fallthrus (> 2, never reused). A cookie is always a valid resume point —
 * any cookie resumes after itself — so the cookie verifier is constant and never checked
 * (RFC 1813 section 3.3.16 allows this; BAD_COOKIE on ordinary changes breaks `rm -rf`).
 *
 * The handler offers entries to its DirlistBudget until one does not fit. The union is asked for
 * O(reply) entries, never the whole directory: `limit` bounds how many could fit at the shortest
 * names, and `names` (a nameBudget) ends the listing where the actual names fill the reply's
 * name budget, so entries that cannot go out get no attributes or handles.
 */

import { Nfsstat3, type Fattr3 } from '../../protocol/nfs3/index.js';
import type { Attr } from '../../union-core/index.js';
import type { Target } from './service.js';

export const COOKIEVERF = Buffer.alloc(8);
const DOT_COOKIE = 1n;
const DOTDOT_COOKIE = 2n;

export interface OfferedEntry {
  name: string;
  fileid: bigint;
  cookie: bigint;
  attr?: Attr;
}

export interface Listing {
  entries: OfferedEntry[];
  /** The last offered entry is the directory's last. */
  eof: boolean;
  dirAttr: Attr;
}

/** Smallest READDIR entry3 on the wire (value_follows, fileid, 4-byte name, cookie). */
export const MIN_ENTRY3_BYTES = 28;

export async function listFrom(dir: Target, cookie: bigint, limit: number, withAttrs: boolean, names: (name: string) => boolean): Promise<Listing> {
  const { union } = dir.exp;
  const dots = cookie < DOTDOT_COOKIE ? 2 : 0;
  const rest = await union.readdir(dir.id, cookie > DOTDOT_COOKIE ? cookie : 0n, Math.max(1, limit - dots), { withAttrs, fits: names }, dir.caller);
  if (!dots) return rest;
  // "." is the directory itself: its id and the attributes the listing already took.
  const self: OfferedEntry = { name: '.', fileid: dir.id, cookie: DOT_COOKIE, attr: withAttrs ? rest.dirAttr : undefined };
  const parent = await dotdot(dir, withAttrs);
  return { entries: [...(cookie < DOT_COOKIE ? [self] : []), parent, ...rest.entries], eof: rest.eof, dirAttr: rest.dirAttr };
}

/** "..": the parent if the caller may look it up, else the directory itself (the client ignores it). */
async function dotdot(dir: Target, withAttrs: boolean): Promise<OfferedEntry> {
  try {
    const up = await dir.exp.union.lookup(dir.id, '..', dir.caller);
    return { name: '..', fileid: up.fileid, cookie: DOTDOT_COOKIE, attr: withAttrs ? up.attr : undefined };
  } catch {
    return { name: '..', fileid: dir.id, cookie: DOTDOT_COOKIE };
  }
}

/** How many entries could fit in `bytes`, capped so one call never asks the union for too many. */
export function entryLimit(bytes: number, minEntryBytes: number): number {
  return Math.max(1, Math.min(Math.ceil(bytes / minEntryBytes) + 1, 16384));
}

/**
 * The reply of READDIR/READDIRPLUS from a listing: entries while `fits` accepts them (the budget
 * refuses every entry after its first refusal, so cookies stay contiguous), TOOSMALL when not one
 * did, eof only when every offered entry went out and the listing reached the end.
 */
export function fillReply<E>(
  listing: Listing,
  dirAttributes: Fattr3,
  toEntry: (e: OfferedEntry, i: number) => E,
  fits: (e: E) => boolean,
  tooSmall: () => boolean,
) {
  const entries: E[] = [];
  for (let i = 0; i < listing.entries.length; i++) {
    const entry = toEntry(listing.entries[i], i);
    if (!fits(entry)) break;
    entries.push(entry);
  }
  if (tooSmall()) return { status: Nfsstat3.NFS3ERR_TOOSMALL as const, dirAttributes };
  const eof = entries.length === listing.entries.length && listing.eof;
  return { status: Nfsstat3.NFS3_OK as const, dirAttributes, cookieverf: COOKIEVERF, entries, eof };
}
