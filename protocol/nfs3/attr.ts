/**
 * GETATTR (RFC 1813 section 3.3.1), SETATTR (3.3.2) and ACCESS (3.3.4): attribute procedures.
 * Server side: decode*Args / encode*Res; client side: encode*Args / decode*Res.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import {
  decodeFattr3,
  decodeNfs3Result,
  decodeNfsFh3,
  decodeNfstime3,
  decodePostOpAttr,
  decodeSattr3,
  decodeVoid,
  encodeFattr3,
  encodeNfs3Result,
  encodeNfsFh3,
  encodeNfstime3,
  encodePostOpAttr,
  encodeSattr3,
  encodeVoid,
  postOpAttrArm,
  wccDataArm,
} from './basic.js';
import type { Fattr3, Nfs3Result, NfsFh3, Nfstime3, PostOpAttr, Sattr3, WccData } from './types.js';

// ---- GETATTR ----

export interface Getattr3Args {
  object: NfsFh3;
}
export interface Getattr3ResOk {
  objAttributes: Fattr3;
}
export type Getattr3Res = Nfs3Result<Getattr3ResOk>;

export function decodeGetattr3Args(r: XdrReader): Getattr3Args {
  return { object: decodeNfsFh3(r) };
}
export function encodeGetattr3Args(w: XdrWriter, a: Getattr3Args): void {
  encodeNfsFh3(w, a.object);
}

function encodeGetattr3ResOk(w: XdrWriter, ok: Getattr3ResOk): void {
  encodeFattr3(w, ok.objAttributes);
}
function decodeGetattr3ResOk(r: XdrReader): Getattr3ResOk {
  return { objAttributes: decodeFattr3(r) };
}

export function encodeGetattr3Res(w: XdrWriter, res: Getattr3Res): void {
  encodeNfs3Result(w, res, encodeGetattr3ResOk, encodeVoid);
}
export function decodeGetattr3Res(r: XdrReader): Getattr3Res {
  return decodeNfs3Result(r, decodeGetattr3ResOk, decodeVoid);
}

// ---- SETATTR ----

export interface Setattr3Args {
  object: NfsFh3;
  newAttributes: Sattr3;
  /** sattrguard3: when present, the server must check the object's ctime equals it (NOT_SYNC). */
  guard?: Nfstime3;
}
/** Both arms of SETATTR3res carry obj_wcc. */
export interface Setattr3Wcc {
  objWcc: WccData;
}
const setattr3Wcc = wccDataArm('objWcc');
export type Setattr3Res = Nfs3Result<Setattr3Wcc, Setattr3Wcc>;

export function decodeSattrguard3(r: XdrReader): Nfstime3 | undefined {
  return r.optional(decodeNfstime3, 'sattrguard3');
}
export function encodeSattrguard3(w: XdrWriter, guard: Nfstime3 | undefined): void {
  w.optional(guard, encodeNfstime3);
}

export function decodeSetattr3Args(r: XdrReader): Setattr3Args {
  const object = decodeNfsFh3(r);
  const newAttributes = decodeSattr3(r);
  const guard = decodeSattrguard3(r);
  return guard ? { object, newAttributes, guard } : { object, newAttributes };
}
export function encodeSetattr3Args(w: XdrWriter, a: Setattr3Args): void {
  encodeNfsFh3(w, a.object);
  encodeSattr3(w, a.newAttributes);
  encodeSattrguard3(w, a.guard);
}

export function encodeSetattr3Res(w: XdrWriter, res: Setattr3Res): void {
  encodeNfs3Result(w, res, setattr3Wcc.encode, setattr3Wcc.encode);
}
export function decodeSetattr3Res(r: XdrReader): Setattr3Res {
  return decodeNfs3Result(r, setattr3Wcc.decode, setattr3Wcc.decode);
}

// ---- ACCESS ----

export interface Access3Args {
  object: NfsFh3;
  /** Access3 bits the client asks about. */
  access: number;
}
export interface Access3ResFail {
  objAttributes: PostOpAttr;
}
const access3Fail = postOpAttrArm('objAttributes');
export interface Access3ResOk extends Access3ResFail {
  /** The subset of the asked bits that are granted. */
  access: number;
}
export type Access3Res = Nfs3Result<Access3ResOk, Access3ResFail>;

export function decodeAccess3Args(r: XdrReader): Access3Args {
  return { object: decodeNfsFh3(r), access: r.uint32('ACCESS3args.access') };
}
export function encodeAccess3Args(w: XdrWriter, a: Access3Args): void {
  encodeNfsFh3(w, a.object);
  w.uint32(a.access);
}

function encodeAccess3ResOk(w: XdrWriter, ok: Access3ResOk): void {
  encodePostOpAttr(w, ok.objAttributes);
  w.uint32(ok.access);
}
function decodeAccess3ResOk(r: XdrReader): Access3ResOk {
  return { objAttributes: decodePostOpAttr(r), access: r.uint32('ACCESS3resok.access') };
}
export function encodeAccess3Res(w: XdrWriter, res: Access3Res): void {
  encodeNfs3Result(w, res, encodeAccess3ResOk, access3Fail.encode);
}
export function decodeAccess3Res(r: XdrReader): Access3Res {
  return decodeNfs3Result(r, decodeAccess3ResOk, access3Fail.decode);
}
