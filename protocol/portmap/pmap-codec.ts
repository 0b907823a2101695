/**
 * Port mapper v2 types (RFC 1833 section 3.1): mapping, pmaplist, call_args, call_result.
 * One decoder and one encoder per type; lists compose the item codec with the XDR list helpers.
 */

import type { XdrReader, XdrWriter } from '../xdr/index.js';
import { MAX_LIST_ENTRIES, MAX_RMTCALL_BYTES } from './constants.js';
import { decodeXdrList, encodeXdrList } from './xdr-list.js';

/** struct mapping: `prot` is an IP protocol number (IpProto), `port` 0 in UNSET and GETPORT. */
export interface PmapMapping {
  prog: number;
  vers: number;
  prot: number;
  port: number;
}

export function decodeMapping(r: XdrReader): PmapMapping {
  return {
    prog: r.uint32('mapping.prog'),
    vers: r.uint32('mapping.vers'),
    prot: r.uint32('mapping.prot'),
    port: r.uint32('mapping.port'),
  };
}

export function encodeMapping(w: XdrWriter, m: PmapMapping): void {
  w.uint32(m.prog).uint32(m.vers).uint32(m.prot).uint32(m.port);
}

/** pmaplist (DUMP's result). */
export function encodePmaplist(w: XdrWriter, list: Iterable<PmapMapping>): void {
  encodeXdrList(w, list, encodeMapping);
}

export function decodePmaplist(r: XdrReader): PmapMapping[] {
  return decodeXdrList(r, MAX_LIST_ENTRIES, decodeMapping, 'pmaplist');
}

/**
 * struct call_args (CALLIT). rpcbind's rpcb_rmtcallargs has the same four fields in the same
 * order, so this one codec serves both.
 */
export interface CallArgs {
  prog: number;
  vers: number;
  proc: number;
  args: Buffer;
}

export function decodeCallArgs(r: XdrReader): CallArgs {
  return {
    prog: r.uint32('call_args.prog'),
    vers: r.uint32('call_args.vers'),
    proc: r.uint32('call_args.proc'),
    args: r.opaque(MAX_RMTCALL_BYTES, 'call_args.args'),
  };
}

export function encodeCallArgs(w: XdrWriter, a: CallArgs): void {
  w.uint32(a.prog).uint32(a.vers).uint32(a.proc).opaque(a.args);
}

/** struct call_result (CALLIT's reply): the port of the called service and its raw results. */
export interface CallResult {
  port: number;
  res: Buffer;
}

export function decodeCallResult(r: XdrReader): CallResult {
  return { port: r.uint32('call_result.port'), res: r.opaque(MAX_RMTCALL_BYTES, 'call_result.res') };
}

export function encodeCallResult(w: XdrWriter, c: CallResult): void {
  w.uint32(c.port).opaque(c.res);
}
