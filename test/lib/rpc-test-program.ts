/**
 * A small RPC program for transport and fuzz tests: an opaque<64> echo, a discriminated union, a
 * struct of hypers, procedures that throw, reject, wait, report the caller and send big replies.
 * Versions 2 and 3 share one table so PROG_MISMATCH has a real low/high.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { XdrDecodeError, type XdrReader, type XdrWriter } from '../../protocol/xdr/index.js';
import { AuthFlavor, type ProcedureDef, type RpcProgram } from '../../protocol/rpc/index.js';

export const TEST_PROGRAM = 0x40fa1100;
/** Same table, but registered with an AUTH_SYS-only policy. */
export const TEST_PROGRAM_SYS_ONLY = 0x40fa1101;
export const TEST_VERSION_LOW = 2;
export const TEST_VERSION_HIGH = 3;

export const enum TestProc {
  NULL = 0,
  ECHO = 1,
  UNION = 2,
  HYPERS = 3,
  THROW = 4,
  REJECT = 5,
  SLOW = 6,
  WHOAMI = 7,
  BIG = 8,
}
export const TEST_PROC_COUNT = 9;
export const ECHO_MAX = 64;

/** union switch (unsigned kind) { 1: unsigned n; 2: string s<32>; 3: hyper h; } */
export type TestUnion = { kind: 1; n: number } | { kind: 2; s: string } | { kind: 3; h: bigint };
const UNION_KINDS: ReadonlySet<number> = new Set([1, 2, 3]);

export function decodeTestUnion(r: XdrReader): TestUnion {
  const kind = r.enumOf<1 | 2 | 3>(UNION_KINDS, 'test union kind');
  if (kind === 1) return { kind, n: r.uint32() };
  if (kind === 2) return { kind, s: r.string(32, 'test union s', true) };
  return { kind, h: r.int64() };
}

export function encodeTestUnion(w: XdrWriter, u: TestUnion): void {
  w.uint32(u.kind);
  if (u.kind === 1) w.uint32(u.n);
  else if (u.kind === 2) w.string(u.s);
  else w.int64(u.h);
}

export interface Hypers {
  a: bigint;
  b: bigint;
  c: bigint;
}

export function decodeHypers(r: XdrReader): Hypers {
  return { a: r.int64(), b: r.uint64(), c: r.int64() };
}

export function encodeHypers(w: XdrWriter, h: Hypers): void {
  w.int64(h.a).uint64(h.b).int64(h.c);
}

/** Buffers of BIG replies the transports have given back (CallContext.afterSend), in order. */
export const bigReturned: Buffer[] = [];

const voidDecode = () => undefined;
const voidEncode = () => {};

const procedures: ProcedureDef[] = [
  { name: 'NULL', decode: voidDecode, handle: () => undefined, encode: voidEncode },
  {
    name: 'ECHO',
    decode: (r) => r.opaque(ECHO_MAX, 'echo data'),
    handle: (data: Buffer) => data,
    encode: (w, data: Buffer) => void w.opaque(data),
  },
  { name: 'UNION', decode: decodeTestUnion, handle: (u: TestUnion) => u, encode: encodeTestUnion },
  {
    name: 'HYPERS',
    decode: decodeHypers,
    // Reversed so a test sees the server really decoded each field.
    handle: (h: Hypers) => ({ a: h.c, b: h.b, c: h.a }),
    encode: encodeHypers,
  },
  {
    name: 'THROW',
    decode: voidDecode,
    handle: () => {
      throw new Error('test handler failure');
    },
    encode: voidEncode,
  },
  { name: 'REJECT', decode: voidDecode, handle: () => Promise.reject(new Error('test rejection')), encode: voidEncode },
  {
    name: 'SLOW',
    decode: (r) => r.uint32('delay ms'),
    handle: async (ms: number) => {
      await sleep(ms);
      return ms;
    },
    encode: (w, ms: number) => void w.uint32(ms),
  },
  {
    name: 'WHOAMI',
    decode: voidDecode,
    handle: (_args, ctx) => ctx,
    encode: (w, ctx) => {
      w.uint32(ctx.cred.flavor);
      if (ctx.cred.flavor === AuthFlavor.AUTH_SYS) {
        w.uint32(ctx.cred.uid).uint32(ctx.cred.gid).string(ctx.cred.machineName).uint32(ctx.cred.gids.length);
      }
      w.string(ctx.transport).string(ctx.remoteAddress).uint32(ctx.remotePort).uint32(ctx.localPort);
    },
  },
  {
    name: 'BIG',
    decode: (r) => {
      const at = r.pos;
      const n = r.uint32('big size');
      if (n > 4 * 1024 * 1024) throw new XdrDecodeError(at, `big size ${n}`);
      return n;
    },
    // Lent to the reply, as READ does with its pooled buffers: the transport gives it back.
    handle: (n: number, ctx) => {
      const data = Buffer.alloc(n, 0x5a);
      ctx.afterSend?.(() => bigReturned.push(data));
      return data;
    },
    encode: (w, data: Buffer) => void w.opaqueRef(data),
  },
];

function makeProgram(program: number, name: string): RpcProgram {
  return {
    program,
    name,
    versions: new Map([
      [TEST_VERSION_LOW, procedures],
      [TEST_VERSION_HIGH, procedures],
    ]),
  };
}

export const testProgram = makeProgram(TEST_PROGRAM, 'fallthru-test');
export const testProgramSysOnly = makeProgram(TEST_PROGRAM_SYS_ONLY, 'fallthru-test-sys');
