/**
 * NFS version 3 (RFC 1813) program numbers, limits and enumerations. Every enum lists all values
 * the RFC defines; each has a matching `*_VALUES` set so decoders reject unknown discriminants
 * (XdrReader.enumOf) instead of passing surprises down to the handlers.
 */

/** RFC 1813 section 1.4: program 100003, version 3. */
export const NFS_PROGRAM = 100003;
export const NFS_V3 = 3;

/** RFC 1813 section 2.4: a file handle is at most 64 bytes. */
export const NFS3_FHSIZE = 64;
/** RFC 1813 section 2.4: cookie, create and write verifiers are 8 opaque bytes each. */
export const NFS3_COOKIEVERFSIZE = 8;
export const NFS3_CREATEVERFSIZE = 8;
export const NFS3_WRITEVERFSIZE = 8;

/**
 * Longest filename3 / nfspath3 the decoders accept. RFC 1813 leaves both unbounded (`string<>`);
 * the server's own limit for a name component is 255 bytes (NAME_MAX), but that is a file-system
 * rule it must answer with NFS3ERR_NAMETOOLONG (section 2.6), not a malformed call. So decoding
 * accepts up to 1024 bytes and leaves the 255 check to the handler; anything longer is hostile
 * and becomes GARBAGE_ARGS before any allocation.
 */
export const NFS3_MAX_NAME_DECODE = 1024;
/** Symlink targets: PATH_MAX on Linux is 4096. */
export const NFS3_MAX_PATH_DECODE = 4096;
/** The name-component limit the server enforces (answered with NFS3ERR_NAMETOOLONG). */
export const NFS3_NAME_MAX = 255;
/** Largest READ/WRITE payload the decoders accept (clients cap rsize/wsize at 1 MiB). */
export const NFS3_MAX_DATA = 1 << 20;

/** RFC 1813 section 3: procedure numbers. */
export const enum Nfs3Proc {
  NULL = 0,
  GETATTR = 1,
  SETATTR = 2,
  LOOKUP = 3,
  ACCESS = 4,
  READLINK = 5,
  READ = 6,
  WRITE = 7,
  CREATE = 8,
  MKDIR = 9,
  SYMLINK = 10,
  MKNOD = 11,
  REMOVE = 12,
  RMDIR = 13,
  RENAME = 14,
  LINK = 15,
  READDIR = 16,
  READDIRPLUS = 17,
  FSSTAT = 18,
  FSINFO = 19,
  PATHCONF = 20,
  COMMIT = 21,
}

/** RFC 1813 section 2.6: nfsstat3, every value. */
export const enum Nfsstat3 {
  NFS3_OK = 0,
  NFS3ERR_PERM = 1,
  NFS3ERR_NOENT = 2,
  NFS3ERR_IO = 5,
  NFS3ERR_NXIO = 6,
  NFS3ERR_ACCES = 13,
  NFS3ERR_EXIST = 17,
  NFS3ERR_XDEV = 18,
  NFS3ERR_NODEV = 19,
  NFS3ERR_NOTDIR = 20,
  NFS3ERR_ISDIR = 21,
  NFS3ERR_INVAL = 22,
  NFS3ERR_FBIG = 27,
  NFS3ERR_NOSPC = 28,
  NFS3ERR_ROFS = 30,
  NFS3ERR_MLINK = 31,
  NFS3ERR_NAMETOOLONG = 63,
  NFS3ERR_NOTEMPTY = 66,
  NFS3ERR_DQUOT = 69,
  NFS3ERR_STALE = 70,
  NFS3ERR_REMOTE = 71,
  NFS3ERR_BADHANDLE = 10001,
  NFS3ERR_NOT_SYNC = 10002,
  NFS3ERR_BAD_COOKIE = 10003,
  NFS3ERR_NOTSUPP = 10004,
  NFS3ERR_TOOSMALL = 10005,
  NFS3ERR_SERVERFAULT = 10006,
  NFS3ERR_BADTYPE = 10007,
  NFS3ERR_JUKEBOX = 10008,
}

/** Any status but NFS3_OK: the type of every failure arm. */
export type Nfs3Error = Exclude<Nfsstat3, Nfsstat3.NFS3_OK>;

export const NFSSTAT3_VALUES: ReadonlySet<number> = new Set<number>([
  Nfsstat3.NFS3_OK,
  Nfsstat3.NFS3ERR_PERM,
  Nfsstat3.NFS3ERR_NOENT,
  Nfsstat3.NFS3ERR_IO,
  Nfsstat3.NFS3ERR_NXIO,
  Nfsstat3.NFS3ERR_ACCES,
  Nfsstat3.NFS3ERR_EXIST,
  Nfsstat3.NFS3ERR_XDEV,
  Nfsstat3.NFS3ERR_NODEV,
  Nfsstat3.NFS3ERR_NOTDIR,
  Nfsstat3.NFS3ERR_ISDIR,
  Nfsstat3.NFS3ERR_INVAL,
  Nfsstat3.NFS3ERR_FBIG,
  Nfsstat3.NFS3ERR_NOSPC,
  Nfsstat3.NFS3ERR_ROFS,
  Nfsstat3.NFS3ERR_MLINK,
  Nfsstat3.NFS3ERR_NAMETOOLONG,
  Nfsstat3.NFS3ERR_NOTEMPTY,
  Nfsstat3.NFS3ERR_DQUOT,
  Nfsstat3.NFS3ERR_STALE,
  Nfsstat3.NFS3ERR_REMOTE,
  Nfsstat3.NFS3ERR_BADHANDLE,
  Nfsstat3.NFS3ERR_NOT_SYNC,
  Nfsstat3.NFS3ERR_BAD_COOKIE,
  Nfsstat3.NFS3ERR_NOTSUPP,
  Nfsstat3.NFS3ERR_TOOSMALL,
  Nfsstat3.NFS3ERR_SERVERFAULT,
  Nfsstat3.NFS3ERR_BADTYPE,
  Nfsstat3.NFS3ERR_JUKEBOX,
]);

/** RFC 1813 section 2.6: ftype3. */
export const enum Ftype3 {
  NF3REG = 1,
  NF3DIR = 2,
  NF3BLK = 3,
  NF3CHR = 4,
  NF3LNK = 5,
  NF3SOCK = 6,
  NF3FIFO = 7,
}

export const FTYPE3_VALUES: ReadonlySet<number> = new Set<number>([
  Ftype3.NF3REG,
  Ftype3.NF3DIR,
  Ftype3.NF3BLK,
  Ftype3.NF3CHR,
  Ftype3.NF3LNK,
  Ftype3.NF3SOCK,
  Ftype3.NF3FIFO,
]);

/** RFC 1813 section 3.3.7: stable_how. */
export const enum StableHow {
  UNSTABLE = 0,
  DATA_SYNC = 1,
  FILE_SYNC = 2,
}

export const STABLE_HOW_VALUES: ReadonlySet<number> = new Set<number>([
  StableHow.UNSTABLE,
  StableHow.DATA_SYNC,
  StableHow.FILE_SYNC,
]);

/** RFC 1813 section 3.3.8: createmode3. */
export const enum Createmode3 {
  UNCHECKED = 0,
  GUARDED = 1,
  EXCLUSIVE = 2,
}

export const CREATEMODE3_VALUES: ReadonlySet<number> = new Set<number>([
  Createmode3.UNCHECKED,
  Createmode3.GUARDED,
  Createmode3.EXCLUSIVE,
]);

/** RFC 1813 section 2.6 (sattr3): time_how. */
export const enum TimeHow {
  DONT_CHANGE = 0,
  SET_TO_SERVER_TIME = 1,
  SET_TO_CLIENT_TIME = 2,
}

export const TIME_HOW_VALUES: ReadonlySet<number> = new Set<number>([
  TimeHow.DONT_CHANGE,
  TimeHow.SET_TO_SERVER_TIME,
  TimeHow.SET_TO_CLIENT_TIME,
]);

/** RFC 1813 section 3.3.4: ACCESS3 permission bits (a bit mask, not an enum on the wire). */
export const enum Access3 {
  READ = 0x0001,
  LOOKUP = 0x0002,
  MODIFY = 0x0004,
  EXTEND = 0x0008,
  DELETE = 0x0010,
  EXECUTE = 0x0020,
}

/** RFC 1813 section 3.3.19: FSINFO properties bits. */
export const enum Fsf3 {
  LINK = 0x0001,
  SYMLINK = 0x0002,
  HOMOGENEOUS = 0x0008,
  CANSETTIME = 0x0010,
}
