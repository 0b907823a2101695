/**
 * MOUNT procedure tables for versions 3 and 1 (same procedure numbers; only MNT's result
 * differs). Handlers are the server's: `procedureDef(MOUNT3_PROCEDURES[MountProc.MNT], handleMnt)`.
 * MNT and UMNT change the server's mount list, so their replies go through the duplicate
 * request cache; nothing here changes the exported file system.
 */

import type { ProcedureCodec } from '../nfs3/procedure-codec.js';
import { decodeNothing, encodeNothing } from '../nfs3/procedure-codec.js';
import { MountProc } from './constants.js';
import {
  decodeDirpath,
  decodeExports,
  decodeFhstatus,
  decodeMountlist,
  decodeMountres3,
  encodeDirpath,
  encodeExports,
  encodeFhstatus,
  encodeMountlist,
  encodeMountres3,
  type Exportnode,
  type Fhstatus,
  type Mountbody,
  type Mountres3,
} from './codec.js';

/** Argument and result types of version 3, by procedure number. */
export interface Mount3Signatures {
  [MountProc.NULL]: [void, void];
  [MountProc.MNT]: [string, Mountres3];
  [MountProc.DUMP]: [void, Mountbody[]];
  [MountProc.UMNT]: [string, void];
  [MountProc.UMNTALL]: [void, void];
  [MountProc.EXPORT]: [void, Exportnode[]];
}
/** Version 1 differs only in MNT's result. */
export interface Mount1Signatures extends Omit<Mount3Signatures, MountProc.MNT> {
  [MountProc.MNT]: [string, Fhstatus];
}

type Table<S extends Record<MountProc, [unknown, unknown]>> = {
  readonly [P in MountProc]: ProcedureCodec<S[P][0], S[P][1]>;
};
export type Mount3ProcedureTable = Table<Mount3Signatures>;
export type Mount1ProcedureTable = Table<Mount1Signatures>;

const query = { mutates: false, cacheReply: false };
const mountListChange = { mutates: false, cacheReply: true };

const NULL: ProcedureCodec<void, void> = {
  name: 'NULL',
  decodeArgs: decodeNothing,
  encodeArgs: encodeNothing,
  encodeRes: encodeNothing,
  decodeRes: decodeNothing,
  ...query,
};
const DUMP: ProcedureCodec<void, Mountbody[]> = {
  name: 'DUMP',
  decodeArgs: decodeNothing,
  encodeArgs: encodeNothing,
  encodeRes: encodeMountlist,
  decodeRes: decodeMountlist,
  ...query,
};
const UMNT: ProcedureCodec<string, void> = {
  name: 'UMNT',
  decodeArgs: decodeDirpath,
  encodeArgs: encodeDirpath,
  encodeRes: encodeNothing,
  decodeRes: decodeNothing,
  ...mountListChange,
};
const UMNTALL: ProcedureCodec<void, void> = {
  name: 'UMNTALL',
  decodeArgs: decodeNothing,
  encodeArgs: encodeNothing,
  encodeRes: encodeNothing,
  decodeRes: decodeNothing,
  ...mountListChange,
};
const EXPORT: ProcedureCodec<void, Exportnode[]> = {
  name: 'EXPORT',
  decodeArgs: decodeNothing,
  encodeArgs: encodeNothing,
  encodeRes: encodeExports,
  decodeRes: decodeExports,
  ...query,
};

export const MOUNT3_PROCEDURES: Mount3ProcedureTable = {
  [MountProc.NULL]: NULL,
  [MountProc.MNT]: {
    name: 'MNT',
    decodeArgs: decodeDirpath,
    encodeArgs: encodeDirpath,
    encodeRes: encodeMountres3,
    decodeRes: decodeMountres3,
    ...mountListChange,
  },
  [MountProc.DUMP]: DUMP,
  [MountProc.UMNT]: UMNT,
  [MountProc.UMNTALL]: UMNTALL,
  [MountProc.EXPORT]: EXPORT,
};

export const MOUNT1_PROCEDURES: Mount1ProcedureTable = {
  [MountProc.NULL]: NULL,
  [MountProc.MNT]: {
    name: 'MNT',
    decodeArgs: decodeDirpath,
    encodeArgs: encodeDirpath,
    encodeRes: encodeFhstatus,
    decodeRes: decodeFhstatus,
    ...mountListChange,
  },
  [MountProc.DUMP]: DUMP,
  [MountProc.UMNT]: UMNT,
  [MountProc.UMNTALL]: UMNTALL,
  [MountProc.EXPORT]: EXPORT,
};
