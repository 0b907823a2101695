/**
 * XDR linked lists. RFC 1833 spells every list reply (pmaplist, rp__list, rpcb_entry_list,
 * rpcbs_addrlist, rpcbs_rmtcalllist) as an optional pointer to a node holding one item and the
 * next pointer: on the wire that is `TRUE item TRUE item ... FALSE`, which these two helpers
 * write and read iteratively (no recursion, however long the list).
 */

import type { XdrReader, XdrWriter } from '../xdr/index.js';
import { XdrDecodeError } from '../xdr/index.js';

export function encodeXdrList<T>(w: XdrWriter, items: Iterable<T>, encodeItem: (w: XdrWriter, item: T) => void): void {
  for (const item of items) {
    w.bool(true);
    encodeItem(w, item);
  }
  w.bool(false);
}

/** Fails with XdrDecodeError on a malformed item or when the list exceeds `max` entries. */
export function decodeXdrList<T>(r: XdrReader, max: number, decodeItem: (r: XdrReader) => T, what: string): T[] {
  const items: T[] = [];
  while (r.bool(`${what} next`)) {
    if (items.length === max) throw new XdrDecodeError(r.pos, `${what}: more than ${max} entries`);
    items.push(decodeItem(r));
  }
  return items;
}
