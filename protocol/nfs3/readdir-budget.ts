/**
 * READDIR / READDIRPLUS size accounting, so a handler stops exactly at the client's limits.
 *
 * What is counted (our choice, documented because RFC 1813 is loose):
 *
 * - READDIR `count` (section 3.3.16) is "the maximum size of the READDIR3resok structure,
 *   including all XDR overhead". We bound the whole reply body instead: the nfsstat3 word too,
 *   i.e. everything after the RPC accepted-reply header. That is 4 bytes stricter than the RFC,
 *   so a reply we build always satisfies a client that reads `count` either way.
 * - READDIRPLUS `maxcount` (3.3.17) likewise bounds the whole reply body.
 * - READDIRPLUS `dircount` is "the maximum number of bytes of directory information returned",
 *   excluding attributes and handles. We count, per entry, what that entry would cost in a
 *   READDIR reply: value-follows + fileid + name + cookie (24 bytes + the padded name), which is
 *   how the BSD servers measure it. The fixed overhead is not counted against dircount. Because
 *   dircount is only a hint, it never causes NFS3ERR_TOOSMALL: the first entry is always
 *   accepted on dircount grounds, and only maxcount can refuse it. (Linux knfsd bounds
 *   READDIRPLUS by maxcount alone; a handler wanting that passes `dircount = Infinity`.)
 *
 * Worked example (READDIR, dir attributes present, count = 200):
 *   overhead = status 4 + post_op_attr 88 + cookieverf 8 + final FALSE 4 + eof 4 = 108
 *   entry "a.txt" = follows 4 + fileid 8 + len 4 + "a.txt" padded 8 + cookie 8 = 32
 *   108 + 32 * 2 = 172 fits; a third entry makes 204 > 200, so two entries and eof = FALSE.
 */

import { postOpAttrSize, postOpFh3Size } from './basic.js';
import type { Entry3, Entryplus3 } from './readdir.js';
import type { PostOpAttr } from './types.js';

const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * Bytes of a READDIR/READDIRPLUS reply body that do not depend on the entries: status,
 * dir_attributes, cookieverf, the value-follows FALSE ending the list, and eof.
 */
export function dirlistOverhead(dirAttributes: PostOpAttr): number {
  return 4 + postOpAttrSize(dirAttributes) + 8 + 4 + 4;
}

/** Encoded size of one entry3 including its value-follows word. */
export function entry3Size(name: string): number {
  return 4 + 8 + 4 + pad4(Buffer.byteLength(name, 'utf8')) + 8;
}

/**
 * A first pass over names in listing order: accepts them while their entry3 sizes fit in `bytes`
 * (the first always). It counts less than a DirlistBudget does (no attributes, handles or reply
 * overhead), so it never refuses a name the full budget would take; a listing uses it to stop
 * fetching entries that could not go out anyway.
 */
export function nameBudget(bytes: number): (name: string) => boolean {
  let used = 0;
  let taken = 0;
  return (name) => {
    const size = entry3Size(name);
    if (taken > 0 && used + size > bytes) return false;
    used += size;
    taken++;
    return true;
  };
}

/** Encoded size of one entryplus3 including its value-follows word. */
export function entryplus3Size(e: Entryplus3): number {
  return entry3Size(e.name) + postOpAttrSize(e.nameAttributes) + postOpFh3Size(e.nameHandle);
}

/**
 * Accumulates entries while they fit. Once one entry is refused every later one is too, so the
 * accepted entries are always a prefix of what the handler offered (cookies stay contiguous).
 */
export class DirlistBudget {
  private bytes: number;
  private dirBytes = 0;
  private accepted = 0;
  private full = false;

  /**
   * @param maxBytes bound on the whole reply body (READDIR count / READDIRPLUS maxcount)
   * @param dirAttributes the dir_attributes the reply will carry (their size counts)
   * @param maxDirBytes READDIRPLUS dircount (a hint, see above); Infinity for READDIR
   */
  constructor(
    private readonly maxBytes: number,
    dirAttributes: PostOpAttr,
    private readonly maxDirBytes = Infinity,
  ) {
    this.bytes = dirlistOverhead(dirAttributes);
  }

  static forReaddir(count: number, dirAttributes: PostOpAttr): DirlistBudget {
    return new DirlistBudget(count, dirAttributes);
  }

  static forReaddirplus(maxcount: number, dircount: number, dirAttributes: PostOpAttr): DirlistBudget {
    return new DirlistBudget(maxcount, dirAttributes, dircount);
  }

  /** Account for one READDIR entry; false (now and for every later entry) when it does not fit. */
  addEntry3(e: Entry3): boolean {
    const size = entry3Size(e.name);
    return this.add(size, size);
  }

  /** Account for one READDIRPLUS entry (attributes and handle as they will be sent). */
  addEntryplus3(e: Entryplus3): boolean {
    return this.add(entryplus3Size(e), entry3Size(e.name));
  }

  /** Account for an entry of `size` reply bytes, `dirSize` of which count against dircount. */
  add(size: number, dirSize: number): boolean {
    if (this.full) return false;
    const overMax = this.bytes + size > this.maxBytes;
    // dircount is a hint: it may end a listing but never refuse the first entry.
    const overDir = this.accepted > 0 && this.dirBytes + dirSize > this.maxDirBytes;
    if (overMax || overDir) {
      this.full = true;
      return false;
    }
    this.bytes += size;
    this.dirBytes += dirSize;
    this.accepted++;
    return true;
  }

  /** Encoded size of the reply body with the entries accepted so far. */
  get replyBytes(): number {
    return this.bytes;
  }

  /** Entries accepted so far. */
  get count(): number {
    return this.accepted;
  }

  /**
   * NFS3ERR_TOOSMALL (section 3.3.16): the limit cannot hold even the empty reply, or it refused
   * the first entry offered. Ask after offering entries; a directory with no entries left at
   * this cookie is not TOOSMALL as long as the empty reply fits.
   */
  get tooSmall(): boolean {
    return this.bytes > this.maxBytes || (this.accepted === 0 && this.full);
  }
}
