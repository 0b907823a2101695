/**
 * READDIR (RFC 1813 section 3.3.16) and READDIRPLUS (3.3.17) codecs. The encoders write exactly
 * the entries they are given; choosing how many fit the client's count/maxcount/dircount is the
 * job of `DirlistBudget` (readdir-budget.ts), whose arithmetic mirrors these encoders.
 *
 * The XDR `dirlist3 { entry3 *entries; bool eof; }` is flattened into `entries` (an array, since
 * the wire's linked list is just "value follows" words) and `eof` on the ok arm. The list helpers
 * are the generic XDR ones the portmapper introduced (they belong in protocol/xdr).
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import {
  decodeFilename3,
  decodeNfs3Result,
  decodeNfsFh3,
  decodePostOpAttr,
  decodePostOpFh3,
  decodeVerifier8,
  encodeFilename3,
  encodeNfs3Result,
  encodeNfsFh3,
  encodePostOpAttr,
  encodePostOpFh3,
  encodeVerifier8,
  postOpAttrArm,
} from './basic.js';
import { decodeXdrList, encodeXdrList } from '../portmap/xdr-list.js';
import type { Nfs3Result, NfsFh3, PostOpAttr, PostOpFh3 } from './types.js';

/** The failure arm of both procedures. */
export interface Readdir3ResFail {
  dirAttributes: PostOpAttr;
}
const readdir3Fail = postOpAttrArm('dirAttributes');

/**
 * Entries a decoded dirlist may hold. Each entry takes at least 24 bytes, so the record size
 * bounds real lists long before this; it only stops a pathological reply early.
 */
const MAX_DIRLIST_ENTRIES = 1 << 20;

// ---- READDIR ----

export interface Readdir3Args {
  dir: NfsFh3;
  cookie: bigint;
  cookieverf: Buffer;
  /** Maximum size of the reply (see DirlistBudget for what exactly is counted). */
  count: number;
}
export interface Entry3 {
  fileid: bigint;
  name: string;
  cookie: bigint;
}
export interface Readdir3ResOk extends Readdir3ResFail {
  cookieverf: Buffer;
  entries: Entry3[];
  eof: boolean;
}
export type Readdir3Res = Nfs3Result<Readdir3ResOk, Readdir3ResFail>;

export function decodeReaddir3Args(r: XdrReader): Readdir3Args {
  const dir = decodeNfsFh3(r);
  const cookie = r.uint64('cookie3');
  const cookieverf = decodeVerifier8(r, 'cookieverf3');
  return { dir, cookie, cookieverf, count: r.uint32('READDIR3args.count') };
}
export function encodeReaddir3Args(w: XdrWriter, a: Readdir3Args): void {
  encodeNfsFh3(w, a.dir);
  w.uint64(a.cookie);
  encodeVerifier8(w, a.cookieverf);
  w.uint32(a.count);
}

/** entry3 without its value-follows word (the list codec writes that). */
export function encodeEntry3(w: XdrWriter, e: Entry3): void {
  w.uint64(e.fileid);
  encodeFilename3(w, e.name);
  w.uint64(e.cookie);
}
export function decodeEntry3(r: XdrReader): Entry3 {
  const fileid = r.uint64('entry3.fileid');
  const name = decodeFilename3(r);
  return { fileid, name, cookie: r.uint64('entry3.cookie') };
}

function encodeReaddir3ResOk(w: XdrWriter, ok: Readdir3ResOk): void {
  encodePostOpAttr(w, ok.dirAttributes);
  encodeVerifier8(w, ok.cookieverf);
  encodeXdrList(w, ok.entries, encodeEntry3);
  w.bool(ok.eof);
}
function decodeReaddir3ResOk(r: XdrReader): Readdir3ResOk {
  const dirAttributes = decodePostOpAttr(r);
  const cookieverf = decodeVerifier8(r, 'cookieverf3');
  const entries = decodeXdrList(r, MAX_DIRLIST_ENTRIES, decodeEntry3, 'entry3');
  return { dirAttributes, cookieverf, entries, eof: r.bool('dirlist3.eof') };
}

export function encodeReaddir3Res(w: XdrWriter, res: Readdir3Res): void {
  encodeNfs3Result(w, res, encodeReaddir3ResOk, readdir3Fail.encode);
}
export function decodeReaddir3Res(r: XdrReader): Readdir3Res {
  return decodeNfs3Result(r, decodeReaddir3ResOk, readdir3Fail.decode);
}

// ---- READDIRPLUS ----

export interface Readdirplus3Args {
  dir: NfsFh3;
  cookie: bigint;
  cookieverf: Buffer;
  /** Hint: bytes of directory information (fileid, name, cookie) wanted. */
  dircount: number;
  /** Maximum size of the whole reply. */
  maxcount: number;
}
export interface Entryplus3 extends Entry3 {
  nameAttributes: PostOpAttr;
  nameHandle: PostOpFh3;
}
export interface Readdirplus3ResOk extends Readdir3ResFail {
  cookieverf: Buffer;
  entries: Entryplus3[];
  eof: boolean;
}
export type Readdirplus3Res = Nfs3Result<Readdirplus3ResOk, Readdir3ResFail>;

export function decodeReaddirplus3Args(r: XdrReader): Readdirplus3Args {
  const dir = decodeNfsFh3(r);
  const cookie = r.uint64('cookie3');
  const cookieverf = decodeVerifier8(r, 'cookieverf3');
  const dircount = r.uint32('READDIRPLUS3args.dircount');
  return { dir, cookie, cookieverf, dircount, maxcount: r.uint32('READDIRPLUS3args.maxcount') };
}
export function encodeReaddirplus3Args(w: XdrWriter, a: Readdirplus3Args): void {
  encodeNfsFh3(w, a.dir);
  w.uint64(a.cookie);
  encodeVerifier8(w, a.cookieverf);
  w.uint32(a.dircount).uint32(a.maxcount);
}

/** entryplus3 without its value-follows word. */
export function encodeEntryplus3(w: XdrWriter, e: Entryplus3): void {
  encodeEntry3(w, e);
  encodePostOpAttr(w, e.nameAttributes);
  encodePostOpFh3(w, e.nameHandle);
}
export function decodeEntryplus3(r: XdrReader): Entryplus3 {
  const { fileid, name, cookie } = decodeEntry3(r);
  const nameAttributes = decodePostOpAttr(r);
  return { fileid, name, cookie, nameAttributes, nameHandle: decodePostOpFh3(r) };
}

function encodeReaddirplus3ResOk(w: XdrWriter, ok: Readdirplus3ResOk): void {
  encodePostOpAttr(w, ok.dirAttributes);
  encodeVerifier8(w, ok.cookieverf);
  encodeXdrList(w, ok.entries, encodeEntryplus3);
  w.bool(ok.eof);
}
function decodeReaddirplus3ResOk(r: XdrReader): Readdirplus3ResOk {
  const dirAttributes = decodePostOpAttr(r);
  const cookieverf = decodeVerifier8(r, 'cookieverf3');
  const entries = decodeXdrList(r, MAX_DIRLIST_ENTRIES, decodeEntryplus3, 'entryplus3');
  return { dirAttributes, cookieverf, entries, eof: r.bool('dirlistplus3.eof') };
}

export function encodeReaddirplus3Res(w: XdrWriter, res: Readdirplus3Res): void {
  encodeNfs3Result(w, res, encodeReaddirplus3ResOk, readdir3Fail.encode);
}
export function decodeReaddirplus3Res(r: XdrReader): Readdirplus3Res {
  return decodeNfs3Result(r, decodeReaddirplus3ResOk, readdir3Fail.decode);
}
