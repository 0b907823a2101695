/**
 * Port mapper v2 and rpcbind v3/v4 (RFC 1833), program 100000: table of contents.
 *
 * - constants.ts        program, port, versions, procedure numbers (const enums), limits
 * - uaddr.ts            universal addresses (h1.h2.h3.h4.p1.p2, ipv6.p1.p2): format, parse, merge;
 *                       loopback and wildcard tests
 * - netid.ts            netids (tcp, udp, tcp6, udp6) vs v2 IP protocols, families, netconfig
 * - xdr-list.ts         the XDR linked-list shape every RFC 1833 list reply uses
 * - pmap-codec.ts       v2 types: mapping, pmaplist, call_args, call_result
 * - rpcb-codec.ts       v3/v4 types: rpcb, rp__list, rpcb_rmtcallres, netbuf, rpcb_entry(_list)
 * - rpcb-stat-codec.ts  v4 GETSTAT: rpcb_stat_byvers
 * - owner.ts            registration owners and who may unset what
 * - registry.ts         the mapping table (wire SET/UNSET semantics + in-process set/unset)
 * - stats.ts            GETSTAT counters
 * - caller.ts           per-call facts: caller's netid, loopback check, owner, merged address
 * - procedure-kit.ts    void codec, scalar encoders, NULL, shared handler state
 * - pmap-procedures.ts  the v2 procedure table
 * - rpcb-procedures.ts  the v3 and v4 procedure tables
 * - program.ts          program 100000 as one RpcProgram
 * - system-rpcbind.ts   registering with the host's rpcbind (system mode), probing for it
 * - start.ts            startPortmap: builtin / system / auto
 */
export * from './constants.js';
export { formatUaddr, parseUaddr, uaddrPort, mergeUaddr, isLoopbackAddress, isWildcardHost, unmapIpv4, expandIpv6, type SocketAddress, type AddressFamily } from './uaddr.js';
export { isNetid, netidOf, netidOfCall, netidProtocol, netidFamily, ipProtoOfNetid, netidOfIpProto, netconfigOf, type TransportProtocol } from './netid.js';
export * from './pmap-codec.js';
export * from './rpcb-codec.js';
export * from './rpcb-stat-codec.js';
export { ownerOfCaller, processOwner, mayUnset } from './owner.js';
export { PortmapRegistry, VersionMatch, registrationsOf, type Registration, type ServiceMapping } from './registry.js';
export { PortmapStats } from './stats.js';
export { createPortmapProgram, type PortmapProgram, type PortmapProgramOptions } from './program.js';
export { SystemRpcbind, RpcbindRegistrationError, probeRpcbind, type SystemRpcbindOptions } from './system-rpcbind.js';
export { startPortmap, type PortmapMode, type StartPortmapOptions, type RunningPortmap } from './start.js';
