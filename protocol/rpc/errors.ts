/**
 * Errors an RPC client reports. A reply that is not an accepted SUCCESS is an RpcError carrying
 * the decoded status; transport failures are separate classes so callers can tell "the server
 * said no" from "we never heard back".
 */

import { describeReply, type MismatchInfo, type ReplyBody } from './reply.js';
import { AcceptStat, AuthStat, RejectStat, ReplyStat } from './types.js';

/** The server answered, but not with an accepted SUCCESS. */
export class RpcError extends Error {
  /** Set for accepted replies (PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR). */
  readonly acceptStat?: AcceptStat;
  /** Set for denied replies. */
  readonly rejectStat?: RejectStat;
  /** Set for AUTH_ERROR. */
  readonly authStat?: AuthStat;
  /** Supported range, for PROG_MISMATCH (versions) and RPC_MISMATCH (RPC versions). */
  readonly low?: number;
  readonly high?: number;

  constructor(
    readonly xid: number,
    readonly reply: ReplyBody,
  ) {
    super(`RPC call ${xid >>> 0} failed: ${describeReply(reply)}`);
    this.name = 'RpcError';
    let mismatch: MismatchInfo | undefined;
    if (reply.replyStat === ReplyStat.MSG_ACCEPTED) {
      this.acceptStat = reply.acceptStat;
      mismatch = reply.mismatch;
    } else {
      this.rejectStat = reply.rejectStat;
      if (reply.rejectStat === RejectStat.RPC_MISMATCH) mismatch = reply.mismatch;
      else this.authStat = reply.authStat;
    }
    this.low = mismatch?.low;
    this.high = mismatch?.high;
  }
}

/** No reply within the call's timeout (after all UDP retransmissions). */
export class RpcTimeoutError extends Error {
  constructor(
    readonly xid: number,
    readonly timeoutMs: number,
  ) {
    super(`RPC call ${xid >>> 0} timed out after ${timeoutMs} ms`);
    this.name = 'RpcTimeoutError';
  }
}

/** The connection failed or the client was closed while the call was outstanding. */
export class RpcTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RpcTransportError';
  }
}
