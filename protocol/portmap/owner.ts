/**
 * Registration owners. rpcbind records who made each mapping and lets a caller unset only its
 * own mappings unless it is "superuser" (RFC 1833 section 2.1, r_owner). The owner is derived
 * from the caller, never taken from the r_owner argument, so one local user cannot claim to be
 * another by writing a different string.
 *
 * rpcbind learns the uid from a local socket; over TCP/UDP from loopback we only have the
 * AUTH_SYS credential, which any local process can forge: loopback-only SET/UNSET is the real
 * protection, the owner rule only keeps well-behaved programs from removing each other's entries.
 */

import { AuthFlavor, type Credentials } from '../rpc/types.js';
import { OWNER_SUPERUSER, OWNER_UNKNOWN } from './constants.js';

function ownerOfUid(uid: number): string {
  return uid === 0 ? OWNER_SUPERUSER : String(uid);
}

/** Owner string for a call's credentials: "superuser", a decimal uid, or "unknown" (AUTH_NONE). */
export function ownerOfCaller(cred: Credentials): string {
  return cred.flavor === AuthFlavor.AUTH_SYS ? ownerOfUid(cred.uid) : OWNER_UNKNOWN;
}

/** Owner string for registrations this process makes for its own services. */
export function processOwner(): string {
  return typeof process.getuid === 'function' ? ownerOfUid(process.getuid()) : OWNER_UNKNOWN;
}

/** May `caller` remove a mapping owned by `owner`? */
export function mayUnset(caller: string, owner: string): boolean {
  return caller === OWNER_SUPERUSER || caller === owner;
}
