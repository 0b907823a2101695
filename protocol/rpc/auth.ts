/**
 * Authentication fields of RPC messages (RFC 5531 §8–§10): the opaque_auth container and the
 * AUTH_SYS credential body, plus the server's decision of what a credential means.
 *
 * Per-flavor policy of `credentialsFromAuth` (the RFC leaves unsupported flavors to the server):
 *
 * | credential flavor     | outcome                                                          |
 * |-----------------------|------------------------------------------------------------------|
 * | AUTH_NONE             | accepted; the body is ignored (§10.1: "undefined", length 0 advised) |
 * | AUTH_SYS              | accepted when the body decodes exactly; otherwise AUTH_BADCRED   |
 * | AUTH_SHORT            | AUTH_REJECTEDCRED: we never hand out shorthand verifiers, and    |
 * |                       | REJECTEDCRED tells the client to resend its full AUTH_SYS (§10.2) |
 * | AUTH_DH, RPCSEC_GSS, any other | AUTH_BADCRED (not supported)                            |
 *
 * The call verifier must be AUTH_NONE (the only verifier AUTH_NONE and AUTH_SYS callers send);
 * anything else is AUTH_BADVERF.
 */

import { XdrDecodeError, XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import {
  AuthFlavor,
  AuthStat,
  MAX_AUTH_BYTES,
  MAX_AUTH_SYS_GIDS,
  MAX_MACHINE_NAME,
  type Credentials,
} from './types.js';

/** opaque_auth: a flavor and up to 400 bytes whose meaning depends on the flavor. */
export interface OpaqueAuth {
  flavor: number;
  /** A view of the message bytes. */
  body: Buffer;
}

export type AuthSysCredentials = Extract<Credentials, { flavor: AuthFlavor.AUTH_SYS }>;

const EMPTY = Buffer.alloc(0);

/** The AUTH_NONE credential/verifier: flavor 0, empty body. */
export const AUTH_NONE_AUTH: Readonly<OpaqueAuth> = Object.freeze({ flavor: AuthFlavor.AUTH_NONE, body: EMPTY });

export function decodeOpaqueAuth(r: XdrReader, what = 'opaque_auth'): OpaqueAuth {
  const flavor = r.uint32(`${what} flavor`);
  const body = r.opaque(MAX_AUTH_BYTES, `${what} body`);
  return { flavor, body };
}

export function encodeOpaqueAuth(w: XdrWriter, auth: OpaqueAuth): void {
  w.uint32(auth.flavor).opaque(auth.body);
}

/** authsys_parms (RFC 5531 §A): stamp, machinename<255>, uid, gid, gids<16>. */
export function decodeAuthSysParms(r: XdrReader): AuthSysCredentials {
  const stamp = r.uint32('authsys stamp');
  const machineName = r.string(MAX_MACHINE_NAME, 'authsys machinename');
  const uid = r.uint32('authsys uid');
  const gid = r.uint32('authsys gid');
  const gids = r.array(MAX_AUTH_SYS_GIDS, (g) => g.uint32('authsys gid'), 'authsys gids');
  return { flavor: AuthFlavor.AUTH_SYS, stamp, machineName, uid, gid, gids };
}

export function encodeAuthSysParms(w: XdrWriter, c: AuthSysCredentials): void {
  w.uint32(c.stamp).string(c.machineName).uint32(c.uid).uint32(c.gid).uint32(c.gids.length);
  for (const g of c.gids) w.uint32(g);
}

/** Credentials → the opaque_auth a client puts in its call header. */
export function credentialsToAuth(cred: Credentials): OpaqueAuth {
  if (cred.flavor === AuthFlavor.AUTH_NONE) return AUTH_NONE_AUTH;
  const w = new XdrWriter(64);
  encodeAuthSysParms(w, cred);
  return { flavor: AuthFlavor.AUTH_SYS, body: w.toBuffer() };
}

const NO_CREDENTIALS: Credentials = Object.freeze({ flavor: AuthFlavor.AUTH_NONE });

/**
 * What a received credential means: Credentials when accepted, otherwise the AuthStat to deny the
 * call with (see the table at the top of this file).
 */
export function credentialsFromAuth(auth: OpaqueAuth): Credentials | AuthStat {
  switch (auth.flavor) {
    case AuthFlavor.AUTH_NONE:
      return NO_CREDENTIALS;
    case AuthFlavor.AUTH_SYS:
      return decodeAuthSysBody(auth.body);
    case AuthFlavor.AUTH_SHORT:
      return AuthStat.AUTH_REJECTEDCRED;
    default:
      return AuthStat.AUTH_BADCRED;
  }
}

function decodeAuthSysBody(body: Buffer): Credentials | AuthStat {
  const r = new XdrReader(body);
  try {
    const cred = decodeAuthSysParms(r);
    // Trailing bytes mean the sender and we disagree on the layout: do not guess.
    return r.atEnd() ? cred : AuthStat.AUTH_BADCRED;
  } catch (e) {
    if (e instanceof XdrDecodeError) return AuthStat.AUTH_BADCRED;
    throw e;
  }
}

/** AUTH_OK when the call verifier is acceptable, otherwise AUTH_BADVERF. */
export function checkCallVerifier(verf: OpaqueAuth): AuthStat {
  return verf.flavor === AuthFlavor.AUTH_NONE ? AuthStat.AUTH_OK : AuthStat.AUTH_BADVERF;
}
