/**
 * The reply side of rpc_msg (RFC 5531 §9): xid, msg_type REPLY, then reply_body — accepted
 * (verifier, accept_stat, and low/high for PROG_MISMATCH) or denied (RPC_MISMATCH with low/high,
 * or AUTH_ERROR with an auth_stat).
 *
 * Every reply but SUCCESS is a constant apart from its xid, so each distinct one is encoded once
 * (with and without a record mark) and later copied with the xid patched in: an error reply costs
 * one small allocation and a memcpy. The SUCCESS header is likewise a constant tail after the xid.
 */

import type { XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import { AUTH_NONE_AUTH, decodeOpaqueAuth, encodeOpaqueAuth, type OpaqueAuth } from './auth.js';
import { AcceptStat, AuthStat, MsgType, RejectStat, ReplyStat, RPC_VERSION } from './types.js';

export interface MismatchInfo {
  low: number;
  high: number;
}

export type ReplyBody =
  | {
      replyStat: ReplyStat.MSG_ACCEPTED;
      verf: OpaqueAuth;
      acceptStat: AcceptStat;
      /** Present exactly when acceptStat is PROG_MISMATCH. */
      mismatch?: MismatchInfo;
    }
  | { replyStat: ReplyStat.MSG_DENIED; rejectStat: RejectStat.RPC_MISMATCH; mismatch: MismatchInfo }
  | { replyStat: ReplyStat.MSG_DENIED; rejectStat: RejectStat.AUTH_ERROR; authStat: AuthStat };

export interface ReplyHeader {
  xid: number;
  body: ReplyBody;
}

const ACCEPT_STATS: ReadonlySet<number> = new Set([
  AcceptStat.SUCCESS,
  AcceptStat.PROG_UNAVAIL,
  AcceptStat.PROG_MISMATCH,
  AcceptStat.PROC_UNAVAIL,
  AcceptStat.GARBAGE_ARGS,
  AcceptStat.SYSTEM_ERR,
]);
const REPLY_STATS: ReadonlySet<number> = new Set([ReplyStat.MSG_ACCEPTED, ReplyStat.MSG_DENIED]);
const REJECT_STATS: ReadonlySet<number> = new Set([RejectStat.RPC_MISMATCH, RejectStat.AUTH_ERROR]);
const REPLY_ONLY: ReadonlySet<number> = new Set([MsgType.REPLY]);

function encodeMismatch(w: XdrWriter, m: MismatchInfo): void {
  w.uint32(m.low).uint32(m.high);
}

function decodeMismatch(r: XdrReader): MismatchInfo {
  return { low: r.uint32('mismatch low'), high: r.uint32('mismatch high') };
}

/** reply_body, without the xid and msg_type in front of it. */
export function encodeReplyBody(w: XdrWriter, body: ReplyBody): void {
  w.uint32(body.replyStat);
  if (body.replyStat === ReplyStat.MSG_ACCEPTED) {
    encodeOpaqueAuth(w, body.verf);
    w.uint32(body.acceptStat);
    if (body.acceptStat === AcceptStat.PROG_MISMATCH) encodeMismatch(w, body.mismatch ?? { low: 0, high: 0 });
    return;
  }
  w.uint32(body.rejectStat);
  if (body.rejectStat === RejectStat.RPC_MISMATCH) encodeMismatch(w, body.mismatch);
  else w.uint32(body.authStat);
}

export function decodeReplyBody(r: XdrReader): ReplyBody {
  const replyStat = r.enumOf<ReplyStat>(REPLY_STATS, 'reply_stat');
  if (replyStat === ReplyStat.MSG_ACCEPTED) {
    const verf = decodeOpaqueAuth(r, 'reply verf');
    const acceptStat = r.enumOf<AcceptStat>(ACCEPT_STATS, 'accept_stat');
    if (acceptStat === AcceptStat.PROG_MISMATCH) {
      return { replyStat, verf, acceptStat, mismatch: decodeMismatch(r) };
    }
    return { replyStat, verf, acceptStat };
  }
  const rejectStat = r.enumOf<RejectStat>(REJECT_STATS, 'reject_stat');
  if (rejectStat === RejectStat.RPC_MISMATCH) return { replyStat, rejectStat, mismatch: decodeMismatch(r) };
  // auth_stat is left open: RPCSEC_GSS adds values (13, 14) a client should still report.
  return { replyStat, rejectStat, authStat: r.uint32('auth_stat') as AuthStat };
}

/** Whole reply header. For SUCCESS, `r` is left at the first byte of the results. */
export function decodeReplyHeader(r: XdrReader): ReplyHeader {
  const xid = r.uint32('xid');
  r.enumOf(REPLY_ONLY, 'msg_type');
  return { xid, body: decodeReplyBody(r) };
}

export function encodeReplyHeader(w: XdrWriter, h: ReplyHeader): void {
  w.uint32(h.xid).uint32(MsgType.REPLY);
  encodeReplyBody(w, h.body);
}

const ACCEPT_NAMES = ['SUCCESS', 'PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR'];
const AUTH_NAMES = [
  'AUTH_OK',
  'AUTH_BADCRED',
  'AUTH_REJECTEDCRED',
  'AUTH_BADVERF',
  'AUTH_REJECTEDVERF',
  'AUTH_TOOWEAK',
  'AUTH_INVALIDRESP',
  'AUTH_FAILED',
];

/** Human-readable status of a reply body, e.g. "PROG_MISMATCH 2..3" or "AUTH_ERROR AUTH_TOOWEAK". */
export function describeReply(body: ReplyBody): string {
  if (body.replyStat === ReplyStat.MSG_ACCEPTED) {
    const name = ACCEPT_NAMES[body.acceptStat] ?? `accept_stat ${body.acceptStat}`;
    return body.mismatch ? `${name} ${body.mismatch.low}..${body.mismatch.high}` : name;
  }
  if (body.rejectStat === RejectStat.RPC_MISMATCH) return `RPC_MISMATCH ${body.mismatch.low}..${body.mismatch.high}`;
  return `AUTH_ERROR ${AUTH_NAMES[body.authStat] ?? body.authStat}`;
}

// ---- server side: the replies a dispatcher sends -------------------------------------------

/** msg_type REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS: everything after the xid. */
const SUCCESS_TAIL: Buffer = (() => {
  const w = new XdrWriter(32);
  w.uint32(MsgType.REPLY);
  encodeReplyBody(w, { replyStat: ReplyStat.MSG_ACCEPTED, verf: AUTH_NONE_AUTH, acceptStat: AcceptStat.SUCCESS });
  return Buffer.from(w.toBuffer());
})();

/** Start a SUCCESS reply: the caller then encodes the results into `w`. */
export function writeSuccessHeader(w: XdrWriter, xid: number): void {
  w.uint32(xid).raw(SUCCESS_TAIL);
}

export function acceptedBody(acceptStat: AcceptStat, mismatch?: MismatchInfo): ReplyBody {
  return { replyStat: ReplyStat.MSG_ACCEPTED, verf: AUTH_NONE_AUTH, acceptStat, mismatch };
}

export function authErrorBody(authStat: AuthStat): ReplyBody {
  return { replyStat: ReplyStat.MSG_DENIED, rejectStat: RejectStat.AUTH_ERROR, authStat };
}

/** This server speaks RPC version 2 only: low = high = 2. */
export const RPC_MISMATCH_BODY: ReplyBody = {
  replyStat: ReplyStat.MSG_DENIED,
  rejectStat: RejectStat.RPC_MISMATCH,
  mismatch: { low: RPC_VERSION, high: RPC_VERSION },
};

/**
 * Encoded templates by body. The set of distinct bodies is small and fixed (a few statuses, one
 * PROG_MISMATCH per registered program), so the cache stays small; it is capped anyway.
 */
const templates = new Map<string, Buffer>();
const MAX_TEMPLATES = 256;

function templateKey(body: ReplyBody, recordMark: boolean): string {
  const parts: unknown[] = [recordMark, body.replyStat];
  if (body.replyStat === ReplyStat.MSG_ACCEPTED) parts.push(body.verf.flavor, body.verf.body.length, body.acceptStat, body.mismatch?.low, body.mismatch?.high);
  else if (body.rejectStat === RejectStat.RPC_MISMATCH) parts.push(0, body.mismatch.low, body.mismatch.high);
  else parts.push(1, body.authStat);
  return parts.join(',');
}

/**
 * A complete non-SUCCESS reply (no results follow), as one chunk ready for the socket.
 * `recordMark` prefixes the TCP record mark.
 */
export function encodeStatusReply(xid: number, body: ReplyBody, recordMark: boolean): Buffer[] {
  if (body.replyStat === ReplyStat.MSG_ACCEPTED && body.verf.body.length > 0) {
    return buildReply(xid, body, recordMark); // verifier with content: not a constant
  }
  const key = templateKey(body, recordMark);
  let template = templates.get(key);
  if (!template) {
    template = Buffer.from(buildReply(0, body, recordMark)[0]);
    if (templates.size < MAX_TEMPLATES) templates.set(key, template);
  }
  const out = Buffer.allocUnsafe(template.length);
  template.copy(out);
  out.writeUInt32BE(xid >>> 0, recordMark ? 4 : 0);
  return [out];
}

function buildReply(xid: number, body: ReplyBody, recordMark: boolean): Buffer[] {
  const w = new XdrWriter(48, recordMark);
  encodeReplyHeader(w, { xid, body });
  return [w.toBuffer()];
}
