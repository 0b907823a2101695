/**
 * Netids (the netconfig names rpcbind v3/v4 uses for transports) and how they relate to v2's IP
 * protocol numbers, address families and the transport a call arrived on.
 *
 *   netid  protocol  family  v2 prot  nc_semantics
 *   tcp    tcp       inet    6        COTS_ORD
 *   udp    udp       inet    17       CLTS
 *   tcp6   tcp       inet6   -        COTS_ORD
 *   udp6   udp       inet6   -        CLTS
 *
 * v2 (RFC 1833 section 3) predates IPv6: its prot field can only name the inet netids.
 */

import { IpProto, NcSemantics, NETIDS, type Netid } from './constants.js';
import { familyOfAddress, type AddressFamily } from './uaddr.js';

export type TransportProtocol = 'tcp' | 'udp';

export function isNetid(value: string): value is Netid {
  return (NETIDS as readonly string[]).includes(value);
}

export function netidOf(protocol: TransportProtocol, family: AddressFamily): Netid {
  return family === 4 ? protocol : protocol === 'tcp' ? 'tcp6' : 'udp6';
}

export function netidProtocol(netid: Netid): TransportProtocol {
  return netid === 'tcp' || netid === 'tcp6' ? 'tcp' : 'udp';
}

export function netidFamily(netid: Netid): AddressFamily {
  return netid === 'tcp' || netid === 'udp' ? 4 : 6;
}

/** The netid of the transport a call came in on (a v4-mapped peer on a dual-stack socket is inet). */
export function netidOfCall(transport: TransportProtocol, remoteAddress: string): Netid {
  return netidOf(transport, familyOfAddress(remoteAddress));
}

/** v2 prot for an inet netid; undefined for inet6 netids, which v2 cannot express. */
export function ipProtoOfNetid(netid: Netid): IpProto | undefined {
  if (netid === 'tcp') return IpProto.TCP;
  if (netid === 'udp') return IpProto.UDP;
  return undefined;
}

/** inet netid for a v2 prot; undefined for protocols other than TCP and UDP. */
export function netidOfIpProto(prot: number): Netid | undefined {
  if (prot === IpProto.TCP) return 'tcp';
  if (prot === IpProto.UDP) return 'udp';
  return undefined;
}

/** What rpcb_entry reports about a netid (RFC 1833 section 2.1, GETADDRLIST). */
export interface NetconfigInfo {
  semantics: NcSemantics;
  protofmly: 'inet' | 'inet6';
  proto: TransportProtocol;
}

export function netconfigOf(netid: Netid): NetconfigInfo {
  const proto = netidProtocol(netid);
  return {
    semantics: proto === 'tcp' ? NcSemantics.NC_TPI_COTS_ORD : NcSemantics.NC_TPI_CLTS,
    protofmly: netidFamily(netid) === 4 ? 'inet' : 'inet6',
    proto,
  };
}
