/**
 * READ (RFC 1813 section 3.3.6), WRITE (3.3.7) and COMMIT (3.3.21): the data path.
 *
 * No copies: WRITE3args.data is a view of the received record, and READ3resok.data is appended
 * with `XdrWriter.opaqueRef`, so a 1 MiB READ reply goes to the socket as the caller's buffer.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import { NFS3_MAX_DATA, STABLE_HOW_VALUES, type StableHow } from './constants.js';
import {
  decodeNfs3Result,
  decodeNfsFh3,
  decodePostOpAttr,
  decodeVerifier8,
  decodeWccData,
  encodeNfs3Result,
  encodeNfsFh3,
  encodePostOpAttr,
  encodeVerifier8,
  encodeWccData,
  postOpAttrArm,
  wccDataArm,
} from './basic.js';
import type { Nfs3Result, NfsFh3, PostOpAttr, WccData } from './types.js';

export function decodeStableHow(r: XdrReader, what = 'stable_how'): StableHow {
  return r.enumOf<StableHow>(STABLE_HOW_VALUES, what);
}

/** READ3args and COMMIT3args share one layout: a handle, an offset3 and a count3. */
export interface FileRange {
  file: NfsFh3;
  offset: bigint;
  count: number;
}
function decodeFileRange(r: XdrReader, what: string): FileRange {
  return { file: decodeNfsFh3(r), offset: r.uint64(`${what}.offset`), count: r.uint32(`${what}.count`) };
}
function encodeFileRange(w: XdrWriter, a: FileRange): void {
  encodeNfsFh3(w, a.file);
  w.uint64(a.offset).uint32(a.count);
}

// ---- READ ----

export type Read3Args = FileRange;
export interface Read3ResFail {
  fileAttributes: PostOpAttr;
}
export interface Read3ResOk extends Read3ResFail {
  /** Bytes returned; equals data.length (kept separate as on the wire). */
  count: number;
  eof: boolean;
  /** Referenced, not copied, by the encoder: do not reuse it until the reply is sent. */
  data: Buffer;
}
export type Read3Res = Nfs3Result<Read3ResOk, Read3ResFail>;

const read3Fail = postOpAttrArm('fileAttributes');

export function decodeRead3Args(r: XdrReader): Read3Args {
  return decodeFileRange(r, 'READ3args');
}
export const encodeRead3Args: (w: XdrWriter, a: Read3Args) => void = encodeFileRange;

function encodeRead3ResOk(w: XdrWriter, ok: Read3ResOk): void {
  encodePostOpAttr(w, ok.fileAttributes);
  w.uint32(ok.count).bool(ok.eof).opaqueRef(ok.data);
}
function decodeRead3ResOk(r: XdrReader): Read3ResOk {
  const fileAttributes = decodePostOpAttr(r);
  const count = r.uint32('READ3resok.count');
  const eof = r.bool('READ3resok.eof');
  return { fileAttributes, count, eof, data: r.opaque(NFS3_MAX_DATA, 'READ3resok.data') };
}

export function encodeRead3Res(w: XdrWriter, res: Read3Res): void {
  encodeNfs3Result(w, res, encodeRead3ResOk, read3Fail.encode);
}
export function decodeRead3Res(r: XdrReader): Read3Res {
  return decodeNfs3Result(r, decodeRead3ResOk, read3Fail.decode);
}

// ---- WRITE ----

export interface Write3Args {
  file: NfsFh3;
  offset: bigint;
  /**
   * The count the client declared. RFC 1813 section 3.3.7 says it equals data.length; the decoder
   * does not enforce that so the handler can answer NFS3ERR_INVAL instead of GARBAGE_ARGS.
   */
  count: number;
  stable: StableHow;
  /** A view of the received record. */
  data: Buffer;
}
export interface Write3ResFail {
  fileWcc: WccData;
}
export interface Write3ResOk extends Write3ResFail {
  count: number;
  committed: StableHow;
  verf: Buffer;
}
export type Write3Res = Nfs3Result<Write3ResOk, Write3ResFail>;

const write3Fail = wccDataArm('fileWcc');

export function decodeWrite3Args(r: XdrReader): Write3Args {
  const file = decodeNfsFh3(r);
  const offset = r.uint64('WRITE3args.offset');
  const count = r.uint32('WRITE3args.count');
  const stable = decodeStableHow(r);
  return { file, offset, count, stable, data: r.opaque(NFS3_MAX_DATA, 'WRITE3args.data') };
}
/** Client side: `data` is referenced, not copied, like READ reply data. */
export function encodeWrite3Args(w: XdrWriter, a: Write3Args): void {
  encodeNfsFh3(w, a.file);
  w.uint64(a.offset).uint32(a.count).uint32(a.stable).opaqueRef(a.data);
}

function encodeWrite3ResOk(w: XdrWriter, ok: Write3ResOk): void {
  encodeWccData(w, ok.fileWcc);
  w.uint32(ok.count).uint32(ok.committed);
  encodeVerifier8(w, ok.verf);
}
function decodeWrite3ResOk(r: XdrReader): Write3ResOk {
  const fileWcc = decodeWccData(r);
  const count = r.uint32('WRITE3resok.count');
  const committed = decodeStableHow(r, 'WRITE3resok.committed');
  return { fileWcc, count, committed, verf: decodeVerifier8(r, 'writeverf3') };
}

export function encodeWrite3Res(w: XdrWriter, res: Write3Res): void {
  encodeNfs3Result(w, res, encodeWrite3ResOk, write3Fail.encode);
}
export function decodeWrite3Res(r: XdrReader): Write3Res {
  return decodeNfs3Result(r, decodeWrite3ResOk, write3Fail.decode);
}

// ---- COMMIT ----

/** A count of 0 means "to the end of the file" (section 3.3.21). */
export type Commit3Args = FileRange;
export interface Commit3ResFail {
  fileWcc: WccData;
}
export interface Commit3ResOk extends Commit3ResFail {
  verf: Buffer;
}
export type Commit3Res = Nfs3Result<Commit3ResOk, Commit3ResFail>;

const commit3Fail = wccDataArm('fileWcc');

export function decodeCommit3Args(r: XdrReader): Commit3Args {
  return decodeFileRange(r, 'COMMIT3args');
}
export const encodeCommit3Args: (w: XdrWriter, a: Commit3Args) => void = encodeFileRange;

function encodeCommit3ResOk(w: XdrWriter, ok: Commit3ResOk): void {
  encodeWccData(w, ok.fileWcc);
  encodeVerifier8(w, ok.verf);
}
function decodeCommit3ResOk(r: XdrReader): Commit3ResOk {
  const fileWcc = decodeWccData(r);
  return { fileWcc, verf: decodeVerifier8(r, 'writeverf3') };
}

export function encodeCommit3Res(w: XdrWriter, res: Commit3Res): void {
  encodeNfs3Result(w, res, encodeCommit3ResOk, commit3Fail.encode);
}
export function decodeCommit3Res(r: XdrReader): Commit3Res {
  return decodeNfs3Result(r, decodeCommit3ResOk, commit3Fail.decode);
}
