/**
 * The MOUNT program (100005), versions 1 and 3 (same procedures; v1's MNT returns a 32-byte
 * fhandle, which our handles are). EXPORT lists every export with its allow rules, so
 * `showmount -e` works; DUMP/UMNT/UMNTALL keep the informational mount list.
 */

import { MOUNT_PROGRAM, MOUNT_V1, MOUNT_V3, MountProc } from '../../protocol/mount3/constants.js';
import type { Exportnode, Fhstatus } from '../../protocol/mount3/codec.js';
import { MOUNT1_PROCEDURES, MOUNT3_PROCEDURES } from '../../protocol/mount3/procedures.js';
import { procedureDef } from '../../protocol/nfs3/index.js';
import type { CallContext, ProcedureDef, RpcProgram } from '../../protocol/rpc/index.js';
import { mnt, type MountService } from './mnt.js';

function exportList(svc: MountService): Exportnode[] {
  return svc.exports.all.map((e) => ({ dir: e.config.path, groups: e.config.allow.map((r) => r.spec) }));
}

/** The procedures both versions share. */
function common(svc: MountService) {
  return {
    null: () => undefined,
    dump: () => svc.mounts.list(),
    umnt: (path: string, ctx: CallContext) => svc.mounts.remove(ctx.remoteAddress, path),
    umntall: (_: void, ctx: CallContext) => svc.mounts.removeHost(ctx.remoteAddress),
    export: () => exportList(svc),
  };
}

export function createMountProgram(svc: MountService): RpcProgram {
  const c = common(svc);
  const v3: ProcedureDef[] = [];
  v3[MountProc.NULL] = procedureDef(MOUNT3_PROCEDURES[MountProc.NULL], c.null);
  v3[MountProc.MNT] = procedureDef(MOUNT3_PROCEDURES[MountProc.MNT], (path, ctx) => mnt(path, ctx, svc));
  v3[MountProc.DUMP] = procedureDef(MOUNT3_PROCEDURES[MountProc.DUMP], c.dump);
  v3[MountProc.UMNT] = procedureDef(MOUNT3_PROCEDURES[MountProc.UMNT], c.umnt);
  v3[MountProc.UMNTALL] = procedureDef(MOUNT3_PROCEDURES[MountProc.UMNTALL], c.umntall);
  v3[MountProc.EXPORT] = procedureDef(MOUNT3_PROCEDURES[MountProc.EXPORT], c.export);

  const v1: ProcedureDef[] = [...v3];
  v1[MountProc.MNT] = procedureDef(MOUNT1_PROCEDURES[MountProc.MNT], async (path, ctx): Promise<Fhstatus> => {
    const res = await mnt(path, ctx, svc);
    return res.status === 0 ? { status: 0, fhandle: res.fhandle } : { status: res.status };
  });
  return { program: MOUNT_PROGRAM, name: 'mount', versions: new Map([[MOUNT_V1, v1], [MOUNT_V3, v3]]) };
}
