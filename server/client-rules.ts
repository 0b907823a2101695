/**
 * Client allow-lists: which hosts may mount and use an export (`--allow`, or an export's "allow"
 * in a config file). An entry is one address ("192.168.1.7" = /32, "::1" = /128) or a CIDR network
 * ("10.0.0.0/8", "fd00::/8"); host bits are masked off as exports(5) does ("10.1.2.3/8" is
 * 10.0.0.0/8). Matching is node's net.BlockList.
 *
 * IPv4-mapped IPv6: a dual-stack socket reports an IPv4 client as "::ffff:10.0.2.15". A rule
 * written that way is stored as the IPv4 network it names ("::ffff:10.0.0.0/104" → 10.0.0.0/8),
 * and BlockList matches a mapped remote address against IPv4 rules, so either spelling on either
 * side matches. An IPv6 network matches an IPv4 client only when it contains the client's mapped
 * form: "::/0" is every client, "fd00::/8" no IPv4 one.
 */

import { BlockList, isIP, SocketAddress } from 'node:net';
import { expandIpv6 } from '../protocol/portmap/index.js';
import type { ClientRule } from './config.js';

/** An allow-list entry that is not an address or network; the message quotes the entry. */
export class ClientRuleError extends Error {
  override name = 'ClientRuleError';
}

const EXAMPLES = 'e.g. 10.0.0.0/8, 192.168.1.7, fd00::/8';

function ipv4ToBigInt(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);
}

function formatAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => (value >> shift) & 0xffn).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  // SocketAddress prints the canonical (RFC 5952) form: lower case, longest zero run as "::".
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/**
 * Parse one allow-list entry. Throws ClientRuleError for anything but an IPv4/IPv6 address with
 * an optional /prefix in range: host names, wildcards, netgroups and zone indexes (fe80::1%eth0)
 * are refused.
 */
export function parseClientRule(spec: string): ClientRule {
  const text = spec.trim();
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (addressText.includes('%')) throw new ClientRuleError(`${JSON.stringify(spec)}: zone indexes (%...) are not supported`);
  const family = isIP(addressText);
  if (family !== 4 && family !== 6) {
    throw new ClientRuleError(`${JSON.stringify(spec)} is not an IP address or CIDR network (${EXAMPLES})`);
  }
  const bits = family === 4 ? 32 : 128;
  let prefixLength = bits;
  if (prefixText !== undefined) {
    prefixLength = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefixLength <= bits)) {
      throw new ClientRuleError(`${JSON.stringify(spec)}: /${prefixText} is not an IPv${family} prefix length (0-${bits})`);
    }
  }
  const hostBits = BigInt(bits - prefixLength);
  const value = family === 4 ? ipv4ToBigInt(addressText) : BigInt('0x' + expandIpv6(addressText).replaceAll(':', ''));
  const network = (value >> hostBits) << hostBits;
  if (family === 6 && prefixLength >= 96 && network >> 32n === 0xffffn) {
    return { spec, address: formatAddress(network & 0xffff_ffffn, 4), prefixLength: prefixLength - 96 };
  }
  return { spec, address: formatAddress(network, family), prefixLength };
}

/** BlockLists already built, per rules array (rules are treated as immutable once in use). */
const compiled = new WeakMap<readonly ClientRule[], BlockList>();

function blockListOf(rules: readonly ClientRule[]): BlockList {
  let list = compiled.get(rules);
  if (!list) {
    list = new BlockList();
    for (const r of rules) list.addSubnet(r.address, r.prefixLength, isIP(r.address) === 4 ? 'ipv4' : 'ipv6');
    compiled.set(rules, list);
  }
  return list;
}

/**
 * Whether a client at `remoteAddress` (as a socket reports it: "10.0.2.15", "::ffff:10.0.2.15",
 * "fe80::1%eth0") may use an export with these rules. No rules = every client. An address that is
 * missing or unparsable (a socket already closed) is refused when there are rules. Never throws.
 */
export function clientAllowed(rules: readonly ClientRule[], remoteAddress: string | undefined): boolean {
  if (rules.length === 0) return true;
  // A link-local client's zone says which interface it came in on; the rules are about the address.
  const address = (remoteAddress ?? '').replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 0) return false;
  return blockListOf(rules).check(address, family === 4 ? 'ipv4' : 'ipv6');
}
