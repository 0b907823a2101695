/**
 * MOUNT protocol constants: version 3 from RFC 1813 Appendix I, version 1 from RFC 1094
 * Appendix A. Both versions share procedure numbers and every type except the MNT result.
 */

export const MOUNT_PROGRAM = 100005;
export const MOUNT_V1 = 1;
export const MOUNT_V3 = 3;

/** MNTPATHLEN: a dirpath is at most 1024 bytes. */
export const MNTPATHLEN = 1024;
/** MNTNAMLEN: host and group names are at most 255 bytes. */
export const MNTNAMLEN = 255;
/** FHSIZE3: a version 3 handle is at most 64 bytes. */
export const FHSIZE3 = 64;
/** FHSIZE: a version 1 (NFSv2) handle is exactly 32 bytes. */
export const FHSIZE = 32;
/**
 * auth_flavors is an unbounded int<> in RFC 1813; real servers list one to a handful. A decode
 * bound keeps a hostile reply from allocating.
 */
export const MAX_AUTH_FLAVORS = 64;
/** Bound on entries in a decoded mountlist / exports / groups list (client side only). */
export const MAX_MOUNT_LIST = 65_536;

export const enum MountProc {
  NULL = 0,
  MNT = 1,
  DUMP = 2,
  UMNT = 3,
  UMNTALL = 4,
  EXPORT = 5,
}

/** RFC 1813 Appendix I: mountstat3, every value. */
export const enum Mountstat3 {
  MNT3_OK = 0,
  MNT3ERR_PERM = 1,
  MNT3ERR_NOENT = 2,
  MNT3ERR_IO = 5,
  MNT3ERR_ACCES = 13,
  MNT3ERR_NOTDIR = 20,
  MNT3ERR_INVAL = 22,
  MNT3ERR_NAMETOOLONG = 63,
  MNT3ERR_NOTSUPP = 10004,
  MNT3ERR_SERVERFAULT = 10006,
}

export type Mountstat3Error = Exclude<Mountstat3, Mountstat3.MNT3_OK>;

export const MOUNTSTAT3_VALUES: ReadonlySet<number> = new Set<number>([
  Mountstat3.MNT3_OK,
  Mountstat3.MNT3ERR_PERM,
  Mountstat3.MNT3ERR_NOENT,
  Mountstat3.MNT3ERR_IO,
  Mountstat3.MNT3ERR_ACCES,
  Mountstat3.MNT3ERR_NOTDIR,
  Mountstat3.MNT3ERR_INVAL,
  Mountstat3.MNT3ERR_NAMETOOLONG,
  Mountstat3.MNT3ERR_NOTSUPP,
  Mountstat3.MNT3ERR_SERVERFAULT,
]);
