/**
 * What the binder needs to know about the caller of one call: which transport (netid) it came
 * over, whether it may change the table, who owns what it registers, and which address to hand
 * back for a wildcard registration.
 */

import type { CallContext } from '../rpc/types.js';
import type { Netid } from './constants.js';
import { netidOfCall } from './netid.js';
import { ownerOfCaller } from './owner.js';
import type { Registration } from './registry.js';
import { isLoopbackAddress, mergeUaddr } from './uaddr.js';

/** The netid of the transport the call arrived on (RFC 1833 section 2.2.1: GETADDR answers for it). */
export function callerNetid(ctx: CallContext): Netid {
  return netidOfCall(ctx.transport, ctx.remoteAddress);
}

/** SET and UNSET are honoured only from loopback callers (see isLoopbackAddress). */
export function callerMayChangeTable(ctx: CallContext): boolean {
  return isLoopbackAddress(ctx.remoteAddress);
}

export function callerOwner(ctx: CallContext): string {
  return ownerOfCaller(ctx.cred);
}

/** The universal address to answer with for `reg`, merged with the local address of the call. */
export function addressForCaller(reg: Registration, ctx: CallContext): string {
  return mergeUaddr(reg.uaddr, ctx.localAddress);
}
