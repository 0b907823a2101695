/**
 * The call side of rpc_msg (RFC 5531 §9): xid, msg_type CALL, then call_body (rpcvers, prog,
 * vers, proc, cred, verf), then the procedure's arguments.
 *
 * The server reads a call header in stages because what it may answer depends on how far the
 * record is readable:
 *
 * | record                                    | outcome                                     |
 * |-------------------------------------------|---------------------------------------------|
 * | shorter than xid + msg_type + rpcvers     | dropped: no xid worth answering             |
 * | msg_type is not CALL                      | dropped: a server never answers replies     |
 * | rpcvers != 2                              | RPC_MISMATCH (§9: checked before anything)  |
 * | prog/vers/proc truncated                  | dropped: we cannot say which call it was    |
 * | credential truncated or body > 400 bytes  | AUTH_ERROR / AUTH_BADCRED                   |
 * | verifier truncated or body > 400 bytes    | AUTH_ERROR / AUTH_BADVERF                   |
 * | otherwise                                 | a call; the reader sits at the arguments    |
 *
 * Dropping is safe: a client retransmits (UDP) or times out (TCP), and the connection survives.
 */

import { XdrDecodeError, type XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import { AUTH_NONE_AUTH, decodeOpaqueAuth, encodeOpaqueAuth, type OpaqueAuth } from './auth.js';
import { AuthStat, MsgType, RPC_VERSION } from './types.js';

export interface CallHeader {
  xid: number;
  rpcvers: number;
  program: number;
  version: number;
  procedure: number;
  cred: OpaqueAuth;
  verf: OpaqueAuth;
}

/** Outcome of reading a call header from a record; see the table at the top of this file. */
export type ParsedCall =
  | { kind: 'call'; header: CallHeader }
  | { kind: 'drop'; reason: string; xid?: number }
  | { kind: 'rpc-mismatch'; xid: number; rpcvers: number }
  | {
      kind: 'auth-error';
      xid: number;
      program: number;
      version: number;
      procedure: number;
      stat: AuthStat.AUTH_BADCRED | AuthStat.AUTH_BADVERF;
    };

/** Bytes needed before rpcvers can be judged: xid, msg_type, rpcvers. */
const VERSION_PREFIX_BYTES = 12;
/** Bytes needed before the credential: the prefix plus prog, vers, proc. */
const FIXED_CALL_BYTES = 24;

/**
 * Read a call header at `r` (normally the start of a record). Never throws for malformed input:
 * the outcome says what to answer. On `call`, `r` is positioned at the procedure arguments.
 */
export function parseCall(r: XdrReader): ParsedCall {
  if (r.remaining() < VERSION_PREFIX_BYTES) return { kind: 'drop', reason: 'record too short for a call header' };
  const xid = r.uint32();
  const msgType = r.uint32();
  if (msgType !== MsgType.CALL) return { kind: 'drop', reason: `msg_type ${msgType} is not CALL`, xid };
  const rpcvers = r.uint32();
  if (rpcvers !== RPC_VERSION) return { kind: 'rpc-mismatch', xid, rpcvers };
  if (r.remaining() < FIXED_CALL_BYTES - VERSION_PREFIX_BYTES) {
    return { kind: 'drop', reason: 'record too short for prog/vers/proc', xid };
  }
  const program = r.uint32();
  const version = r.uint32();
  const procedure = r.uint32();
  const cred = tryDecodeAuth(r, 'cred');
  if (!cred) return { kind: 'auth-error', xid, program, version, procedure, stat: AuthStat.AUTH_BADCRED };
  const verf = tryDecodeAuth(r, 'verf');
  if (!verf) return { kind: 'auth-error', xid, program, version, procedure, stat: AuthStat.AUTH_BADVERF };
  return { kind: 'call', header: { xid, rpcvers, program, version, procedure, cred, verf } };
}

function tryDecodeAuth(r: XdrReader, what: string): OpaqueAuth | null {
  try {
    return decodeOpaqueAuth(r, what);
  } catch (e) {
    if (e instanceof XdrDecodeError) return null;
    throw e;
  }
}

/** Strict form of parseCall for tools and tests: anything but a readable call throws XdrDecodeError. */
export function decodeCallHeader(r: XdrReader): CallHeader {
  const start = r.pos;
  const parsed = parseCall(r);
  if (parsed.kind === 'call') return parsed.header;
  throw new XdrDecodeError(start, `not a readable call: ${parsed.kind}`);
}

export interface CallHeaderFields {
  xid: number;
  program: number;
  version: number;
  procedure: number;
  /** Defaults to AUTH_NONE. */
  cred?: OpaqueAuth;
  /** Defaults to AUTH_NONE. */
  verf?: OpaqueAuth;
  /** Defaults to 2; other values exist only to test servers. */
  rpcvers?: number;
}

/** Write a call header; the caller then writes the arguments. */
export function encodeCallHeader(w: XdrWriter, h: CallHeaderFields): void {
  w.uint32(h.xid).uint32(MsgType.CALL).uint32(h.rpcvers ?? RPC_VERSION);
  w.uint32(h.program).uint32(h.version).uint32(h.procedure);
  encodeOpaqueAuth(w, h.cred ?? AUTH_NONE_AUTH);
  encodeOpaqueAuth(w, h.verf ?? AUTH_NONE_AUTH);
}
