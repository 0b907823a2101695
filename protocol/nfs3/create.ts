/**
 * CREATE (RFC 1813 section 3.3.8), MKDIR (3.3.9), SYMLINK (3.3.10) and MKNOD (3.3.11): the
 * procedures that make a new name. Their four result types share one layout (the new object's
 * optional handle and attributes, plus the directory's wcc_data in both arms), so they share one
 * codec under the four RFC names.
 */

import { XdrDecodeError, type XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import { CREATEMODE3_VALUES, Createmode3, Ftype3 } from './constants.js';
import {
  decodeDiropargs3,
  decodeFtype3,
  decodeNfs3Result,
  decodeNfspath3,
  decodePostOpAttr,
  decodePostOpFh3,
  decodeSattr3,
  decodeSpecdata3,
  decodeVerifier8,
  decodeWccData,
  encodeDiropargs3,
  encodeNfs3Result,
  encodeNfspath3,
  encodePostOpAttr,
  encodePostOpFh3,
  encodeSattr3,
  encodeSpecdata3,
  encodeVerifier8,
  encodeWccData,
  wccDataArm,
} from './basic.js';
import type { Diropargs3, Nfs3Result, PostOpAttr, PostOpFh3, Sattr3, Specdata3, WccData } from './types.js';

// ---- the shared result: CREATE3res = MKDIR3res = SYMLINK3res = MKNOD3res ----

export interface NewObject3ResFail {
  dirWcc: WccData;
}
export interface NewObject3ResOk extends NewObject3ResFail {
  obj: PostOpFh3;
  objAttributes: PostOpAttr;
}
export type NewObject3Res = Nfs3Result<NewObject3ResOk, NewObject3ResFail>;
export type Create3Res = NewObject3Res;
export type Mkdir3Res = NewObject3Res;
export type Symlink3Res = NewObject3Res;
export type Mknod3Res = NewObject3Res;

const newObject3Fail = wccDataArm('dirWcc');

function encodeNewObject3ResOk(w: XdrWriter, ok: NewObject3ResOk): void {
  encodePostOpFh3(w, ok.obj);
  encodePostOpAttr(w, ok.objAttributes);
  encodeWccData(w, ok.dirWcc);
}
function decodeNewObject3ResOk(r: XdrReader): NewObject3ResOk {
  const obj = decodePostOpFh3(r);
  const objAttributes = decodePostOpAttr(r);
  return { obj, objAttributes, dirWcc: decodeWccData(r) };
}

export function encodeNewObject3Res(w: XdrWriter, res: NewObject3Res): void {
  encodeNfs3Result(w, res, encodeNewObject3ResOk, newObject3Fail.encode);
}
export function decodeNewObject3Res(r: XdrReader): NewObject3Res {
  return decodeNfs3Result(r, decodeNewObject3ResOk, newObject3Fail.decode);
}
export const encodeCreate3Res = encodeNewObject3Res;
export const decodeCreate3Res = decodeNewObject3Res;
export const encodeMkdir3Res = encodeNewObject3Res;
export const decodeMkdir3Res = decodeNewObject3Res;
export const encodeSymlink3Res = encodeNewObject3Res;
export const decodeSymlink3Res = decodeNewObject3Res;
export const encodeMknod3Res = encodeNewObject3Res;
export const decodeMknod3Res = decodeNewObject3Res;

// ---- CREATE ----

/** createhow3: attributes for UNCHECKED/GUARDED, an 8-byte verifier for EXCLUSIVE. */
export type Createhow3 =
  | { mode: Createmode3.UNCHECKED | Createmode3.GUARDED; objAttributes: Sattr3 }
  | { mode: Createmode3.EXCLUSIVE; verf: Buffer };

export interface Create3Args {
  where: Diropargs3;
  how: Createhow3;
}

export function decodeCreatehow3(r: XdrReader): Createhow3 {
  const mode = r.enumOf<Createmode3>(CREATEMODE3_VALUES, 'createmode3');
  if (mode === Createmode3.EXCLUSIVE) return { mode, verf: decodeVerifier8(r, 'createverf3') };
  return { mode, objAttributes: decodeSattr3(r) };
}
export function encodeCreatehow3(w: XdrWriter, how: Createhow3): void {
  w.uint32(how.mode);
  if (how.mode === Createmode3.EXCLUSIVE) encodeVerifier8(w, how.verf);
  else encodeSattr3(w, how.objAttributes);
}

export function decodeCreate3Args(r: XdrReader): Create3Args {
  return { where: decodeDiropargs3(r), how: decodeCreatehow3(r) };
}
export function encodeCreate3Args(w: XdrWriter, a: Create3Args): void {
  encodeDiropargs3(w, a.where);
  encodeCreatehow3(w, a.how);
}

// ---- MKDIR ----

export interface Mkdir3Args {
  where: Diropargs3;
  attributes: Sattr3;
}

export function decodeMkdir3Args(r: XdrReader): Mkdir3Args {
  return { where: decodeDiropargs3(r), attributes: decodeSattr3(r) };
}
export function encodeMkdir3Args(w: XdrWriter, a: Mkdir3Args): void {
  encodeDiropargs3(w, a.where);
  encodeSattr3(w, a.attributes);
}

// ---- SYMLINK ----

export interface Symlinkdata3 {
  symlinkAttributes: Sattr3;
  symlinkData: string;
}
export interface Symlink3Args {
  where: Diropargs3;
  symlink: Symlinkdata3;
}

export function decodeSymlinkdata3(r: XdrReader): Symlinkdata3 {
  const symlinkAttributes = decodeSattr3(r);
  return { symlinkAttributes, symlinkData: decodeNfspath3(r) };
}
export function encodeSymlinkdata3(w: XdrWriter, s: Symlinkdata3): void {
  encodeSattr3(w, s.symlinkAttributes);
  encodeNfspath3(w, s.symlinkData);
}

export function decodeSymlink3Args(r: XdrReader): Symlink3Args {
  return { where: decodeDiropargs3(r), symlink: decodeSymlinkdata3(r) };
}
export function encodeSymlink3Args(w: XdrWriter, a: Symlink3Args): void {
  encodeDiropargs3(w, a.where);
  encodeSymlinkdata3(w, a.symlink);
}

// ---- MKNOD ----

export interface Devicedata3 {
  devAttributes: Sattr3;
  spec: Specdata3;
}

/**
 * mknoddata3: devices carry attributes and numbers, sockets and FIFOs attributes only, and the
 * other types nothing (the server answers NFS3ERR_BADTYPE for them, section 3.3.11).
 */
export type Mknoddata3 =
  | { type: Ftype3.NF3CHR | Ftype3.NF3BLK; device: Devicedata3 }
  | { type: Ftype3.NF3SOCK | Ftype3.NF3FIFO; pipeAttributes: Sattr3 }
  | { type: Ftype3.NF3REG | Ftype3.NF3DIR | Ftype3.NF3LNK };

export interface Mknod3Args {
  where: Diropargs3;
  what: Mknoddata3;
}

export function decodeDevicedata3(r: XdrReader): Devicedata3 {
  const devAttributes = decodeSattr3(r);
  return { devAttributes, spec: decodeSpecdata3(r) };
}
export function encodeDevicedata3(w: XdrWriter, d: Devicedata3): void {
  encodeSattr3(w, d.devAttributes);
  encodeSpecdata3(w, d.spec);
}

export function decodeMknoddata3(r: XdrReader): Mknoddata3 {
  const type = decodeFtype3(r);
  switch (type) {
    case Ftype3.NF3CHR:
    case Ftype3.NF3BLK:
      return { type, device: decodeDevicedata3(r) };
    case Ftype3.NF3SOCK:
    case Ftype3.NF3FIFO:
      return { type, pipeAttributes: decodeSattr3(r) };
    case Ftype3.NF3REG:
    case Ftype3.NF3DIR:
    case Ftype3.NF3LNK:
      return { type };
    default:
      // decodeFtype3 already refused unknown values; this keeps the switch exhaustive.
      throw new XdrDecodeError(r.pos - 4, `mknoddata3: ftype3 ${type as number}`);
  }
}
export function encodeMknoddata3(w: XdrWriter, what: Mknoddata3): void {
  w.uint32(what.type);
  if ('device' in what) encodeDevicedata3(w, what.device);
  else if ('pipeAttributes' in what) encodeSattr3(w, what.pipeAttributes);
}

export function decodeMknod3Args(r: XdrReader): Mknod3Args {
  return { where: decodeDiropargs3(r), what: decodeMknoddata3(r) };
}
export function encodeMknod3Args(w: XdrWriter, a: Mknod3Args): void {
  encodeDiropargs3(w, a.where);
  encodeMknoddata3(w, a.what);
}
