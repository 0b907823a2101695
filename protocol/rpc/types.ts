/**
 * ONC-RPC v2 (RFC 5531) constants and the contract between the transports, the dispatcher and
 * the services that register programs. Services see typed arguments and a CallContext; they never
 * touch record marks, RPC headers or sockets.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';

export const RPC_VERSION = 2;

export const enum MsgType {
  CALL = 0,
  REPLY = 1,
}

export const enum ReplyStat {
  MSG_ACCEPTED = 0,
  MSG_DENIED = 1,
}

export const enum AcceptStat {
  SUCCESS = 0,
  PROG_UNAVAIL = 1,
  PROG_MISMATCH = 2,
  PROC_UNAVAIL = 3,
  GARBAGE_ARGS = 4,
  SYSTEM_ERR = 5,
}

export const enum RejectStat {
  RPC_MISMATCH = 0,
  AUTH_ERROR = 1,
}

export const enum AuthStat {
  AUTH_OK = 0,
  AUTH_BADCRED = 1,
  AUTH_REJECTEDCRED = 2,
  AUTH_BADVERF = 3,
  AUTH_REJECTEDVERF = 4,
  AUTH_TOOWEAK = 5,
  AUTH_INVALIDRESP = 6,
  AUTH_FAILED = 7,
}

export const enum AuthFlavor {
  AUTH_NONE = 0,
  AUTH_SYS = 1,
  AUTH_SHORT = 2,
  AUTH_DH = 3,
  RPCSEC_GSS = 6,
}

/** RFC 5531: opaque_auth bodies are at most 400 bytes. */
export const MAX_AUTH_BYTES = 400;
/** AUTH_SYS machinename<255>. */
export const MAX_MACHINE_NAME = 255;
/** AUTH_SYS gids<16>. */
export const MAX_AUTH_SYS_GIDS = 16;

/** Who is calling, decoded from the credential. AUTH_NONE callers carry no ids. */
export type Credentials =
  | { flavor: AuthFlavor.AUTH_NONE }
  | {
      flavor: AuthFlavor.AUTH_SYS;
      stamp: number;
      machineName: string;
      uid: number;
      gid: number;
      /** Supplementary groups, at most 16. */
      gids: number[];
    };

export interface CallContext {
  xid: number;
  program: number;
  version: number;
  procedure: number;
  cred: Credentials;
  transport: 'tcp' | 'udp';
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  /**
   * Local IP the call arrived on, when the transport knows it. The portmapper answers GETADDR for
   * a service bound to 0.0.0.0 with this address (RFC 1833 section 2.2.1, "merged" address).
   */
  localAddress?: string;
  /**
   * Run `fn` once the transport is done with the reply (written to the socket, or dropped): a
   * handler that lends the reply a buffer from a pool (READ data, sent by reference) gets it
   * back here. Only for procedures whose replies are not kept by a duplicate request cache.
   * Absent where no dispatcher made the context (tests calling handlers directly). A method:
   * call it as `ctx.afterSend(fn)`.
   */
  afterSend?(fn: () => void): void;
}

/**
 * One procedure of one program version. `decode` throws XdrDecodeError on malformed input (the
 * dispatcher answers GARBAGE_ARGS); `handle` returns a typed result (a thrown error becomes
 * SYSTEM_ERR and one log line); `encode` writes the result body after the accepted-reply header.
 */
export interface ProcedureDef<A = any, R = any> {
  name: string;
  decode(r: XdrReader): A;
  handle(args: A, ctx: CallContext): R | Promise<R>;
  encode(w: XdrWriter, res: R): void;
  /** Non-idempotent: replies go through the duplicate request cache when one is installed. */
  cacheReply?: boolean;
  /** Changes state: refused on read-only exports by the service (not by the transport). */
  mutates?: boolean;
}

/** One program: versions map to a procedure table indexed by procedure number. */
export interface RpcProgram {
  program: number;
  name: string;
  versions: ReadonlyMap<number, ReadonlyArray<ProcedureDef | undefined>>;
}

/** What the transports need from the dispatcher. */
export interface RpcCallInfo {
  ctx: CallContext;
  proc: ProcedureDef;
  /** The raw argument bytes (a view): duplicate request caches checksum these. */
  rawArgs: Buffer;
}

/**
 * Optional hook around every accepted call, installed by a service (e.g. the NFS duplicate request
 * cache). It may answer from a cache (return chunks), drop a retransmit of a call still running
 * (return null), or run the call (`execute()`, which returns the encoded reply chunks).
 */
export type CallInterceptor = (
  call: RpcCallInfo,
  execute: () => Promise<Buffer[]>,
) => Promise<Buffer[] | null>;
