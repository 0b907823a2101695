/**
 * rpcbind v4 GETSTAT result (RFC 1833 section 2.1): rpcb_stat_byvers, a fixed array of one
 * rpcb_stat per binder version (v2, v3, v4), each holding fixed per-procedure counters and two
 * linked lists (address look-ups and remote calls). `rpcinfo -m` prints it.
 */

import type { XdrReader, XdrWriter } from '../xdr/index.js';
import { MAX_LIST_ENTRIES, RPCBSTAT_HIGHPROC, RPCBVERS_STAT } from './constants.js';
import { decodeRpcbString } from './rpcb-codec.js';
import { decodeXdrList, encodeXdrList } from './xdr-list.js';

/** struct rpcbs_addrlist node: look-ups of one (prog, vers, netid). */
export interface RpcbsAddr {
  prog: number;
  vers: number;
  success: number;
  failure: number;
  netid: string;
}

/** struct rpcbs_rmtcalllist node: forwarded calls (we never forward, so always empty here). */
export interface RpcbsRmtcall {
  prog: number;
  vers: number;
  proc: number;
  success: number;
  failure: number;
  indirect: number;
  netid: string;
}

/** struct rpcb_stat: `info` has exactly RPCBSTAT_HIGHPROC counters, indexed by procedure. */
export interface RpcbStat {
  info: number[];
  setinfo: number;
  unsetinfo: number;
  addrinfo: RpcbsAddr[];
  rmtinfo: RpcbsRmtcall[];
}

function decodeRpcbsAddr(r: XdrReader): RpcbsAddr {
  return {
    prog: r.uint32('rpcbs_addr.prog'),
    vers: r.uint32('rpcbs_addr.vers'),
    success: r.int32('rpcbs_addr.success'),
    failure: r.int32('rpcbs_addr.failure'),
    netid: decodeRpcbString(r, 'rpcbs_addr.netid'),
  };
}

function encodeRpcbsAddr(w: XdrWriter, a: RpcbsAddr): void {
  w.uint32(a.prog).uint32(a.vers).int32(a.success).int32(a.failure).string(a.netid);
}

function decodeRpcbsRmtcall(r: XdrReader): RpcbsRmtcall {
  return {
    prog: r.uint32('rpcbs_rmtcall.prog'),
    vers: r.uint32('rpcbs_rmtcall.vers'),
    proc: r.uint32('rpcbs_rmtcall.proc'),
    success: r.int32('rpcbs_rmtcall.success'),
    failure: r.int32('rpcbs_rmtcall.failure'),
    indirect: r.int32('rpcbs_rmtcall.indirect'),
    netid: decodeRpcbString(r, 'rpcbs_rmtcall.netid'),
  };
}

function encodeRpcbsRmtcall(w: XdrWriter, c: RpcbsRmtcall): void {
  w.uint32(c.prog).uint32(c.vers).uint32(c.proc).int32(c.success).int32(c.failure).int32(c.indirect).string(c.netid);
}

export function decodeRpcbStat(r: XdrReader): RpcbStat {
  const info: number[] = [];
  for (let i = 0; i < RPCBSTAT_HIGHPROC; i++) info.push(r.int32('rpcb_stat.info'));
  return {
    info,
    setinfo: r.int32('rpcb_stat.setinfo'),
    unsetinfo: r.int32('rpcb_stat.unsetinfo'),
    addrinfo: decodeXdrList(r, MAX_LIST_ENTRIES, decodeRpcbsAddr, 'rpcbs_addrlist'),
    rmtinfo: decodeXdrList(r, MAX_LIST_ENTRIES, decodeRpcbsRmtcall, 'rpcbs_rmtcalllist'),
  };
}

/** Fails with RangeError when `info` does not hold exactly RPCBSTAT_HIGHPROC counters. */
export function encodeRpcbStat(w: XdrWriter, s: RpcbStat): void {
  if (s.info.length !== RPCBSTAT_HIGHPROC) throw new RangeError(`rpcb_stat.info has ${s.info.length} counters`);
  for (const n of s.info) w.int32(n);
  w.int32(s.setinfo).int32(s.unsetinfo);
  encodeXdrList(w, s.addrinfo, encodeRpcbsAddr);
  encodeXdrList(w, s.rmtinfo, encodeRpcbsRmtcall);
}

export function decodeRpcbStatByVers(r: XdrReader): RpcbStat[] {
  const out: RpcbStat[] = [];
  for (let i = 0; i < RPCBVERS_STAT; i++) out.push(decodeRpcbStat(r));
  return out;
}

/** Fails with RangeError unless given exactly RPCBVERS_STAT entries (v2, v3, v4 in that order). */
export function encodeRpcbStatByVers(w: XdrWriter, byVers: readonly RpcbStat[]): void {
  if (byVers.length !== RPCBVERS_STAT) throw new RangeError(`rpcb_stat_byvers needs ${RPCBVERS_STAT} entries`);
  for (const s of byVers) encodeRpcbStat(w, s);
}

