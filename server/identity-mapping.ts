/**
 * From an RPC credential to the Caller union-core checks permissions for, with the export's
 * squashing (exports(5) semantics):
 *   root (default)  uid 0 → anonuid, gid 0 → anongid (also in the supplementary groups)
 *   all             every caller → anonuid/anongid, no groups
 *   none            identities as sent
 * AUTH_NONE callers are anonymous under every setting.
 */

import { AuthFlavor, type Credentials } from '../protocol/rpc/index.js';
import type { Caller } from '../union-core/index.js';
import type { ExportConfig } from './config.js';

export function callerFor(cred: Credentials, exp: Pick<ExportConfig, 'squash' | 'anonUid' | 'anonGid'>): Caller {
  const anonymous: Caller = { uid: exp.anonUid, gid: exp.anonGid, groups: [] };
  if (cred.flavor !== AuthFlavor.AUTH_SYS || exp.squash === 'all') return anonymous;
  if (exp.squash === 'none') return { uid: cred.uid, gid: cred.gid, groups: cred.gids };
  return {
    uid: cred.uid === 0 ? exp.anonUid : cred.uid,
    gid: cred.gid === 0 ? exp.anonGid : cred.gid,
    groups: cred.gids.map((g) => (g === 0 ? exp.anonGid : g)),
  };
}
