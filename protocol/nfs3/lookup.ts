/**
 * LOOKUP (RFC 1813 section 3.3.3) and READLINK (3.3.5).
 * Server side: decode*Args / encode*Res; client side: encode*Args / decode*Res.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import {
  decodeDiropargs3,
  decodeNfs3Result,
  decodeNfsFh3,
  decodeNfspath3,
  decodePostOpAttr,
  encodeDiropargs3,
  encodeNfs3Result,
  encodeNfsFh3,
  encodeNfspath3,
  encodePostOpAttr,
  postOpAttrArm,
} from './basic.js';
import type { Diropargs3, Nfs3Result, NfsFh3, PostOpAttr } from './types.js';

// ---- LOOKUP ----

export type Lookup3Args = Diropargs3;
export interface Lookup3ResFail {
  dirAttributes: PostOpAttr;
}
export interface Lookup3ResOk extends Lookup3ResFail {
  object: NfsFh3;
  objAttributes: PostOpAttr;
}
export type Lookup3Res = Nfs3Result<Lookup3ResOk, Lookup3ResFail>;

const lookup3Fail = postOpAttrArm('dirAttributes');

export const decodeLookup3Args: (r: XdrReader) => Lookup3Args = decodeDiropargs3;
export const encodeLookup3Args: (w: XdrWriter, a: Lookup3Args) => void = encodeDiropargs3;

function encodeLookup3ResOk(w: XdrWriter, ok: Lookup3ResOk): void {
  encodeNfsFh3(w, ok.object);
  encodePostOpAttr(w, ok.objAttributes);
  encodePostOpAttr(w, ok.dirAttributes);
}
function decodeLookup3ResOk(r: XdrReader): Lookup3ResOk {
  const object = decodeNfsFh3(r);
  const objAttributes = decodePostOpAttr(r);
  return { object, objAttributes, dirAttributes: decodePostOpAttr(r) };
}

export function encodeLookup3Res(w: XdrWriter, res: Lookup3Res): void {
  encodeNfs3Result(w, res, encodeLookup3ResOk, lookup3Fail.encode);
}
export function decodeLookup3Res(r: XdrReader): Lookup3Res {
  return decodeNfs3Result(r, decodeLookup3ResOk, lookup3Fail.decode);
}

// ---- READLINK ----

export interface Readlink3Args {
  symlink: NfsFh3;
}
export interface Readlink3ResFail {
  symlinkAttributes: PostOpAttr;
}
export interface Readlink3ResOk extends Readlink3ResFail {
  data: string;
}
export type Readlink3Res = Nfs3Result<Readlink3ResOk, Readlink3ResFail>;

const readlink3Fail = postOpAttrArm('symlinkAttributes');

export function decodeReadlink3Args(r: XdrReader): Readlink3Args {
  return { symlink: decodeNfsFh3(r) };
}
export function encodeReadlink3Args(w: XdrWriter, a: Readlink3Args): void {
  encodeNfsFh3(w, a.symlink);
}

function encodeReadlink3ResOk(w: XdrWriter, ok: Readlink3ResOk): void {
  encodePostOpAttr(w, ok.symlinkAttributes);
  encodeNfspath3(w, ok.data);
}
function decodeReadlink3ResOk(r: XdrReader): Readlink3ResOk {
  const symlinkAttributes = decodePostOpAttr(r);
  return { symlinkAttributes, data: decodeNfspath3(r) };
}

export function encodeReadlink3Res(w: XdrWriter, res: Readlink3Res): void {
  encodeNfs3Result(w, res, encodeReadlink3ResOk, readlink3Fail.encode);
}
export function decodeReadlink3Res(r: XdrReader): Readlink3Res {
  return decodeNfs3Result(r, decodeReadlink3ResOk, readlink3Fail.decode);
}
