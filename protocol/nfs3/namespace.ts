/**
 * REMOVE (RFC 1813 section 3.3.12), RMDIR (3.3.13), RENAME (3.3.14) and LINK (3.3.15): the
 * procedures that drop or add a name for an existing object. Every arm carries wcc_data.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import {
  decodeDiropargs3,
  decodeNfs3Result,
  decodeNfsFh3,
  decodePostOpAttr,
  decodeWccData,
  encodeDiropargs3,
  encodeNfs3Result,
  encodeNfsFh3,
  encodePostOpAttr,
  encodeWccData,
  wccDataArm,
} from './basic.js';
import type { Diropargs3, Nfs3Result, NfsFh3, PostOpAttr, WccData } from './types.js';

// ---- REMOVE and RMDIR: same arguments (diropargs3) and same result layout ----

export interface Remove3Args {
  object: Diropargs3;
}
export type Rmdir3Args = Remove3Args;
/** Both arms of REMOVE3res / RMDIR3res are a dir_wcc. */
export interface Remove3Wcc {
  dirWcc: WccData;
}
export type Remove3Res = Nfs3Result<Remove3Wcc, Remove3Wcc>;
export type Rmdir3Res = Remove3Res;

const remove3Wcc = wccDataArm('dirWcc');

export function decodeRemove3Args(r: XdrReader): Remove3Args {
  return { object: decodeDiropargs3(r) };
}
export function encodeRemove3Args(w: XdrWriter, a: Remove3Args): void {
  encodeDiropargs3(w, a.object);
}
export function encodeRemove3Res(w: XdrWriter, res: Remove3Res): void {
  encodeNfs3Result(w, res, remove3Wcc.encode, remove3Wcc.encode);
}
export function decodeRemove3Res(r: XdrReader): Remove3Res {
  return decodeNfs3Result(r, remove3Wcc.decode, remove3Wcc.decode);
}
export const decodeRmdir3Args = decodeRemove3Args;
export const encodeRmdir3Args = encodeRemove3Args;
export const encodeRmdir3Res = encodeRemove3Res;
export const decodeRmdir3Res = decodeRemove3Res;

// ---- RENAME ----

export interface Rename3Args {
  from: Diropargs3;
  to: Diropargs3;
}
/** Both arms of RENAME3res carry the two directories' wcc_data. */
export interface Rename3Wcc {
  fromdirWcc: WccData;
  todirWcc: WccData;
}
export type Rename3Res = Nfs3Result<Rename3Wcc, Rename3Wcc>;

export function decodeRename3Args(r: XdrReader): Rename3Args {
  const from = decodeDiropargs3(r);
  return { from, to: decodeDiropargs3(r) };
}
export function encodeRename3Args(w: XdrWriter, a: Rename3Args): void {
  encodeDiropargs3(w, a.from);
  encodeDiropargs3(w, a.to);
}

function encodeRename3Wcc(w: XdrWriter, v: Rename3Wcc): void {
  encodeWccData(w, v.fromdirWcc);
  encodeWccData(w, v.todirWcc);
}
function decodeRename3Wcc(r: XdrReader): Rename3Wcc {
  const fromdirWcc = decodeWccData(r);
  return { fromdirWcc, todirWcc: decodeWccData(r) };
}

export function encodeRename3Res(w: XdrWriter, res: Rename3Res): void {
  encodeNfs3Result(w, res, encodeRename3Wcc, encodeRename3Wcc);
}
export function decodeRename3Res(r: XdrReader): Rename3Res {
  return decodeNfs3Result(r, decodeRename3Wcc, decodeRename3Wcc);
}

// ---- LINK ----

export interface Link3Args {
  file: NfsFh3;
  link: Diropargs3;
}
/** Both arms of LINK3res carry the file's attributes and the directory's wcc_data. */
export interface Link3Arm {
  fileAttributes: PostOpAttr;
  linkdirWcc: WccData;
}
export type Link3Res = Nfs3Result<Link3Arm, Link3Arm>;

export function decodeLink3Args(r: XdrReader): Link3Args {
  const file = decodeNfsFh3(r);
  return { file, link: decodeDiropargs3(r) };
}
export function encodeLink3Args(w: XdrWriter, a: Link3Args): void {
  encodeNfsFh3(w, a.file);
  encodeDiropargs3(w, a.link);
}

function encodeLink3Arm(w: XdrWriter, v: Link3Arm): void {
  encodePostOpAttr(w, v.fileAttributes);
  encodeWccData(w, v.linkdirWcc);
}
function decodeLink3Arm(r: XdrReader): Link3Arm {
  const fileAttributes = decodePostOpAttr(r);
  return { fileAttributes, linkdirWcc: decodeWccData(r) };
}

export function encodeLink3Res(w: XdrWriter, res: Link3Res): void {
  encodeNfs3Result(w, res, encodeLink3Arm, encodeLink3Arm);
}
export function decodeLink3Res(r: XdrReader): Link3Res {
  return decodeNfs3Result(r, decodeLink3Arm, decodeLink3Arm);
}
