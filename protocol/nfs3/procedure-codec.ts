/**
 * The codec half of one RPC procedure, as a program module publishes it: both directions of both
 * sides, so the server (decodeArgs/encodeRes), our test client, tools and benchmarks
 * (encodeArgs/decodeRes) all use the same functions. The server turns one into a ProcedureDef by
 * adding its handler with `procedureDef`.
 */

import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import type { CallContext, ProcedureDef } from '../rpc/types.js';

export interface ProcedureCodec<A, R> {
  /** RFC name, e.g. "GETATTR". */
  name: string;
  decodeArgs(r: XdrReader): A;
  encodeArgs(w: XdrWriter, args: A): void;
  encodeRes(w: XdrWriter, res: R): void;
  decodeRes(r: XdrReader): R;
  /** Changes the exported file system (refused on read-only exports). */
  mutates: boolean;
  /** Not idempotent: a retransmit must be answered from the duplicate request cache. */
  cacheReply: boolean;
}

/** A void argument or result: nothing on the wire. */
export function decodeNothing(_r: XdrReader): void {}
export function encodeNothing(_w: XdrWriter, _v: void): void {}

/** Join a procedure's codec with its handler into the dispatcher's ProcedureDef. */
export function procedureDef<A, R>(
  codec: ProcedureCodec<A, R>,
  handle: (args: A, ctx: CallContext) => R | Promise<R>,
): ProcedureDef<A, R> {
  return {
    name: codec.name,
    decode: codec.decodeArgs,
    handle,
    encode: codec.encodeRes,
    cacheReply: codec.cacheReply,
    mutates: codec.mutates,
  };
}
