/**
 * The mapping table: which (program, version, netid) is reachable at which universal address,
 * and who registered it. One table answers all three binder versions: v2 sees the inet tcp/udp
 * rows as (prot, port) pairs, v3/v4 see every row as an rpcb.
 *
 * Two ways in:
 *   - the wire (SET/UNSET from loopback callers): `add` refuses to overwrite an existing
 *     (prog, vers, netid) and `remove` honours owners, as RFC 1833 and rpcbind do;
 *   - our own services in this process: `set`/`unset` with a plain { prog, vers, protocol, port },
 *     which replace whatever was there (the process that owns port 111 is authoritative).
 */

import { isIPv6 } from 'node:net';
import type { Netid } from './constants.js';
import { isNetid, netidOf, type TransportProtocol } from './netid.js';
import { mayUnset, processOwner } from './owner.js';
import { formatUaddr } from './uaddr.js';

/** One row of the table (the fields of an rpcb). */
export interface Registration {
  prog: number;
  vers: number;
  netid: Netid;
  uaddr: string;
  owner: string;
}

/** What one of our services tells the registry: "prog/vers answers on this port". */
export interface ServiceMapping {
  prog: number;
  vers: number;
  protocol: TransportProtocol;
  port: number;
  /**
   * The address the service listens on; default 0.0.0.0. "::" registers both the inet and the
   * inet6 netid, because a Node socket bound to :: also accepts IPv4 peers.
   */
  host?: string;
}

/** How `lookup` treats the version (RFC 1833 section 2.2). */
export const enum VersionMatch {
  /** GETADDR/GETPORT: fall back to any version of the program, so the client learns the supported
   *  range from the service's own PROG_MISMATCH reply. */
  ANY = 0,
  /** v4 GETVERSADDR: only the exact version. */
  EXACT = 1,
}

/** The registrations one ServiceMapping stands for (one, or two for a dual-stack "::"). */
export function registrationsOf(m: ServiceMapping, owner: string): Registration[] {
  const host = m.host ?? '0.0.0.0';
  const row = (netid: Netid, h: string): Registration => ({
    prog: m.prog,
    vers: m.vers,
    netid,
    uaddr: formatUaddr(h, m.port),
    owner,
  });
  if (host === '::') return [row(netidOf(m.protocol, 4), '0.0.0.0'), row(netidOf(m.protocol, 6), '::')];
  return [row(netidOf(m.protocol, isIPv6(host) ? 6 : 4), host)];
}

export class PortmapRegistry {
  /** Rows in registration order (DUMP lists them in this order, like rpcbind). */
  private rows: Registration[] = [];

  constructor(private readonly ownOwner: string = processOwner()) {}

  /** Every registration, oldest first. */
  list(): readonly Registration[] {
    return this.rows;
  }

  /**
   * Wire SET: add one row. False when `netid` is unknown or (prog, vers, netid) is already
   * registered (RFC 1833: SET does not replace; the caller must UNSET first).
   */
  add(reg: Omit<Registration, 'netid'> & { netid: string }): boolean {
    if (!isNetid(reg.netid)) return false;
    if (this.find(reg.prog, reg.vers, reg.netid)) return false;
    this.rows.push({ prog: reg.prog, vers: reg.vers, netid: reg.netid, uaddr: reg.uaddr, owner: reg.owner });
    return true;
  }

  /**
   * Wire UNSET: remove the rows of (prog, vers) on `netids` (every netid when undefined) that
   * `caller` may remove. True when at least one row went; false when none matched or the caller
   * owns none of them (in which case nothing is removed).
   */
  remove(prog: number, vers: number, netids: readonly string[] | undefined, caller: string): boolean {
    const matches = (r: Registration) =>
      r.prog === prog && r.vers === vers && (netids === undefined || netids.includes(r.netid));
    const targets = this.rows.filter(matches);
    if (targets.length === 0 || !targets.every((r) => mayUnset(caller, r.owner))) return false;
    this.rows = this.rows.filter((r) => !matches(r));
    return true;
  }

  /** In-process registration for our own services: replaces existing rows of the same netid. */
  set(mapping: ServiceMapping): void {
    for (const reg of registrationsOf(mapping, this.ownOwner)) {
      this.rows = this.rows.filter((r) => !(r.prog === reg.prog && r.vers === reg.vers && r.netid === reg.netid));
      this.rows.push(reg);
    }
  }

  /** In-process removal of what `set(mapping)` added (the port is ignored). */
  unset(mapping: ServiceMapping): void {
    const netids = registrationsOf(mapping, this.ownOwner).map((r) => r.netid);
    this.rows = this.rows.filter((r) => !(r.prog === mapping.prog && r.vers === mapping.vers && netids.includes(r.netid)));
  }

  /**
   * The row answering "where is prog/vers on netid?". With VersionMatch.ANY and no exact
   * version, the most recently registered other version of the program on that netid.
   */
  lookup(prog: number, vers: number, netid: string, match: VersionMatch): Registration | undefined {
    const exact = this.find(prog, vers, netid);
    if (exact || match === VersionMatch.EXACT) return exact;
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const r = this.rows[i];
      if (r.prog === prog && r.netid === netid) return r;
    }
    return undefined;
  }

  /** Every row of exactly (prog, vers), oldest first. */
  versionRows(prog: number, vers: number): Registration[] {
    return this.rows.filter((r) => r.prog === prog && r.vers === vers);
  }

  private find(prog: number, vers: number, netid: string): Registration | undefined {
    return this.rows.find((r) => r.prog === prog && r.vers === vers && r.netid === netid);
  }
}
