// Interim version; replaced by the cli-deploy branch's parser + matcher.
import { BlockList, isIPv4 } from 'node:net';
import type { ClientRule } from './config.js';

export function clientAllowed(rules: readonly ClientRule[], remoteAddress: string): boolean {
  if (rules.length === 0) return true;
  const list = new BlockList();
  for (const r of rules) list.addSubnet(r.address, r.prefixLength, isIPv4(r.address) ? 'ipv4' : 'ipv6');
  const addr = remoteAddress.startsWith('::ffff:') && isIPv4(remoteAddress.slice(7)) ? remoteAddress.slice(7) : remoteAddress;
  return list.check(addr, isIPv4(addr) ? 'ipv4' : 'ipv6');
}
