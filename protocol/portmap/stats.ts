/**
 * Counters behind rpcbind v4 GETSTAT (RFC 1833 section 2.1, rpcb_stat_byvers): calls per
 * procedure per binder version, successful SETs and UNSETs, and address look-ups per
 * (prog, vers, netid). Remote-call statistics stay empty because CALLIT is never forwarded.
 */

import { PortmapVersion, RPCBSTAT_HIGHPROC } from './constants.js';
import type { RpcbStat, RpcbsAddr } from './rpcb-stat-codec.js';

interface VersionCounters {
  info: number[];
  setinfo: number;
  unsetinfo: number;
  addrinfo: Map<string, RpcbsAddr>;
}

const STAT_VERSIONS = [PortmapVersion.PMAP_V2, PortmapVersion.RPCB_V3, PortmapVersion.RPCB_V4] as const;

/** XDR ints are signed 32-bit: counters wrap like rpcbind's C ints instead of failing to encode. */
function bump(n: number): number {
  return (n + 1) | 0;
}

export class PortmapStats {
  private readonly byVersion = new Map<number, VersionCounters>(
    STAT_VERSIONS.map((v) => [v, { info: new Array<number>(RPCBSTAT_HIGHPROC).fill(0), setinfo: 0, unsetinfo: 0, addrinfo: new Map() }]),
  );

  /** Count one call of `proc` on binder version `vers` (unknown procedures are not counted). */
  call(vers: number, proc: number): void {
    const c = this.byVersion.get(vers);
    if (c && proc < RPCBSTAT_HIGHPROC) c.info[proc] = bump(c.info[proc]);
  }

  /** Count a SET or UNSET that changed the table. */
  change(vers: number, kind: 'set' | 'unset'): void {
    const c = this.byVersion.get(vers);
    if (!c) return;
    if (kind === 'set') c.setinfo = bump(c.setinfo);
    else c.unsetinfo = bump(c.unsetinfo);
  }

  /** Count a GETPORT/GETADDR/GETVERSADDR answer: found or not. */
  lookup(vers: number, prog: number, progVers: number, netid: string, found: boolean): void {
    const c = this.byVersion.get(vers);
    if (!c) return;
    const key = `${prog}/${progVers}/${netid}`;
    let a = c.addrinfo.get(key);
    if (!a) c.addrinfo.set(key, (a = { prog, vers: progVers, success: 0, failure: 0, netid }));
    if (found) a.success = bump(a.success);
    else a.failure = bump(a.failure);
  }

  /** Snapshot in rpcb_stat_byvers order (v2, v3, v4). */
  snapshot(): RpcbStat[] {
    return STAT_VERSIONS.map((v) => {
      const c = this.byVersion.get(v)!;
      return {
        info: [...c.info],
        setinfo: c.setinfo,
        unsetinfo: c.unsetinfo,
        addrinfo: [...c.addrinfo.values()].map((a) => ({ ...a })),
        rmtinfo: [],
      };
    });
  }
}
