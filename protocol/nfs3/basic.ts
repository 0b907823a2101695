/**
 * Codecs for the RFC 1813 section 2.5-2.6 building blocks: one decoder and one encoder per XDR
 * type, composed by the procedure modules. Decoders throw XdrDecodeError (from XdrReader) on short
 * input, bad discriminants and over-long opaques; nothing else.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import {
  FTYPE3_VALUES,
  NFS3_COOKIEVERFSIZE,
  NFS3_FHSIZE,
  NFS3_MAX_NAME_DECODE,
  NFS3_MAX_PATH_DECODE,
  NFSSTAT3_VALUES,
  Nfsstat3,
  TIME_HOW_VALUES,
  TimeHow,
  type Ftype3,
  type Nfs3Error,
} from './constants.js';
import type {
  Diropargs3,
  Fattr3,
  Nfs3Result,
  NfsFh3,
  Nfstime3,
  PostOpAttr,
  PostOpFh3,
  PreOpAttr,
  Sattr3,
  SetTime3,
  Specdata3,
  WccAttr,
  WccData,
} from './types.js';

/** Size of an encoded fattr3 (section 2.6): five words, five hypers and three nfstime3. */
export const FATTR3_SIZE = 84;
/** Size of an encoded wcc_attr: size3 + two nfstime3. */
export const WCC_ATTR_SIZE = 24;

// ---- nfs_fh3, filename3, nfspath3, verifiers ----

export function decodeNfsFh3(r: XdrReader): NfsFh3 {
  return r.opaque(NFS3_FHSIZE, 'nfs_fh3');
}

export function encodeNfsFh3(w: XdrWriter, fh: NfsFh3): void {
  if (fh.length > NFS3_FHSIZE) throw new RangeError(`nfs_fh3 of ${fh.length} bytes > ${NFS3_FHSIZE}`);
  w.opaque(fh);
}

/**
 * filename3: strict UTF-8 (the union engine names files with strings, and a name that cannot
 * round-trip must not be silently replaced by U+FFFD). Up to NFS3_MAX_NAME_DECODE bytes; the
 * 255-byte component limit is the handler's NFS3ERR_NAMETOOLONG.
 */
export function decodeFilename3(r: XdrReader): string {
  return r.string(NFS3_MAX_NAME_DECODE, 'filename3', true);
}

export function encodeFilename3(w: XdrWriter, name: string): void {
  w.string(name);
}

/** nfspath3 (symlink targets): strict UTF-8, up to NFS3_MAX_PATH_DECODE bytes. */
export function decodeNfspath3(r: XdrReader): string {
  return r.string(NFS3_MAX_PATH_DECODE, 'nfspath3', true);
}

export function encodeNfspath3(w: XdrWriter, path: string): void {
  w.string(path);
}

/** cookieverf3, createverf3 and writeverf3 are all opaque[8]: a view of the input. */
export function decodeVerifier8(r: XdrReader, what = 'verifier'): Buffer {
  return r.fixedOpaque(NFS3_COOKIEVERFSIZE, what);
}

export function encodeVerifier8(w: XdrWriter, verf: Buffer): void {
  if (verf.length !== NFS3_COOKIEVERFSIZE) throw new RangeError(`verifier of ${verf.length} bytes, not 8`);
  w.fixedOpaque(verf);
}

// ---- status and the result union ----

export function decodeNfsstat3(r: XdrReader): Nfsstat3 {
  return r.enumOf<Nfsstat3>(NFSSTAT3_VALUES, 'nfsstat3');
}

/** Write `res.status`, then the success or the failure arm. */
export function encodeNfs3Result<Ok, Fail>(
  w: XdrWriter,
  res: Nfs3Result<Ok, Fail>,
  encodeOk: (w: XdrWriter, ok: Ok) => void,
  encodeFail: (w: XdrWriter, fail: Fail) => void,
): void {
  w.uint32(res.status);
  if (res.status === Nfsstat3.NFS3_OK) encodeOk(w, res as Ok);
  else encodeFail(w, res as Fail);
}

/** Read a status, then the arm it selects. */
export function decodeNfs3Result<Ok, Fail>(
  r: XdrReader,
  decodeOk: (r: XdrReader) => Ok,
  decodeFail: (r: XdrReader) => Fail,
): Nfs3Result<Ok, Fail> {
  const status = decodeNfsstat3(r);
  if (status === Nfsstat3.NFS3_OK) return { status, ...decodeOk(r) };
  return { status: status as Nfs3Error, ...decodeFail(r) };
}

/** An empty arm (GETATTR3res's failure arm): nothing on the wire. */
export function encodeVoid(_w: XdrWriter, _v: {}): void {}
export function decodeVoid(_r: XdrReader): {} {
  return {};
}

/** Encoder and decoder of a one-field result arm, e.g. `{ objAttributes: post_op_attr }`. */
export interface ArmCodec<T> {
  encode(w: XdrWriter, v: T): void;
  decode(r: XdrReader): T;
}

/**
 * The many result arms that are a single post_op_attr under an RFC-given name (ACCESS3resfail's
 * obj_attributes, READ3resfail's file_attributes, ...).
 */
export function postOpAttrArm<K extends string>(field: K): ArmCodec<Record<K, PostOpAttr>> {
  return {
    encode: (w, v) => encodePostOpAttr(w, v[field]),
    decode: (r) => ({ [field]: decodePostOpAttr(r) }) as Record<K, PostOpAttr>,
  };
}

/** The result arms that are a single wcc_data (SETATTR's obj_wcc, REMOVE's dir_wcc, ...). */
export function wccDataArm<K extends string>(field: K): ArmCodec<Record<K, WccData>> {
  return {
    encode: (w, v) => encodeWccData(w, v[field]),
    decode: (r) => ({ [field]: decodeWccData(r) }) as Record<K, WccData>,
  };
}

// ---- nfstime3, specdata3, fattr3 ----

export function decodeNfstime3(r: XdrReader): Nfstime3 {
  return { seconds: r.uint32('nfstime3.seconds'), nseconds: r.uint32('nfstime3.nseconds') };
}

export function encodeNfstime3(w: XdrWriter, t: Nfstime3): void {
  w.uint32(t.seconds).uint32(t.nseconds);
}

export function decodeSpecdata3(r: XdrReader): Specdata3 {
  return { specdata1: r.uint32('specdata1'), specdata2: r.uint32('specdata2') };
}

export function encodeSpecdata3(w: XdrWriter, d: Specdata3): void {
  w.uint32(d.specdata1).uint32(d.specdata2);
}

export function decodeFtype3(r: XdrReader): Ftype3 {
  return r.enumOf<Ftype3>(FTYPE3_VALUES, 'ftype3');
}

export function decodeFattr3(r: XdrReader): Fattr3 {
  return {
    type: decodeFtype3(r),
    mode: r.uint32('fattr3.mode'),
    nlink: r.uint32('fattr3.nlink'),
    uid: r.uint32('fattr3.uid'),
    gid: r.uint32('fattr3.gid'),
    size: r.uint64('fattr3.size'),
    used: r.uint64('fattr3.used'),
    rdev: decodeSpecdata3(r),
    fsid: r.uint64('fattr3.fsid'),
    fileid: r.uint64('fattr3.fileid'),
    atime: decodeNfstime3(r),
    mtime: decodeNfstime3(r),
    ctime: decodeNfstime3(r),
  };
}

export function encodeFattr3(w: XdrWriter, a: Fattr3): void {
  w.uint32(a.type).uint32(a.mode).uint32(a.nlink).uint32(a.uid).uint32(a.gid);
  w.uint64(a.size).uint64(a.used);
  encodeSpecdata3(w, a.rdev);
  w.uint64(a.fsid).uint64(a.fileid);
  encodeNfstime3(w, a.atime);
  encodeNfstime3(w, a.mtime);
  encodeNfstime3(w, a.ctime);
}

// ---- post_op_attr, wcc_attr, pre_op_attr, wcc_data, post_op_fh3 ----

export function decodePostOpAttr(r: XdrReader): PostOpAttr {
  return r.optional(decodeFattr3, 'post_op_attr');
}

export function encodePostOpAttr(w: XdrWriter, a: PostOpAttr): void {
  w.optional(a, encodeFattr3);
}

/** Encoded size of a post_op_attr: the discriminant plus, when present, a fattr3. */
export function postOpAttrSize(a: PostOpAttr): number {
  return a ? 4 + FATTR3_SIZE : 4;
}

export function decodeWccAttr(r: XdrReader): WccAttr {
  return { size: r.uint64('wcc_attr.size'), mtime: decodeNfstime3(r), ctime: decodeNfstime3(r) };
}

export function encodeWccAttr(w: XdrWriter, a: WccAttr): void {
  w.uint64(a.size);
  encodeNfstime3(w, a.mtime);
  encodeNfstime3(w, a.ctime);
}

export function decodePreOpAttr(r: XdrReader): PreOpAttr {
  return r.optional(decodeWccAttr, 'pre_op_attr');
}

export function encodePreOpAttr(w: XdrWriter, a: PreOpAttr): void {
  w.optional(a, encodeWccAttr);
}

export function decodeWccData(r: XdrReader): WccData {
  const before = decodePreOpAttr(r);
  const after = decodePostOpAttr(r);
  return { before, after };
}

export function encodeWccData(w: XdrWriter, wcc: WccData): void {
  encodePreOpAttr(w, wcc.before);
  encodePostOpAttr(w, wcc.after);
}

export function decodePostOpFh3(r: XdrReader): PostOpFh3 {
  return r.optional(decodeNfsFh3, 'post_op_fh3');
}

export function encodePostOpFh3(w: XdrWriter, fh: PostOpFh3): void {
  w.optional(fh, encodeNfsFh3);
}

/** Encoded size of a post_op_fh3. */
export function postOpFh3Size(fh: PostOpFh3): number {
  return fh ? 8 + ((fh.length + 3) & ~3) : 4;
}

// ---- sattr3 ----

/** set_atime / set_mtime: `union switch (time_how)`, with a time only for SET_TO_CLIENT_TIME. */
export function decodeSetTime3(r: XdrReader, what: string): SetTime3 | undefined {
  const how = r.enumOf<TimeHow>(TIME_HOW_VALUES, what);
  if (how === TimeHow.SET_TO_CLIENT_TIME) return decodeNfstime3(r);
  return how === TimeHow.SET_TO_SERVER_TIME ? 'server' : undefined;
}

export function encodeSetTime3(w: XdrWriter, t: SetTime3 | undefined): void {
  if (t === undefined) w.uint32(TimeHow.DONT_CHANGE);
  else if (t === 'server') w.uint32(TimeHow.SET_TO_SERVER_TIME);
  else encodeNfstime3(w.uint32(TimeHow.SET_TO_CLIENT_TIME), t);
}

const readUint32 = (r: XdrReader) => r.uint32();
const readUint64 = (r: XdrReader) => r.uint64();
const writeUint32 = (w: XdrWriter, v: number) => void w.uint32(v);
const writeUint64 = (w: XdrWriter, v: bigint) => void w.uint64(v);

/**
 * sattr3: set_mode3, set_uid3, set_gid3 and set_size3 are `union switch (bool set_it)`, which is
 * the same wire form as XDR optional-data.
 */
export function decodeSattr3(r: XdrReader): Sattr3 {
  const s: Sattr3 = {};
  const mode = r.optional(readUint32, 'set_mode3');
  const uid = r.optional(readUint32, 'set_uid3');
  const gid = r.optional(readUint32, 'set_gid3');
  const size = r.optional(readUint64, 'set_size3');
  const atime = decodeSetTime3(r, 'set_atime');
  const mtime = decodeSetTime3(r, 'set_mtime');
  // Only present members become properties, so `{}` means "change nothing".
  if (mode !== undefined) s.mode = mode;
  if (uid !== undefined) s.uid = uid;
  if (gid !== undefined) s.gid = gid;
  if (size !== undefined) s.size = size;
  if (atime !== undefined) s.atime = atime;
  if (mtime !== undefined) s.mtime = mtime;
  return s;
}

export function encodeSattr3(w: XdrWriter, s: Sattr3): void {
  w.optional(s.mode, writeUint32);
  w.optional(s.uid, writeUint32);
  w.optional(s.gid, writeUint32);
  w.optional(s.size, writeUint64);
  encodeSetTime3(w, s.atime);
  encodeSetTime3(w, s.mtime);
}

// ---- diropargs3 ----

export function decodeDiropargs3(r: XdrReader): Diropargs3 {
  return { dir: decodeNfsFh3(r), name: decodeFilename3(r) };
}

export function encodeDiropargs3(w: XdrWriter, a: Diropargs3): void {
  encodeNfsFh3(w, a.dir);
  encodeFilename3(w, a.name);
}
