/**
 * MNT (RFC 1813 appendix I, MOUNTPROC3_MNT): the root handle of an export, or of a directory
 * inside one (`mount host:/union/sub` works like knfsd's subdirectory mounts; each component is
 * looked up with the caller's squashed identity, so permissions apply).
 */

import { Mountstat3, type Mountstat3Error } from '../../protocol/mount3/constants.js';
import type { Mountres3 } from '../../protocol/mount3/codec.js';
import { AuthFlavor, type CallContext, type Logger } from '../../protocol/rpc/index.js';
import { UnionError } from '../../union-core/index.js';
import { normalizeExportPath, type ExportTable, type ServedExport } from '../exports.js';
import type { MountList } from './mount-list.js';

export interface MountService {
  exports: ExportTable;
  mounts: MountList;
  log: Logger;
}

/** AUTH_SYS first: clients take the first flavor they support. */
const AUTH_FLAVORS = [AuthFlavor.AUTH_SYS, AuthFlavor.AUTH_NONE];

export async function mnt(path: string, ctx: CallContext, svc: MountService): Promise<Mountres3> {
  const found = findExport(svc.exports, path);
  if (!found) return { status: Mountstat3.MNT3ERR_NOENT };
  const { exp, rest } = found;
  if (!exp.allows(ctx.remoteAddress) || !exp.portAcceptable(ctx.remotePort)) {
    svc.log.log('warn', 'mount: refused', { client: ctx.remoteAddress, port: ctx.remotePort, path });
    return { status: Mountstat3.MNT3ERR_ACCES };
  }
  try {
    const fileid = await walk(exp, rest, ctx);
    svc.mounts.add(ctx.remoteAddress, path);
    svc.log.log('info', 'mount: granted', { client: ctx.remoteAddress, path });
    return { status: Mountstat3.MNT3_OK, fhandle: exp.handleOf(fileid), authFlavors: AUTH_FLAVORS };
  } catch (e) {
    return { status: mountStatusOf(e, svc.log) };
  }
}

/** The export whose path is the longest prefix of `path`, and the components below it. */
function findExport(exports: ExportTable, path: string): { exp: ServedExport; rest: string[] } | undefined {
  const parts = normalizeExportPath(path).split('/').filter(Boolean);
  for (let n = parts.length; n >= 0; n--) {
    const exp = exports.forPath('/' + parts.slice(0, n).join('/'));
    if (exp) return { exp, rest: parts.slice(n) };
  }
  return undefined;
}

async function walk(exp: ServedExport, components: string[], ctx: CallContext): Promise<bigint> {
  const caller = exp.callerFor(ctx.cred);
  let id = exp.union.rootId;
  for (const name of components) {
    // ".." would climb out of a subdirectory mount's root; nothing is gained by allowing it.
    if (name === '..' || name === '.') throw new UnionError('EINVAL', 'dot component in mount path');
    const found = await exp.union.lookup(id, name, caller);
    if (found.attr.type !== 'dir') throw new UnionError('ENOTDIR');
    id = found.fileid;
  }
  return id;
}

function mountStatusOf(e: unknown, log: Logger): Mountstat3Error {
  if (e instanceof UnionError) {
    switch (e.code) {
      case 'ENOENT':
        return Mountstat3.MNT3ERR_NOENT;
      case 'EACCES':
      case 'EPERM':
        return Mountstat3.MNT3ERR_ACCES;
      case 'ENOTDIR':
        return Mountstat3.MNT3ERR_NOTDIR;
      case 'ENAMETOOLONG':
        return Mountstat3.MNT3ERR_NAMETOOLONG;
      case 'EINVAL':
        return Mountstat3.MNT3ERR_INVAL;
      default:
        return Mountstat3.MNT3ERR_IO;
    }
  }
  log.log('error', 'mount: unexpected failure', { error: e instanceof Error ? e.message : String(e) });
  return Mountstat3.MNT3ERR_SERVERFAULT;
}
