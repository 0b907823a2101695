/**
 * FSSTAT (RFC 1813 section 3.3.18), FSINFO (3.3.19) and PATHCONF (3.3.20): file-system wide
 * information. All three take one handle and fail with only the object's post_op_attr.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import {
  decodeNfs3Result,
  decodeNfsFh3,
  decodeNfstime3,
  decodePostOpAttr,
  encodeNfs3Result,
  encodeNfsFh3,
  encodeNfstime3,
  encodePostOpAttr,
  postOpAttrArm,
} from './basic.js';
import type { Nfs3Result, NfsFh3, Nfstime3, PostOpAttr } from './types.js';

/** The failure arm shared by the three procedures. */
export interface FsObjResFail {
  objAttributes: PostOpAttr;
}
const fsObjFail = postOpAttrArm('objAttributes');

// ---- FSSTAT ----

export interface Fsstat3Args {
  fsroot: NfsFh3;
}
export interface Fsstat3ResOk extends FsObjResFail {
  tbytes: bigint;
  fbytes: bigint;
  abytes: bigint;
  tfiles: bigint;
  ffiles: bigint;
  afiles: bigint;
  /** Seconds for which the values are not expected to change (0 = volatile). */
  invarsec: number;
}
export type Fsstat3Res = Nfs3Result<Fsstat3ResOk, FsObjResFail>;

export function decodeFsstat3Args(r: XdrReader): Fsstat3Args {
  return { fsroot: decodeNfsFh3(r) };
}
export function encodeFsstat3Args(w: XdrWriter, a: Fsstat3Args): void {
  encodeNfsFh3(w, a.fsroot);
}

function encodeFsstat3ResOk(w: XdrWriter, ok: Fsstat3ResOk): void {
  encodePostOpAttr(w, ok.objAttributes);
  w.uint64(ok.tbytes).uint64(ok.fbytes).uint64(ok.abytes);
  w.uint64(ok.tfiles).uint64(ok.ffiles).uint64(ok.afiles);
  w.uint32(ok.invarsec);
}
function decodeFsstat3ResOk(r: XdrReader): Fsstat3ResOk {
  return {
    objAttributes: decodePostOpAttr(r),
    tbytes: r.uint64('tbytes'),
    fbytes: r.uint64('fbytes'),
    abytes: r.uint64('abytes'),
    tfiles: r.uint64('tfiles'),
    ffiles: r.uint64('ffiles'),
    afiles: r.uint64('afiles'),
    invarsec: r.uint32('invarsec'),
  };
}

export function encodeFsstat3Res(w: XdrWriter, res: Fsstat3Res): void {
  encodeNfs3Result(w, res, encodeFsstat3ResOk, fsObjFail.encode);
}
export function decodeFsstat3Res(r: XdrReader): Fsstat3Res {
  return decodeNfs3Result(r, decodeFsstat3ResOk, fsObjFail.decode);
}

// ---- FSINFO ----

export type Fsinfo3Args = Fsstat3Args;
export interface Fsinfo3ResOk extends FsObjResFail {
  rtmax: number;
  rtpref: number;
  rtmult: number;
  wtmax: number;
  wtpref: number;
  wtmult: number;
  dtpref: number;
  maxfilesize: bigint;
  timeDelta: Nfstime3;
  /** Fsf3 bits. */
  properties: number;
}
export type Fsinfo3Res = Nfs3Result<Fsinfo3ResOk, FsObjResFail>;

export const decodeFsinfo3Args = decodeFsstat3Args;
export const encodeFsinfo3Args = encodeFsstat3Args;

function encodeFsinfo3ResOk(w: XdrWriter, ok: Fsinfo3ResOk): void {
  encodePostOpAttr(w, ok.objAttributes);
  w.uint32(ok.rtmax).uint32(ok.rtpref).uint32(ok.rtmult);
  w.uint32(ok.wtmax).uint32(ok.wtpref).uint32(ok.wtmult);
  w.uint32(ok.dtpref).uint64(ok.maxfilesize);
  encodeNfstime3(w, ok.timeDelta);
  w.uint32(ok.properties);
}
function decodeFsinfo3ResOk(r: XdrReader): Fsinfo3ResOk {
  return {
    objAttributes: decodePostOpAttr(r),
    rtmax: r.uint32('rtmax'),
    rtpref: r.uint32('rtpref'),
    rtmult: r.uint32('rtmult'),
    wtmax: r.uint32('wtmax'),
    wtpref: r.uint32('wtpref'),
    wtmult: r.uint32('wtmult'),
    dtpref: r.uint32('dtpref'),
    maxfilesize: r.uint64('maxfilesize'),
    timeDelta: decodeNfstime3(r),
    properties: r.uint32('properties'),
  };
}

export function encodeFsinfo3Res(w: XdrWriter, res: Fsinfo3Res): void {
  encodeNfs3Result(w, res, encodeFsinfo3ResOk, fsObjFail.encode);
}
export function decodeFsinfo3Res(r: XdrReader): Fsinfo3Res {
  return decodeNfs3Result(r, decodeFsinfo3ResOk, fsObjFail.decode);
}

// ---- PATHCONF ----

export interface Pathconf3Args {
  object: NfsFh3;
}
export interface Pathconf3ResOk extends FsObjResFail {
  linkmax: number;
  nameMax: number;
  noTrunc: boolean;
  chownRestricted: boolean;
  caseInsensitive: boolean;
  casePreserving: boolean;
}
export type Pathconf3Res = Nfs3Result<Pathconf3ResOk, FsObjResFail>;

export function decodePathconf3Args(r: XdrReader): Pathconf3Args {
  return { object: decodeNfsFh3(r) };
}
export function encodePathconf3Args(w: XdrWriter, a: Pathconf3Args): void {
  encodeNfsFh3(w, a.object);
}

function encodePathconf3ResOk(w: XdrWriter, ok: Pathconf3ResOk): void {
  encodePostOpAttr(w, ok.objAttributes);
  w.uint32(ok.linkmax).uint32(ok.nameMax);
  w.bool(ok.noTrunc).bool(ok.chownRestricted).bool(ok.caseInsensitive).bool(ok.casePreserving);
}
function decodePathconf3ResOk(r: XdrReader): Pathconf3ResOk {
  return {
    objAttributes: decodePostOpAttr(r),
    linkmax: r.uint32('linkmax'),
    nameMax: r.uint32('name_max'),
    noTrunc: r.bool('no_trunc'),
    chownRestricted: r.bool('chown_restricted'),
    caseInsensitive: r.bool('case_insensitive'),
    casePreserving: r.bool('case_preserving'),
  };
}

export function encodePathconf3Res(w: XdrWriter, res: Pathconf3Res): void {
  encodeNfs3Result(w, res, encodePathconf3ResOk, fsObjFail.encode);
}
export function decodePathconf3Res(r: XdrReader): Pathconf3Res {
  return decodeNfs3Result(r, decodePathconf3ResOk, fsObjFail.decode);
}
