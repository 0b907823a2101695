/**
 * rpcbind v3/v4 types (RFC 1833 section 2.1): rpcb, rp__list, rpcb_rmtcallres, netbuf,
 * rpcb_entry and rpcb_entry_list. (rpcb_rmtcallargs shares call_args' codec; rpcb_stat lives in
 * rpcb-stat-codec.ts.) Strings are bounded by MAX_RPCB_STRING when decoding.
 */

import type { XdrReader, XdrWriter } from '../xdr/index.js';
import { MAX_LIST_ENTRIES, MAX_RMTCALL_BYTES, MAX_RPCB_STRING } from './constants.js';
import { decodeXdrList, encodeXdrList } from './xdr-list.js';

/** An rpcbind string (netid, universal address, owner, protocol family...). */
export function decodeRpcbString(r: XdrReader, what: string): string {
  return r.string(MAX_RPCB_STRING, what);
}

/** struct rpcb: one registration, or the question of a SET/UNSET/GETADDR. */
export interface Rpcb {
  prog: number;
  vers: number;
  /** Transport netid ("tcp", "udp6"...); "" in UNSET means every transport. */
  netid: string;
  /** Universal address (see uaddr.ts). */
  uaddr: string;
  owner: string;
}

export function decodeRpcb(r: XdrReader): Rpcb {
  return {
    prog: r.uint32('rpcb.r_prog'),
    vers: r.uint32('rpcb.r_vers'),
    netid: decodeRpcbString(r, 'rpcb.r_netid'),
    uaddr: decodeRpcbString(r, 'rpcb.r_addr'),
    owner: decodeRpcbString(r, 'rpcb.r_owner'),
  };
}

export function encodeRpcb(w: XdrWriter, b: Rpcb): void {
  w.uint32(b.prog).uint32(b.vers).string(b.netid).string(b.uaddr).string(b.owner);
}

/** rp__list / rpcblist_ptr (DUMP's result). */
export function encodeRpList(w: XdrWriter, list: Iterable<Rpcb>): void {
  encodeXdrList(w, list, encodeRpcb);
}

export function decodeRpList(r: XdrReader): Rpcb[] {
  return decodeXdrList(r, MAX_LIST_ENTRIES, decodeRpcb, 'rp__list');
}

/** struct rpcb_rmtcallres: the address of the called service and its raw results. */
export interface RpcbRmtcallres {
  uaddr: string;
  results: Buffer;
}

export function decodeRpcbRmtcallres(r: XdrReader): RpcbRmtcallres {
  return {
    uaddr: decodeRpcbString(r, 'rpcb_rmtcallres.addr'),
    results: r.opaque(MAX_RMTCALL_BYTES, 'rpcb_rmtcallres.results'),
  };
}

export function encodeRpcbRmtcallres(w: XdrWriter, c: RpcbRmtcallres): void {
  w.string(c.uaddr).opaque(c.results);
}

/** struct netbuf: a transport-specific (machine-dependent) address, for UADDR2TADDR/TADDR2UADDR. */
export interface Netbuf {
  maxlen: number;
  buf: Buffer;
}

export function decodeNetbuf(r: XdrReader): Netbuf {
  return { maxlen: r.uint32('netbuf.maxlen'), buf: r.opaque(MAX_RPCB_STRING, 'netbuf.buf') };
}

export function encodeNetbuf(w: XdrWriter, n: Netbuf): void {
  w.uint32(n.maxlen).opaque(n.buf);
}

/** struct rpcb_entry: one address of a program version, with what its transport is like. */
export interface RpcbEntry {
  maddr: string;
  netid: string;
  /** NcSemantics. */
  semantics: number;
  protofmly: string;
  proto: string;
}

export function decodeRpcbEntry(r: XdrReader): RpcbEntry {
  return {
    maddr: decodeRpcbString(r, 'rpcb_entry.r_maddr'),
    netid: decodeRpcbString(r, 'rpcb_entry.r_nc_netid'),
    semantics: r.uint32('rpcb_entry.r_nc_semantics'),
    protofmly: decodeRpcbString(r, 'rpcb_entry.r_nc_protofmly'),
    proto: decodeRpcbString(r, 'rpcb_entry.r_nc_proto'),
  };
}

export function encodeRpcbEntry(w: XdrWriter, e: RpcbEntry): void {
  w.string(e.maddr).string(e.netid).uint32(e.semantics).string(e.protofmly).string(e.proto);
}

/** rpcb_entry_list_ptr (GETADDRLIST's result). */
export function encodeRpcbEntryList(w: XdrWriter, list: Iterable<RpcbEntry>): void {
  encodeXdrList(w, list, encodeRpcbEntry);
}

export function decodeRpcbEntryList(r: XdrReader): RpcbEntry[] {
  return decodeXdrList(r, MAX_LIST_ENTRIES, decodeRpcbEntry, 'rpcb_entry_list');
}
