/**
 * Port mapper v2 procedures (RFC 1833 section 3.2). v2 knows only inet TCP and UDP, so it reads
 * and writes the table's "tcp" and "udp" rows and never sees the inet6 ones.
 *
 * CALLIT (5) is left out of the table, so callers get PROC_UNAVAIL: forwarding calls on behalf of
 * anyone who can send a UDP datagram is a reflection/amplification vector, and no NFS client
 * needs it. (rpcbind answers broadcast CALLITs only when the call succeeds; a refusal is more
 * useful to a unicast caller than silence.)
 */

import type { CallContext, ProcedureDef } from '../rpc/types.js';
import { PmapProc, PortmapVersion } from './constants.js';
import { callerMayChangeTable, callerOwner } from './caller.js';
import { ipProtoOfNetid, netidOfIpProto } from './netid.js';
import { decodeMapping, encodePmaplist, type PmapMapping } from './pmap-codec.js';
import { decodeVoid, encodeBool, encodeUint32, NULL_PROCEDURE, type BinderState } from './procedure-kit.js';
import { VersionMatch } from './registry.js';
import { formatUaddr, uaddrPort } from './uaddr.js';

const V2 = PortmapVersion.PMAP_V2;

/** v2 registrations carry no address: the service is reachable on every interface. */
const V2_REGISTERED_HOST = '0.0.0.0';

function set(state: BinderState, m: PmapMapping, ctx: CallContext): boolean {
  const netid = netidOfIpProto(m.prot);
  if (!callerMayChangeTable(ctx)) {
    state.log.log('warn', 'portmap SET refused: caller is not on loopback', { from: ctx.remoteAddress, prog: m.prog });
    return false;
  }
  if (netid === undefined || m.port > 0xffff) return false;
  const added = state.registry.add({
    prog: m.prog,
    vers: m.vers,
    netid,
    uaddr: formatUaddr(V2_REGISTERED_HOST, m.port),
    owner: callerOwner(ctx),
  });
  if (added) state.stats.change(V2, 'set');
  return added;
}

/** RFC 1833 section 3.2: UNSET ignores prot and port and removes the TCP and UDP mappings. */
function unset(state: BinderState, m: PmapMapping, ctx: CallContext): boolean {
  if (!callerMayChangeTable(ctx)) {
    state.log.log('warn', 'portmap UNSET refused: caller is not on loopback', { from: ctx.remoteAddress, prog: m.prog });
    return false;
  }
  const removed = state.registry.remove(m.prog, m.vers, ['tcp', 'udp'], callerOwner(ctx));
  if (removed) state.stats.change(V2, 'unset');
  return removed;
}

/** The port of prog/vers on prot, or 0 when it is not registered. */
function getport(state: BinderState, m: PmapMapping): number {
  const netid = netidOfIpProto(m.prot);
  const reg = netid === undefined ? undefined : state.registry.lookup(m.prog, m.vers, netid, VersionMatch.ANY);
  state.stats.lookup(V2, m.prog, m.vers, netid ?? String(m.prot), reg !== undefined);
  return reg ? uaddrPort(reg.uaddr) : 0;
}

function dump(state: BinderState): PmapMapping[] {
  const out: PmapMapping[] = [];
  for (const r of state.registry.list()) {
    const prot = ipProtoOfNetid(r.netid);
    if (prot !== undefined) out.push({ prog: r.prog, vers: r.vers, prot, port: uaddrPort(r.uaddr) });
  }
  return out;
}

/** The v2 table, indexed by PmapProc. */
export function pmapV2Procedures(state: BinderState): Array<ProcedureDef | undefined> {
  const table: Array<ProcedureDef | undefined> = [];
  table[PmapProc.NULL] = NULL_PROCEDURE;
  table[PmapProc.SET] = {
    name: 'SET',
    decode: decodeMapping,
    handle: (m: PmapMapping, ctx) => set(state, m, ctx),
    encode: encodeBool,
  } satisfies ProcedureDef<PmapMapping, boolean>;
  table[PmapProc.UNSET] = {
    name: 'UNSET',
    decode: decodeMapping,
    handle: (m: PmapMapping, ctx) => unset(state, m, ctx),
    encode: encodeBool,
  } satisfies ProcedureDef<PmapMapping, boolean>;
  table[PmapProc.GETPORT] = {
    name: 'GETPORT',
    decode: decodeMapping,
    handle: (m: PmapMapping) => getport(state, m),
    encode: encodeUint32,
  } satisfies ProcedureDef<PmapMapping, number>;
  table[PmapProc.DUMP] = {
    name: 'DUMP',
    decode: decodeVoid,
    handle: () => dump(state),
    encode: encodePmaplist,
  } satisfies ProcedureDef<void, PmapMapping[]>;
  return table;
}
