/**
 * Universal addresses (RFC 1833 section 2.1, "uaddr"): the transport-independent text form of
 * an endpoint that rpcbind v3/v4 trades instead of v2's bare port numbers.
 *
 *   inet:  h1.h2.h3.h4.p1.p2      127.0.0.1.0.111   = 127.0.0.1 port 111
 *   inet6: <ipv6 text>.p1.p2      ::1.8.1           = [::1] port 2049
 *
 * p1 and p2 are the high and low bytes of the port in decimal. Since an IPv6 text address may end
 * in a dotted IPv4 part (::ffff:10.0.0.1), the port is always the LAST two dot-separated fields.
 */

import { isIPv4, isIPv6 } from 'node:net';

export type AddressFamily = 4 | 6;

export interface SocketAddress {
  host: string;
  port: number;
  family: AddressFamily;
}

/**
 * Text form of host:port. Fails with RangeError when `host` is not an IP literal or `port` is
 * not 0-65535 (hostnames are not addresses: resolve them first).
 */
export function formatUaddr(host: string, port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(`port out of range: ${port}`);
  }
  if (!isIPv4(host) && !isIPv6(host)) throw new RangeError(`not an IP address: ${host}`);
  return `${host}.${port >> 8}.${port & 0xff}`;
}

const PORT_BYTE = /^(?:0|[1-9][0-9]{0,2})$/;

/** Parse a universal address; undefined when it is not a well-formed inet or inet6 uaddr. */
export function parseUaddr(uaddr: string): SocketAddress | undefined {
  const lo = uaddr.lastIndexOf('.');
  const hi = lo > 0 ? uaddr.lastIndexOf('.', lo - 1) : -1;
  if (hi <= 0) return undefined;
  const p1 = uaddr.slice(hi + 1, lo);
  const p2 = uaddr.slice(lo + 1);
  if (!PORT_BYTE.test(p1) || !PORT_BYTE.test(p2)) return undefined;
  const high = Number(p1);
  const low = Number(p2);
  if (high > 255 || low > 255) return undefined;
  const host = uaddr.slice(0, hi);
  const family = isIPv4(host) ? 4 : isIPv6(host) ? 6 : undefined;
  if (family === undefined) return undefined;
  return { host, port: (high << 8) | low, family };
}

/** Port of a universal address; 0 (v2's "not registered") when it does not parse. */
export function uaddrPort(uaddr: string): number {
  return parseUaddr(uaddr)?.port ?? 0;
}

const V4_MAPPED_PREFIX = '::ffff:';

/**
 * Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; this returns the plain
 * IPv4 text for those and the input otherwise.
 */
export function unmapIpv4(address: string): string {
  if (address.toLowerCase().startsWith(V4_MAPPED_PREFIX)) {
    const v4 = address.slice(V4_MAPPED_PREFIX.length);
    if (isIPv4(v4)) return v4;
  }
  return address;
}

/** Family of a socket address as the peer really uses it (a v4-mapped peer is IPv4). */
export function familyOfAddress(address: string): AddressFamily {
  return isIPv4(unmapIpv4(address)) ? 4 : 6;
}

/**
 * True for 127.0.0.0/8 and ::1 (and their v4-mapped forms). rpcbind accepts SET and UNSET only
 * from these: anyone who can reach port 111 could otherwise redirect clients to their own port.
 */
export function isLoopbackAddress(address: string): boolean {
  const plain = unmapIpv4(address);
  if (isIPv4(plain)) return plain.startsWith('127.');
  return isIPv6(plain) && expandIpv6(plain) === '0000:0000:0000:0000:0000:0000:0000:0001';
}

/** True for the "any address" hosts a service binds to when it listens on every interface. */
export function isWildcardHost(host: string): boolean {
  if (isIPv4(host)) return host === '0.0.0.0';
  return isIPv6(host) && /^[0:]+$/.test(expandIpv6(host));
}

/**
 * The address a caller should use for a registration. A service bound to the wildcard address
 * registers 0.0.0.0 (or ::), which means nothing to a remote client; like rpcbind's "merged
 * address" we substitute the local address the question arrived on, when it has the same family
 * (RFC 1833 section 2.2.1: GETADDR answers for the caller's transport). Otherwise unchanged.
 */
export function mergeUaddr(uaddr: string, localAddress: string | undefined): string {
  if (localAddress === undefined) return uaddr;
  const parsed = parseUaddr(uaddr);
  if (!parsed || !isWildcardHost(parsed.host)) return uaddr;
  const local = unmapIpv4(localAddress);
  if (familyOfAddress(local) !== parsed.family || isWildcardHost(local)) return uaddr;
  return formatUaddr(local, parsed.port);
}

/** Eight zero-padded groups, lower case, so textual variants of one IPv6 address compare equal. */
export function expandIpv6(address: string): string {
  let text = address.toLowerCase();
  // A trailing dotted IPv4 part stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = rest === undefined ? [] : rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : new Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((g) => g.padStart(4, '0')).join(':');
}
