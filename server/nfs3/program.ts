/**
 * The NFSv3 program (100003 version 3): each procedure's codec from protocol/nfs3 joined with
 * its handler here. Handlers are one file each, named after the procedure.
 */

import { NFS_PROGRAM, NFS_V3, NFS3_PROCEDURES, Nfs3Proc, procedureDef, type Nfs3Args, type Nfs3Res } from '../../protocol/nfs3/index.js';
import type { CallContext, ProcedureDef, RpcProgram } from '../../protocol/rpc/index.js';
import { access } from './access.js';
import { commit } from './commit.js';
import { create } from './create.js';
import { fsinfo } from './fsinfo.js';
import { fsstat } from './fsstat.js';
import { getattr } from './getattr.js';
import { link } from './link.js';
import { lookup } from './lookup.js';
import { mkdir } from './mkdir.js';
import { mknod } from './mknod.js';
import { pathconf } from './pathconf.js';
import { read } from './read.js';
import { readdir } from './readdir.js';
import { readdirplus } from './readdirplus.js';
import { readlink } from './readlink.js';
import { remove } from './remove.js';
import { rename } from './rename.js';
import { rmdir } from './rmdir.js';
import type { Nfs3Service } from './service.js';
import { setattr } from './setattr.js';
import { symlink } from './symlink.js';
import { write } from './write.js';

type Handler<P extends Nfs3Proc> = (args: Nfs3Args<P>, ctx: CallContext, nfs: Nfs3Service) => Promise<Nfs3Res<P>>;
type HandlerTable = { [P in Exclude<Nfs3Proc, Nfs3Proc.NULL>]: Handler<P> };

const HANDLERS: HandlerTable = {
  [Nfs3Proc.GETATTR]: getattr,
  [Nfs3Proc.SETATTR]: setattr,
  [Nfs3Proc.LOOKUP]: lookup,
  [Nfs3Proc.ACCESS]: access,
  [Nfs3Proc.READLINK]: readlink,
  [Nfs3Proc.READ]: read,
  [Nfs3Proc.WRITE]: write,
  [Nfs3Proc.CREATE]: create,
  [Nfs3Proc.MKDIR]: mkdir,
  [Nfs3Proc.SYMLINK]: symlink,
  [Nfs3Proc.MKNOD]: mknod,
  [Nfs3Proc.REMOVE]: remove,
  [Nfs3Proc.RMDIR]: rmdir,
  [Nfs3Proc.RENAME]: rename,
  [Nfs3Proc.LINK]: link,
  [Nfs3Proc.READDIR]: readdir,
  [Nfs3Proc.READDIRPLUS]: readdirplus,
  [Nfs3Proc.FSSTAT]: fsstat,
  [Nfs3Proc.FSINFO]: fsinfo,
  [Nfs3Proc.PATHCONF]: pathconf,
  [Nfs3Proc.COMMIT]: commit,
};

export function createNfs3Program(nfs: Nfs3Service): RpcProgram {
  const table: ProcedureDef[] = [procedureDef(NFS3_PROCEDURES[Nfs3Proc.NULL], () => undefined)];
  for (const [proc, handle] of Object.entries(HANDLERS) as [string, Handler<any>][]) {
    const p = Number(proc) as Exclude<Nfs3Proc, Nfs3Proc.NULL>;
    table[p] = procedureDef(NFS3_PROCEDURES[p] as any, (args, ctx) => handle(args, ctx, nfs));
  }
  return { program: NFS_PROGRAM, name: 'nfs', versions: new Map([[NFS_V3, table]]) };
}
