/**
 * union-core attributes to their NFSv3 wire forms (fattr3, wcc_attr, wcc_data) and sattr3 to
 * union-core's SetAttrs. One converter per type.
 */

import { Ftype3, type Fattr3, type Sattr3, type WccData } from '../../protocol/nfs3/index.js';
import type { Attr, NodeType, SetAttrs, Timespec, Wcc, WccAttr } from '../../union-core/index.js';

const FTYPE: Record<NodeType, Ftype3> = {
  file: Ftype3.NF3REG,
  dir: Ftype3.NF3DIR,
  symlink: Ftype3.NF3LNK,
  char: Ftype3.NF3CHR,
  block: Ftype3.NF3BLK,
  socket: Ftype3.NF3SOCK,
  fifo: Ftype3.NF3FIFO,
};

/** specdata3 of the many objects that are no device, shared (read only). */
const NO_DEVICE = Object.freeze({ specdata1: 0, specdata2: 0 });

function nfstime(t: Timespec) {
  // nfstime3 seconds are unsigned 32-bit: clamp times before 1970 or after 2106 rather than wrap.
  const seconds = t.sec < 0 ? 0 : t.sec > 0xffffffff ? 0xffffffff : t.sec;
  return { seconds, nseconds: t.nsec };
}

/** fattr3 of one object; `fsid` is the export's. */
export function toFattr3(a: Attr, fsid: bigint): Fattr3 {
  // Times that are one Timespec (attrOf shares it) make one nfstime3.
  const mtime = nfstime(a.mtime);
  const ctime = a.ctime === a.mtime ? mtime : nfstime(a.ctime);
  return {
    type: FTYPE[a.type],
    mode: a.mode & 0o7777,
    // macOS never lists a directory whose nlink is 1 (traps): directories report at least 2.
    nlink: a.type === 'dir' ? Math.max(2, a.nlink) : a.nlink,
    uid: a.uid,
    gid: a.gid,
    size: a.size,
    used: a.used,
    rdev: a.rdev.major === 0 && a.rdev.minor === 0 ? NO_DEVICE : { specdata1: a.rdev.major, specdata2: a.rdev.minor },
    fsid,
    fileid: a.fileid,
    atime: a.atime === a.mtime ? mtime : nfstime(a.atime),
    mtime,
    ctime,
  };
}

function toWccAttr(w: WccAttr) {
  return { size: w.size, mtime: nfstime(w.mtime), ctime: nfstime(w.ctime) };
}

/** The pre-operation half of wcc_data, taken from full attributes before a change. */
export function preOpOf(a: Attr): WccAttr {
  return { size: a.size, mtime: a.mtime, ctime: a.ctime };
}

export function toWccData(w: Wcc | undefined, fsid: bigint): WccData {
  if (!w) return {};
  return {
    before: w.before ? toWccAttr(w.before) : undefined,
    after: w.after ? toFattr3(w.after, fsid) : undefined,
  };
}

/** sattr3 → SetAttrs (absent members stay absent: "don't change"). */
export function toSetAttrs(s: Sattr3): SetAttrs {
  const out: SetAttrs = {};
  if (s.mode !== undefined) out.mode = s.mode & 0o7777;
  if (s.uid !== undefined) out.uid = s.uid;
  if (s.gid !== undefined) out.gid = s.gid;
  if (s.size !== undefined) out.size = s.size;
  if (s.atime !== undefined) out.atime = s.atime === 'server' ? 'server' : { sec: s.atime.seconds, nsec: s.atime.nseconds };
  if (s.mtime !== undefined) out.mtime = s.mtime === 'server' ? 'server' : { sec: s.mtime.seconds, nsec: s.mtime.nseconds };
  return out;
}
