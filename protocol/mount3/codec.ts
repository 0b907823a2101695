/**
 * MOUNT v3 (RFC 1813 Appendix I) and v1 (RFC 1094 Appendix A) types and codecs, one decoder and
 * one encoder per XDR type. Decoders throw XdrDecodeError and nothing else.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import { decodeXdrList, encodeXdrList } from '../portmap/xdr-list.js';
import {
  FHSIZE,
  FHSIZE3,
  MAX_AUTH_FLAVORS,
  MAX_MOUNT_LIST,
  MNTNAMLEN,
  MNTPATHLEN,
  MOUNTSTAT3_VALUES,
  Mountstat3,
  type Mountstat3Error,
} from './constants.js';

// ---- dirpath, name ----

/** dirpath: string<MNTPATHLEN>, strict UTF-8 (export paths are compared as strings). */
export function decodeDirpath(r: XdrReader): string {
  return r.string(MNTPATHLEN, 'dirpath', true);
}
export function encodeDirpath(w: XdrWriter, path: string): void {
  if (Buffer.byteLength(path) > MNTPATHLEN) throw new RangeError(`dirpath longer than ${MNTPATHLEN} bytes`);
  w.string(path);
}

/** name: string<MNTNAMLEN> (host names in mountlist, group names in exports). */
export function decodeMountName(r: XdrReader): string {
  return r.string(MNTNAMLEN, 'name');
}
export function encodeMountName(w: XdrWriter, name: string): void {
  if (Buffer.byteLength(name) > MNTNAMLEN) throw new RangeError(`name longer than ${MNTNAMLEN} bytes`);
  w.string(name);
}

// ---- MNT v3: mountres3 ----

export interface Mountres3Ok {
  /** fhandle3: opaque<64>, the export root's NFSv3 handle. */
  fhandle: Buffer;
  /** RPC auth flavors the client may use, most preferred first (AuthFlavor values). */
  authFlavors: number[];
}
export type Mountres3 = ({ status: Mountstat3.MNT3_OK } & Mountres3Ok) | { status: Mountstat3Error };

export function decodeFhandle3(r: XdrReader): Buffer {
  return r.opaque(FHSIZE3, 'fhandle3');
}
export function encodeFhandle3(w: XdrWriter, fh: Buffer): void {
  if (fh.length > FHSIZE3) throw new RangeError(`fhandle3 of ${fh.length} bytes > ${FHSIZE3}`);
  w.opaque(fh);
}

export function decodeMountstat3(r: XdrReader): Mountstat3 {
  return r.enumOf<Mountstat3>(MOUNTSTAT3_VALUES, 'mountstat3');
}

export function decodeMountres3(r: XdrReader): Mountres3 {
  const status = decodeMountstat3(r);
  if (status !== Mountstat3.MNT3_OK) return { status: status as Mountstat3Error };
  const fhandle = decodeFhandle3(r);
  const authFlavors = r.array(MAX_AUTH_FLAVORS, (r) => r.uint32('auth flavor'), 'auth_flavors');
  return { status, fhandle, authFlavors };
}
export function encodeMountres3(w: XdrWriter, res: Mountres3): void {
  w.uint32(res.status);
  if (res.status !== Mountstat3.MNT3_OK) return;
  encodeFhandle3(w, res.fhandle);
  w.uint32(res.authFlavors.length);
  for (const flavor of res.authFlavors) w.uint32(flavor);
}

// ---- MNT v1: fhstatus ----

/**
 * fhstatus (RFC 1094 Appendix A): status 0 carries a fixed 32-byte fhandle; any other value is a
 * UNIX errno and carries nothing.
 */
export type Fhstatus = { status: 0; fhandle: Buffer } | { status: number };

export function decodeFhstatus(r: XdrReader): Fhstatus {
  const status = r.uint32('fhs_status');
  if (status !== 0) return { status };
  return { status, fhandle: r.fixedOpaque(FHSIZE, 'fhandle') };
}
export function encodeFhstatus(w: XdrWriter, res: Fhstatus): void {
  w.uint32(res.status);
  if (res.status !== 0) return;
  const fh = (res as { fhandle: Buffer }).fhandle;
  if (fh.length !== FHSIZE) throw new RangeError(`v1 fhandle must be ${FHSIZE} bytes, got ${fh.length}`);
  w.fixedOpaque(fh);
}

// ---- DUMP: mountlist ----

export interface Mountbody {
  hostname: string;
  directory: string;
}

export function decodeMountbody(r: XdrReader): Mountbody {
  const hostname = decodeMountName(r);
  return { hostname, directory: decodeDirpath(r) };
}
export function encodeMountbody(w: XdrWriter, m: Mountbody): void {
  encodeMountName(w, m.hostname);
  encodeDirpath(w, m.directory);
}

/** mountlist: a linked list of mountbody. */
export function decodeMountlist(r: XdrReader): Mountbody[] {
  return decodeXdrList(r, MAX_MOUNT_LIST, decodeMountbody, 'mountlist');
}
export function encodeMountlist(w: XdrWriter, list: readonly Mountbody[]): void {
  encodeXdrList(w, list, encodeMountbody);
}

// ---- EXPORT: exports ----

export interface Exportnode {
  dir: string;
  /** Client names or netgroups allowed to mount; empty means everyone. */
  groups: string[];
}

/** groups: a linked list of names. */
export function decodeGroups(r: XdrReader): string[] {
  return decodeXdrList(r, MAX_MOUNT_LIST, decodeMountName, 'groups');
}
export function encodeGroups(w: XdrWriter, groups: readonly string[]): void {
  encodeXdrList(w, groups, encodeMountName);
}

export function decodeExportnode(r: XdrReader): Exportnode {
  const dir = decodeDirpath(r);
  return { dir, groups: decodeGroups(r) };
}
export function encodeExportnode(w: XdrWriter, e: Exportnode): void {
  encodeDirpath(w, e.dir);
  encodeGroups(w, e.groups);
}

/** exports: a linked list of exportnode. */
export function decodeExports(r: XdrReader): Exportnode[] {
  return decodeXdrList(r, MAX_MOUNT_LIST, decodeExportnode, 'exports');
}
export function encodeExports(w: XdrWriter, list: readonly Exportnode[]): void {
  encodeXdrList(w, list, encodeExportnode);
}
