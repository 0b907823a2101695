/**
 * Program/version/procedure registry and the generic call path: one record in, the reply chunks
 * (or null for "send nothing") out. Services register procedure tables; they never see headers,
 * record marks or sockets, and nothing they throw escapes as anything but SYSTEM_ERR.
 *
 * Order of checks for a record (RFC 5531 §9 for the statuses):
 *
 *  1. call header (see call.ts): drop, RPC_MISMATCH, or AUTH_ERROR BADCRED/BADVERF for an
 *     unreadable credential/verifier
 *  2. credential flavor (see auth.ts): AUTH_ERROR BADCRED / REJECTEDCRED; verifier → BADVERF
 *  3. program unknown → PROG_UNAVAIL; version unknown → PROG_MISMATCH with the registered
 *     low/high; procedure unknown → PROC_UNAVAIL
 *  4. the program's auth policy → AUTH_ERROR with the policy's status (e.g. AUTH_TOOWEAK)
 *  5. argument decode: XdrDecodeError → GARBAGE_ARGS. Trailing bytes after the arguments are
 *     tolerated, as knfsd does: some clients pad.
 *  6. the program's interceptor (duplicate request cache) around 7
 *  7. handler then result encoder: a throw or rejection → SYSTEM_ERR and one error log line
 */

import { XdrDecodeError, XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import { checkCallVerifier, credentialsFromAuth } from './auth.js';
import { parseCall, type CallHeader } from './call.js';
import { silentLogger, tracerFor, type Logger, type Tracer } from './logger.js';
import { acceptedBody, authErrorBody, describeReply, encodeStatusReply, RPC_MISMATCH_BODY, writeSuccessHeader, type ReplyBody } from './reply.js';
import {
  AcceptStat,
  AuthFlavor,
  AuthStat,
  type CallContext,
  type CallInterceptor,
  type Credentials,
  type ProcedureDef,
  type RpcProgram,
} from './types.js';

/** Where a record came from; becomes part of the CallContext. */
export interface TransportInfo {
  transport: 'tcp' | 'udp';
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  /** Address the call arrived on (TCP only: Node does not expose a datagram's destination). */
  localAddress?: string;
}

/** Decides whether a decoded credential may call a procedure: AUTH_OK, or the AuthStat to deny with. */
export type AuthPolicy = (cred: Credentials, call: { version: number; procedure: number }) => AuthStat;

/**
 * Policy for services that need caller identities (NFS, MOUNT): AUTH_SYS required, AUTH_NONE gets
 * AUTH_TOOWEAK. Procedure 0 (NULL) stays open to everyone: clients ping with AUTH_NONE.
 */
export const requireAuthSys: AuthPolicy = (cred, call) =>
  call.procedure === 0 || cred.flavor === AuthFlavor.AUTH_SYS ? AuthStat.AUTH_OK : AuthStat.AUTH_TOOWEAK;

export interface ProgramOptions {
  interceptor?: CallInterceptor;
  authPolicy?: AuthPolicy;
}

interface Registration {
  program: RpcProgram;
  /** Lowest and highest registered version, for PROG_MISMATCH. */
  low: number;
  high: number;
  interceptor?: CallInterceptor;
  authPolicy?: AuthPolicy;
}

/**
 * Reply chunks as dispatch hands them to a transport. `sent`, when present, must be called once
 * the transport no longer needs the chunks (see CallContext.afterSend); use replySent.
 */
export type ReplyChunks = Buffer[] & { sent?: () => void };

/** Tell the reply's lenders that the transport is done with it (sent, failed or dropped). */
export function replySent(chunks: ReplyChunks | null): void {
  chunks?.sent?.();
}

/** A dispatched call's context, holding what its handler lent the reply (afterSend). */
interface DispatchedContext extends CallContext {
  lent?: (() => void)[];
}

/** CallContext.afterSend of every dispatched call: one function for all, called as a method. */
function afterSend(this: DispatchedContext, fn: () => void): void {
  (this.lent ??= []).push(fn);
}

/** Hand the reply what was lent to it, to run once: a buffer given back twice would be lent twice. */
function withLent(chunks: ReplyChunks, ctx: DispatchedContext): ReplyChunks {
  const lent = ctx.lent;
  if (lent) chunks.sent = () => lent.splice(0).forEach((fn) => fn());
  return chunks;
}

/** Initial reply buffer: headers and most results fit; READ data is referenced, not copied. */
const REPLY_INITIAL_SIZE = 512;

export class RpcDispatcher {
  private readonly programs = new Map<number, Registration>();
  private readonly trace: Tracer | null;

  /** @param traceSetting FALLTHRU_TRACE-style list; defaults to the environment. */
  constructor(
    private readonly logger: Logger = silentLogger,
    traceSetting?: string,
  ) {
    this.trace = tracerFor('rpc', logger, traceSetting);
  }

  /** Add a program. Throws if the number is taken or the program has no versions. */
  register(program: RpcProgram, options: ProgramOptions = {}): void {
    if (this.programs.has(program.program)) throw new Error(`RPC program ${program.program} already registered`);
    const versions = [...program.versions.keys()];
    if (versions.length === 0) throw new Error(`RPC program ${program.program} has no versions`);
    this.programs.set(program.program, {
      program,
      low: Math.min(...versions),
      high: Math.max(...versions),
      ...options,
    });
  }

  /** Install or remove a program's interceptor after registration (services build theirs late). */
  setInterceptor(program: number, interceptor: CallInterceptor | undefined): void {
    this.registration(program).interceptor = interceptor;
  }

  setAuthPolicy(program: number, policy: AuthPolicy | undefined): void {
    this.registration(program).authPolicy = policy;
  }

  /** Registered program numbers with their version ranges (for portmap registration). */
  programsList(): Array<{ program: number; name: string; versions: number[] }> {
    return [...this.programs.values()].map((r) => ({
      program: r.program.program,
      name: r.program.name,
      versions: [...r.program.versions.keys()].sort((a, b) => a - b),
    }));
  }

  private registration(program: number): Registration {
    const reg = this.programs.get(program);
    if (!reg) throw new Error(`RPC program ${program} is not registered`);
    return reg;
  }

  /**
   * Handle one record. Resolves with the reply chunks (with a TCP record mark in front when
   * `recordMark`), or null when nothing must be sent. Never rejects.
   */
  async dispatch(record: Buffer, from: TransportInfo, recordMark: boolean): Promise<ReplyChunks | null> {
    try {
      return await this.dispatchRecord(record, from, recordMark);
    } catch (e) {
      // Only a bug in this file gets here; the connection must survive it anyway.
      this.logger.log('error', 'rpc dispatch failed', { error: e, bytes: record.length });
      return null;
    }
  }

  private dispatchRecord(record: Buffer, from: TransportInfo, recordMark: boolean): Promise<Buffer[] | null> | Buffer[] | null {
    const r = new XdrReader(record);
    const parsed = parseCall(r);
    switch (parsed.kind) {
      case 'drop':
        this.trace?.('drop', { reason: parsed.reason, xid: parsed.xid, bytes: record.length, from: from.remoteAddress });
        return null;
      case 'rpc-mismatch':
        return this.status(parsed.xid, RPC_MISMATCH_BODY, recordMark, { rpcvers: parsed.rpcvers });
      case 'auth-error':
        return this.status(parsed.xid, authErrorBody(parsed.stat), recordMark, { program: parsed.program });
      case 'call':
        return this.dispatchCall(parsed.header, r, from, recordMark);
    }
  }

  private dispatchCall(h: CallHeader, r: XdrReader, from: TransportInfo, recordMark: boolean): Promise<Buffer[] | null> | Buffer[] {
    const cred = credentialsFromAuth(h.cred);
    if (typeof cred === 'number') return this.status(h.xid, authErrorBody(cred), recordMark, { flavor: h.cred.flavor });
    const verfStat = checkCallVerifier(h.verf);
    if (verfStat !== AuthStat.AUTH_OK) return this.status(h.xid, authErrorBody(verfStat), recordMark, { verf: h.verf.flavor });

    const reg = this.programs.get(h.program);
    if (!reg) return this.status(h.xid, acceptedBody(AcceptStat.PROG_UNAVAIL), recordMark, { program: h.program });
    const procs = reg.program.versions.get(h.version);
    if (!procs) {
      const mismatch = { low: reg.low, high: reg.high };
      return this.status(h.xid, acceptedBody(AcceptStat.PROG_MISMATCH, mismatch), recordMark, { version: h.version });
    }
    const proc = procs[h.procedure];
    if (!proc) return this.status(h.xid, acceptedBody(AcceptStat.PROC_UNAVAIL), recordMark, { procedure: h.procedure });

    const authStat = reg.authPolicy?.(cred, h) ?? AuthStat.AUTH_OK;
    if (authStat !== AuthStat.AUTH_OK) return this.status(h.xid, authErrorBody(authStat), recordMark, { procedure: h.procedure });

    const ctx: DispatchedContext = {
      xid: h.xid,
      program: h.program,
      version: h.version,
      procedure: h.procedure,
      cred,
      transport: from.transport,
      remoteAddress: from.remoteAddress,
      remotePort: from.remotePort,
      localPort: from.localPort,
      localAddress: from.localAddress,
      afterSend,
    };
    const argsStart = r.pos;
    let args: unknown;
    try {
      args = proc.decode(r);
    } catch (e) {
      if (e instanceof XdrDecodeError) {
        return this.status(h.xid, acceptedBody(AcceptStat.GARBAGE_ARGS), recordMark, { name: proc.name, what: e.message });
      }
      return this.systemError(ctx, proc, 'decode', e, recordMark);
    }
    const execute = () => this.execute(proc, args, ctx, recordMark);
    if (!reg.interceptor) return execute();
    const rawArgs = r.buf.subarray(argsStart, r.end);
    return reg.interceptor({ ctx, proc, rawArgs }, execute).catch((e: unknown) =>
      this.systemError(ctx, proc, 'interceptor', e, recordMark),
    );
  }

  /** Run the handler and encode its result; always resolves with reply chunks. */
  private async execute(proc: ProcedureDef, args: unknown, ctx: DispatchedContext, recordMark: boolean): Promise<ReplyChunks> {
    const started = this.trace ? performance.now() : 0;
    let result: unknown;
    try {
      result = await proc.handle(args, ctx);
    } catch (e) {
      return withLent(this.systemError(ctx, proc, 'handler', e, recordMark), ctx);
    }
    let chunks: Buffer[];
    try {
      const w = new XdrWriter(REPLY_INITIAL_SIZE, recordMark);
      writeSuccessHeader(w, ctx.xid);
      proc.encode(w, result);
      chunks = w.finish();
    } catch (e) {
      return withLent(this.systemError(ctx, proc, 'encode', e, recordMark), ctx);
    }
    this.trace?.('call', {
      xid: ctx.xid >>> 0,
      program: ctx.program,
      version: ctx.version,
      procedure: proc.name,
      status: 'SUCCESS',
      ms: +(performance.now() - started).toFixed(3),
    });
    return withLent(chunks, ctx);
  }

  private systemError(ctx: CallContext, proc: ProcedureDef, stage: string, error: unknown, recordMark: boolean): Buffer[] {
    this.logger.log('error', `rpc ${stage} failed`, {
      xid: ctx.xid >>> 0,
      program: ctx.program,
      version: ctx.version,
      procedure: proc.name,
      error,
    });
    return encodeStatusReply(ctx.xid, acceptedBody(AcceptStat.SYSTEM_ERR), recordMark);
  }

  private status(xid: number, body: ReplyBody, recordMark: boolean, fields: Record<string, unknown>): Buffer[] {
    this.trace?.('reject', { xid: xid >>> 0, ...fields, status: describeReply(body) });
    return encodeStatusReply(xid, body, recordMark);
  }
}
