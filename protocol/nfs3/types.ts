/**
 * RFC 1813 section 2.5-2.6 data types as TypeScript types. Field names are the RFC's in camelCase
 * (obj_attributes -> objAttributes). 64-bit quantities are bigint; opaque byte strings (file
 * handles, verifiers, data) are Buffers that view the decoded message, never copies.
 */

import type { Ftype3, Nfs3Error, Nfsstat3 } from './constants.js';

/** nfs_fh3: opaque<64>. */
export type NfsFh3 = Buffer;

/** nfstime3: seconds and nanoseconds since the epoch, both unsigned 32-bit. */
export interface Nfstime3 {
  seconds: number;
  nseconds: number;
}

/** specdata3: device major/minor for character and block special files. */
export interface Specdata3 {
  specdata1: number;
  specdata2: number;
}

/** fattr3 (section 2.6): 84 bytes on the wire. */
export interface Fattr3 {
  type: Ftype3;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: bigint;
  used: bigint;
  rdev: Specdata3;
  fsid: bigint;
  fileid: bigint;
  atime: Nfstime3;
  mtime: Nfstime3;
  ctime: Nfstime3;
}

/** wcc_attr: the pre-operation subset of attributes. */
export interface WccAttr {
  size: bigint;
  mtime: Nfstime3;
  ctime: Nfstime3;
}

/** post_op_attr: attributes when the server has them. */
export type PostOpAttr = Fattr3 | undefined;
/** pre_op_attr. */
export type PreOpAttr = WccAttr | undefined;
/** post_op_fh3. */
export type PostOpFh3 = NfsFh3 | undefined;

/** wcc_data: weak cache consistency around a change. */
export interface WccData {
  before?: WccAttr;
  after?: Fattr3;
}

/**
 * A time in sattr3: absent = DONT_CHANGE, 'server' = SET_TO_SERVER_TIME, a value =
 * SET_TO_CLIENT_TIME.
 */
export type SetTime3 = Nfstime3 | 'server';

/** sattr3: each member absent means "don't change" (set_mode3 ... set_mtime are XDR unions). */
export interface Sattr3 {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: bigint;
  atime?: SetTime3;
  mtime?: SetTime3;
}

/** diropargs3: a directory handle and one name in it. */
export interface Diropargs3 {
  dir: NfsFh3;
  name: string;
}

/**
 * Every *3res in RFC 1813 is `union switch (nfsstat3 status) { case NFS3_OK: Ok; default: Fail }`.
 * This type says the same: `status` picks the arm.
 */
export type Nfs3Result<Ok, Fail = {}> = ({ status: Nfsstat3.NFS3_OK } & Ok) | ({ status: Nfs3Error } & Fail);
