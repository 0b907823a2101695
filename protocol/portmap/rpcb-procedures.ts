/**
 * rpcbind v3 and v4 procedures (RFC 1833 sections 2.2.1 and 2.2.2). v4 is v3 plus GETVERSADDR,
 * GETADDRLIST and GETSTAT; both share one handler per procedure.
 *
 * Left out of the tables, so callers get PROC_UNAVAIL:
 *   - CALLIT/BCAST (5) and INDIRECT (10): we do not forward calls (see pmap-procedures.ts);
 *   - UADDR2TADDR (7) and TADDR2UADDR (8): a taddr is a machine-dependent sockaddr, meaningful
 *     only to the C library on the binder's own host; clients convert universal addresses
 *     themselves.
 */

import type { CallContext, ProcedureDef } from '../rpc/types.js';
import type { XdrWriter } from '../xdr/index.js';
import { RpcbProc } from './constants.js';
import { addressForCaller, callerMayChangeTable, callerNetid, callerOwner } from './caller.js';
import { isNetid, netconfigOf, netidFamily } from './netid.js';
import { decodeVoid, encodeBool, encodeString, encodeUint32, NULL_PROCEDURE, type BinderState } from './procedure-kit.js';
import { decodeRpcb, encodeRpcbEntryList, encodeRpList, type Rpcb, type RpcbEntry } from './rpcb-codec.js';
import { encodeRpcbStatByVers, type RpcbStat } from './rpcb-stat-codec.js';
import { VersionMatch } from './registry.js';
import { familyOfAddress, parseUaddr } from './uaddr.js';

/** SET: refused unless from loopback, for a known netid, with an address of that netid's family. */
function set(state: BinderState, vers: number, b: Rpcb, ctx: CallContext): boolean {
  if (!callerMayChangeTable(ctx)) {
    state.log.log('warn', 'rpcbind SET refused: caller is not on loopback', { from: ctx.remoteAddress, prog: b.prog });
    return false;
  }
  if (!isNetid(b.netid) || parseUaddr(b.uaddr)?.family !== netidFamily(b.netid)) return false;
  const added = state.registry.add({ prog: b.prog, vers: b.vers, netid: b.netid, uaddr: b.uaddr, owner: callerOwner(ctx) });
  if (added) state.stats.change(vers, 'set');
  return added;
}

/** UNSET: an empty r_netid removes prog/vers on every transport; r_addr is ignored. */
function unset(state: BinderState, vers: number, b: Rpcb, ctx: CallContext): boolean {
  if (!callerMayChangeTable(ctx)) {
    state.log.log('warn', 'rpcbind UNSET refused: caller is not on loopback', { from: ctx.remoteAddress, prog: b.prog });
    return false;
  }
  const removed = state.registry.remove(b.prog, b.vers, b.netid === '' ? undefined : [b.netid], callerOwner(ctx));
  if (removed) state.stats.change(vers, 'unset');
  return removed;
}

/**
 * GETADDR/GETVERSADDR: the address of prog/vers on the caller's own transport, or "" when it is
 * not registered. As RFC 1833 says, r_netid is ignored in favour of the transport the question
 * came over: a client asks over the transport it means to use.
 */
function getaddr(state: BinderState, vers: number, b: Rpcb, ctx: CallContext, match: VersionMatch): string {
  const netid = callerNetid(ctx);
  const reg = state.registry.lookup(b.prog, b.vers, netid, match);
  state.stats.lookup(vers, b.prog, b.vers, netid, reg !== undefined);
  return reg ? addressForCaller(reg, ctx) : '';
}

/** GETADDRLIST: every address of exactly prog/vers in the caller's address family. */
function getaddrlist(state: BinderState, vers: number, b: Rpcb, ctx: CallContext): RpcbEntry[] {
  const family = familyOfAddress(ctx.remoteAddress);
  const entries = state.registry
    .versionRows(b.prog, b.vers)
    .filter((r) => netidFamily(r.netid) === family)
    .map((r) => {
      const nc = netconfigOf(r.netid);
      return { maddr: addressForCaller(r, ctx), netid: r.netid, semantics: nc.semantics, protofmly: nc.protofmly, proto: nc.proto };
    });
  state.stats.lookup(vers, b.prog, b.vers, callerNetid(ctx), entries.length > 0);
  return entries;
}

function dump(state: BinderState): Rpcb[] {
  return state.registry.list().map((r) => ({ prog: r.prog, vers: r.vers, netid: r.netid, uaddr: r.uaddr, owner: r.owner }));
}

/** GETTIME: seconds since 1970, as an XDR unsigned int. */
function gettime(): number {
  return Math.floor(Date.now() / 1000) >>> 0;
}

/** The v3 table (vers = 3) or the v4 table (vers = 4), indexed by RpcbProc. */
export function rpcbProcedures(state: BinderState, vers: 3 | 4): Array<ProcedureDef | undefined> {
  // Every procedure but NULL, DUMP, GETTIME and GETSTAT takes an rpcb.
  const rpcbProc = <R>(name: string, handle: (b: Rpcb, ctx: CallContext) => R, encode: (w: XdrWriter, v: R) => void) =>
    ({ name, decode: decodeRpcb, handle, encode }) satisfies ProcedureDef<Rpcb, R>;
  const table: Array<ProcedureDef | undefined> = [];
  table[RpcbProc.NULL] = NULL_PROCEDURE;
  table[RpcbProc.SET] = rpcbProc('SET', (b, ctx) => set(state, vers, b, ctx), encodeBool);
  table[RpcbProc.UNSET] = rpcbProc('UNSET', (b, ctx) => unset(state, vers, b, ctx), encodeBool);
  table[RpcbProc.GETADDR] = rpcbProc('GETADDR', (b, ctx) => getaddr(state, vers, b, ctx, VersionMatch.ANY), encodeString);
  table[RpcbProc.DUMP] = { name: 'DUMP', decode: decodeVoid, handle: () => dump(state), encode: encodeRpList };
  table[RpcbProc.GETTIME] = { name: 'GETTIME', decode: decodeVoid, handle: gettime, encode: encodeUint32 };
  if (vers === 4) {
    table[RpcbProc.GETVERSADDR] = rpcbProc('GETVERSADDR', (b, ctx) => getaddr(state, vers, b, ctx, VersionMatch.EXACT), encodeString);
    table[RpcbProc.GETADDRLIST] = rpcbProc('GETADDRLIST', (b, ctx) => getaddrlist(state, vers, b, ctx), encodeRpcbEntryList);
    table[RpcbProc.GETSTAT] = {
      name: 'GETSTAT',
      decode: decodeVoid,
      handle: (): RpcbStat[] => state.stats.snapshot(),
      encode: encodeRpcbStatByVers,
    };
  }
  return table;
}
