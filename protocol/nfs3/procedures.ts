/**
 * The NFSv3 procedure table (RFC 1813 section 3): for every procedure number, its argument and
 * result types and its codecs. Handlers are not here; the server maps each entry to a handler
 * with `procedureDef(NFS3_PROCEDURES[Nfs3Proc.LOOKUP], handleLookup)`.
 *
 * `mutates` marks the procedures that change the file system; `cacheReply` the non-idempotent ones
 * whose retransmits must be answered from the duplicate request cache (section 4.4 / traps:
 * a retried REMOVE must not report NOENT). COMMIT is idempotent and changes no data.
 */

import { Nfs3Proc } from './constants.js';
import type { ProcedureCodec } from './procedure-codec.js';
import { decodeNothing, encodeNothing } from './procedure-codec.js';
import * as attr from './attr.js';
import * as lookup from './lookup.js';
import * as io from './io.js';
import * as create from './create.js';
import * as ns from './namespace.js';
import * as readdir from './readdir.js';
import * as fsinfo from './fsinfo.js';

/** Argument and result type of every procedure, by number. */
export interface Nfs3Signatures {
  [Nfs3Proc.NULL]: [void, void];
  [Nfs3Proc.GETATTR]: [attr.Getattr3Args, attr.Getattr3Res];
  [Nfs3Proc.SETATTR]: [attr.Setattr3Args, attr.Setattr3Res];
  [Nfs3Proc.LOOKUP]: [lookup.Lookup3Args, lookup.Lookup3Res];
  [Nfs3Proc.ACCESS]: [attr.Access3Args, attr.Access3Res];
  [Nfs3Proc.READLINK]: [lookup.Readlink3Args, lookup.Readlink3Res];
  [Nfs3Proc.READ]: [io.Read3Args, io.Read3Res];
  [Nfs3Proc.WRITE]: [io.Write3Args, io.Write3Res];
  [Nfs3Proc.CREATE]: [create.Create3Args, create.Create3Res];
  [Nfs3Proc.MKDIR]: [create.Mkdir3Args, create.Mkdir3Res];
  [Nfs3Proc.SYMLINK]: [create.Symlink3Args, create.Symlink3Res];
  [Nfs3Proc.MKNOD]: [create.Mknod3Args, create.Mknod3Res];
  [Nfs3Proc.REMOVE]: [ns.Remove3Args, ns.Remove3Res];
  [Nfs3Proc.RMDIR]: [ns.Rmdir3Args, ns.Rmdir3Res];
  [Nfs3Proc.RENAME]: [ns.Rename3Args, ns.Rename3Res];
  [Nfs3Proc.LINK]: [ns.Link3Args, ns.Link3Res];
  [Nfs3Proc.READDIR]: [readdir.Readdir3Args, readdir.Readdir3Res];
  [Nfs3Proc.READDIRPLUS]: [readdir.Readdirplus3Args, readdir.Readdirplus3Res];
  [Nfs3Proc.FSSTAT]: [fsinfo.Fsstat3Args, fsinfo.Fsstat3Res];
  [Nfs3Proc.FSINFO]: [fsinfo.Fsinfo3Args, fsinfo.Fsinfo3Res];
  [Nfs3Proc.PATHCONF]: [fsinfo.Pathconf3Args, fsinfo.Pathconf3Res];
  [Nfs3Proc.COMMIT]: [io.Commit3Args, io.Commit3Res];
}

export type Nfs3Args<P extends Nfs3Proc> = Nfs3Signatures[P][0];
export type Nfs3Res<P extends Nfs3Proc> = Nfs3Signatures[P][1];

export type Nfs3ProcedureTable = {
  readonly [P in Nfs3Proc]: ProcedureCodec<Nfs3Args<P>, Nfs3Res<P>>;
};

const reads = { mutates: false, cacheReply: false };
const writes = { mutates: true, cacheReply: true };

export const NFS3_PROCEDURES: Nfs3ProcedureTable = {
  [Nfs3Proc.NULL]: {
    name: 'NULL',
    decodeArgs: decodeNothing,
    encodeArgs: encodeNothing,
    encodeRes: encodeNothing,
    decodeRes: decodeNothing,
    ...reads,
  },
  [Nfs3Proc.GETATTR]: {
    name: 'GETATTR',
    decodeArgs: attr.decodeGetattr3Args,
    encodeArgs: attr.encodeGetattr3Args,
    encodeRes: attr.encodeGetattr3Res,
    decodeRes: attr.decodeGetattr3Res,
    ...reads,
  },
  [Nfs3Proc.SETATTR]: {
    name: 'SETATTR',
    decodeArgs: attr.decodeSetattr3Args,
    encodeArgs: attr.encodeSetattr3Args,
    encodeRes: attr.encodeSetattr3Res,
    decodeRes: attr.decodeSetattr3Res,
    ...writes,
  },
  [Nfs3Proc.LOOKUP]: {
    name: 'LOOKUP',
    decodeArgs: lookup.decodeLookup3Args,
    encodeArgs: lookup.encodeLookup3Args,
    encodeRes: lookup.encodeLookup3Res,
    decodeRes: lookup.decodeLookup3Res,
    ...reads,
  },
  [Nfs3Proc.ACCESS]: {
    name: 'ACCESS',
    decodeArgs: attr.decodeAccess3Args,
    encodeArgs: attr.encodeAccess3Args,
    encodeRes: attr.encodeAccess3Res,
    decodeRes: attr.decodeAccess3Res,
    ...reads,
  },
  [Nfs3Proc.READLINK]: {
    name: 'READLINK',
    decodeArgs: lookup.decodeReadlink3Args,
    encodeArgs: lookup.encodeReadlink3Args,
    encodeRes: lookup.encodeReadlink3Res,
    decodeRes: lookup.decodeReadlink3Res,
    ...reads,
  },
  [Nfs3Proc.READ]: {
    name: 'READ',
    decodeArgs: io.decodeRead3Args,
    encodeArgs: io.encodeRead3Args,
    encodeRes: io.encodeRead3Res,
    decodeRes: io.decodeRead3Res,
    ...reads,
  },
  [Nfs3Proc.WRITE]: {
    name: 'WRITE',
    decodeArgs: io.decodeWrite3Args,
    encodeArgs: io.encodeWrite3Args,
    encodeRes: io.encodeWrite3Res,
    decodeRes: io.decodeWrite3Res,
    ...writes,
  },
  [Nfs3Proc.CREATE]: {
    name: 'CREATE',
    decodeArgs: create.decodeCreate3Args,
    encodeArgs: create.encodeCreate3Args,
    encodeRes: create.encodeCreate3Res,
    decodeRes: create.decodeCreate3Res,
    ...writes,
  },
  [Nfs3Proc.MKDIR]: {
    name: 'MKDIR',
    decodeArgs: create.decodeMkdir3Args,
    encodeArgs: create.encodeMkdir3Args,
    encodeRes: create.encodeMkdir3Res,
    decodeRes: create.decodeMkdir3Res,
    ...writes,
  },
  [Nfs3Proc.SYMLINK]: {
    name: 'SYMLINK',
    decodeArgs: create.decodeSymlink3Args,
    encodeArgs: create.encodeSymlink3Args,
    encodeRes: create.encodeSymlink3Res,
    decodeRes: create.decodeSymlink3Res,
    ...writes,
  },
  [Nfs3Proc.MKNOD]: {
    name: 'MKNOD',
    decodeArgs: create.decodeMknod3Args,
    encodeArgs: create.encodeMknod3Args,
    encodeRes: create.encodeMknod3Res,
    decodeRes: create.decodeMknod3Res,
    ...writes,
  },
  [Nfs3Proc.REMOVE]: {
    name: 'REMOVE',
    decodeArgs: ns.decodeRemove3Args,
    encodeArgs: ns.encodeRemove3Args,
    encodeRes: ns.encodeRemove3Res,
    decodeRes: ns.decodeRemove3Res,
    ...writes,
  },
  [Nfs3Proc.RMDIR]: {
    name: 'RMDIR',
    decodeArgs: ns.decodeRmdir3Args,
    encodeArgs: ns.encodeRmdir3Args,
    encodeRes: ns.encodeRmdir3Res,
    decodeRes: ns.decodeRmdir3Res,
    ...writes,
  },
  [Nfs3Proc.RENAME]: {
    name: 'RENAME',
    decodeArgs: ns.decodeRename3Args,
    encodeArgs: ns.encodeRename3Args,
    encodeRes: ns.encodeRename3Res,
    decodeRes: ns.decodeRename3Res,
    ...writes,
  },
  [Nfs3Proc.LINK]: {
    name: 'LINK',
    decodeArgs: ns.decodeLink3Args,
    encodeArgs: ns.encodeLink3Args,
    encodeRes: ns.encodeLink3Res,
    decodeRes: ns.decodeLink3Res,
    ...writes,
  },
  [Nfs3Proc.READDIR]: {
    name: 'READDIR',
    decodeArgs: readdir.decodeReaddir3Args,
    encodeArgs: readdir.encodeReaddir3Args,
    encodeRes: readdir.encodeReaddir3Res,
    decodeRes: readdir.decodeReaddir3Res,
    ...reads,
  },
  [Nfs3Proc.READDIRPLUS]: {
    name: 'READDIRPLUS',
    decodeArgs: readdir.decodeReaddirplus3Args,
    encodeArgs: readdir.encodeReaddirplus3Args,
    encodeRes: readdir.encodeReaddirplus3Res,
    decodeRes: readdir.decodeReaddirplus3Res,
    ...reads,
  },
  [Nfs3Proc.FSSTAT]: {
    name: 'FSSTAT',
    decodeArgs: fsinfo.decodeFsstat3Args,
    encodeArgs: fsinfo.encodeFsstat3Args,
    encodeRes: fsinfo.encodeFsstat3Res,
    decodeRes: fsinfo.decodeFsstat3Res,
    ...reads,
  },
  [Nfs3Proc.FSINFO]: {
    name: 'FSINFO',
    decodeArgs: fsinfo.decodeFsinfo3Args,
    encodeArgs: fsinfo.encodeFsinfo3Args,
    encodeRes: fsinfo.encodeFsinfo3Res,
    decodeRes: fsinfo.decodeFsinfo3Res,
    ...reads,
  },
  [Nfs3Proc.PATHCONF]: {
    name: 'PATHCONF',
    decodeArgs: fsinfo.decodePathconf3Args,
    encodeArgs: fsinfo.encodePathconf3Args,
    encodeRes: fsinfo.encodePathconf3Res,
    decodeRes: fsinfo.decodePathconf3Res,
    ...reads,
  },
  [Nfs3Proc.COMMIT]: {
    name: 'COMMIT',
    decodeArgs: io.decodeCommit3Args,
    encodeArgs: io.encodeCommit3Args,
    encodeRes: io.encodeCommit3Res,
    decodeRes: io.decodeCommit3Res,
    ...reads,
  },
};

/** Procedure numbers in order, for loops over the whole table (tests, tracing). */
export const NFS3_PROCEDURE_NUMBERS: readonly Nfs3Proc[] = Array.from({ length: 22 }, (_, i) => i as Nfs3Proc);
