/**
 * Sample NFSv3 calls and replies, one call and at least one reply per procedure, each paired with
 * its expected wire form assembled by hand from 32-bit words (golden-words.ts). Shared by the
 * golden, round-trip, malformed-input and tshark tests.
 */

import { Createmode3, Ftype3, Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import type { Fattr3, Nfs3Args, Nfs3Res, WccAttr, WccData } from '../../protocol/nfs3/index.js';
import { FALSE, TRUE, fixed, opaque, str, u64, type Words } from './golden-words.js';

export interface GoldenReply<P extends Nfs3Proc> {
  label: string;
  res: Nfs3Res<P>;
  words: Words;
}
export interface GoldenProcedure<P extends Nfs3Proc> {
  proc: P;
  name: string;
  args: Nfs3Args<P>;
  argsWords: Words;
  replies: GoldenReply<P>[];
}

// ---- sample values and their hand-built words ----

/** 12 bytes: no padding. */
export const FH = Buffer.from([0xfa, 0x11, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xde, 0xad, 0xbe, 0xef]);
/** 7 bytes: one byte of padding. */
export const DIR_FH = Buffer.from([1, 2, 3, 4, 5, 6, 7]);
export const VERF = Buffer.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
export const ZERO_VERF = Buffer.alloc(8);

export const FILE_ATTR: Fattr3 = {
  type: Ftype3.NF3REG,
  mode: 0o644,
  nlink: 1,
  uid: 1000,
  gid: 100,
  size: 0x1_0000_0005n,
  used: 0x1_0000_1000n,
  rdev: { specdata1: 0, specdata2: 0 },
  fsid: 0x0123_4567_89ab_cdefn,
  // Above 2^53: would lose precision as a double.
  fileid: 0x8000_0000_0000_0007n,
  atime: { seconds: 1_700_000_000, nseconds: 1 },
  mtime: { seconds: 1_700_000_001, nseconds: 999_999_999 },
  ctime: { seconds: 1_700_000_002, nseconds: 0 },
};
export const DIR_ATTR: Fattr3 = {
  ...FILE_ATTR,
  type: Ftype3.NF3DIR,
  mode: 0o1777,
  nlink: 3,
  uid: 0,
  gid: 0,
  size: 4096n,
  used: 8192n,
  fileid: 2n,
};
export const LINK_ATTR: Fattr3 = { ...FILE_ATTR, type: Ftype3.NF3LNK, mode: 0o777, size: 10n, used: 0n, fileid: 77n };

export function fattrWords(a: Fattr3): Words {
  return [
    a.type, a.mode, a.nlink, a.uid, a.gid,
    ...u64(a.size), ...u64(a.used),
    a.rdev.specdata1, a.rdev.specdata2,
    ...u64(a.fsid), ...u64(a.fileid),
    a.atime.seconds, a.atime.nseconds,
    a.mtime.seconds, a.mtime.nseconds,
    a.ctime.seconds, a.ctime.nseconds,
  ];
}
export const postOpWords = (a: Fattr3 | undefined): Words => (a ? [TRUE, ...fattrWords(a)] : [FALSE]);

export const WCC_BEFORE: WccAttr = {
  size: 4096n,
  mtime: { seconds: 1_600_000_000, nseconds: 10 },
  ctime: { seconds: 1_600_000_001, nseconds: 20 },
};
export const DIR_WCC: WccData = { before: WCC_BEFORE, after: DIR_ATTR };
export const FILE_WCC: WccData = { before: { ...WCC_BEFORE, size: 0x1_0000_0000n }, after: FILE_ATTR };
export const NO_WCC: WccData = { before: undefined, after: undefined };

export function wccWords(w: WccData): Words {
  const before = w.before
    ? [TRUE, ...u64(w.before.size), w.before.mtime.seconds, w.before.mtime.nseconds, w.before.ctime.seconds, w.before.ctime.nseconds]
    : [FALSE];
  return [...before, ...postOpWords(w.after)];
}

const fh = (b: Buffer): Words => opaque(b);
const dirop = (dir: Buffer, name: string): Words => [...fh(dir), ...str(name)];
/** time_how values. */
const DONT_CHANGE = 0;
const SET_TO_SERVER_TIME = 1;
const SET_TO_CLIENT_TIME = 2;
/** sattr3 with only a mode set. */
const modeOnly = (mode: number): Words => [TRUE, mode, FALSE, FALSE, FALSE, DONT_CHANGE, DONT_CHANGE];

const OK = Nfsstat3.NFS3_OK;

// ---- one entry per procedure ----

const NULL: GoldenProcedure<Nfs3Proc.NULL> = {
  proc: Nfs3Proc.NULL,
  name: 'NULL',
  args: undefined,
  argsWords: [],
  replies: [{ label: 'void', res: undefined, words: [] }],
};

const GETATTR: GoldenProcedure<Nfs3Proc.GETATTR> = {
  proc: Nfs3Proc.GETATTR,
  name: 'GETATTR',
  args: { object: FH },
  argsWords: fh(FH),
  replies: [
    { label: 'ok', res: { status: OK, objAttributes: FILE_ATTR }, words: [OK, ...fattrWords(FILE_ATTR)] },
    { label: 'stale', res: { status: Nfsstat3.NFS3ERR_STALE }, words: [70] },
  ],
};

const SETATTR: GoldenProcedure<Nfs3Proc.SETATTR> = {
  proc: Nfs3Proc.SETATTR,
  name: 'SETATTR',
  args: {
    object: FH,
    newAttributes: { mode: 0o600, size: 0n, atime: 'server', mtime: { seconds: 1_700_000_100, nseconds: 5 } },
    guard: { seconds: 1_700_000_002, nseconds: 0 },
  },
  argsWords: [
    ...fh(FH),
    TRUE, 0o600, // mode
    FALSE, FALSE, // uid, gid
    TRUE, 0, 0, // size
    SET_TO_SERVER_TIME,
    SET_TO_CLIENT_TIME, 1_700_000_100, 5,
    TRUE, 1_700_000_002, 0, // guard
  ],
  replies: [
    { label: 'ok', res: { status: OK, objWcc: FILE_WCC }, words: [OK, ...wccWords(FILE_WCC)] },
    {
      label: 'not_sync keeps wcc',
      res: { status: Nfsstat3.NFS3ERR_NOT_SYNC, objWcc: { before: WCC_BEFORE, after: undefined } },
      words: [10002, ...wccWords({ before: WCC_BEFORE, after: undefined })],
    },
  ],
};

const LOOKUP: GoldenProcedure<Nfs3Proc.LOOKUP> = {
  proc: Nfs3Proc.LOOKUP,
  name: 'LOOKUP',
  args: { dir: DIR_FH, name: 'hello.txt' },
  argsWords: dirop(DIR_FH, 'hello.txt'),
  replies: [
    {
      label: 'ok',
      res: { status: OK, object: FH, objAttributes: FILE_ATTR, dirAttributes: DIR_ATTR },
      words: [OK, ...fh(FH), ...postOpWords(FILE_ATTR), ...postOpWords(DIR_ATTR)],
    },
    {
      label: 'noent keeps dir attributes',
      res: { status: Nfsstat3.NFS3ERR_NOENT, dirAttributes: DIR_ATTR },
      words: [2, ...postOpWords(DIR_ATTR)],
    },
  ],
};

const ACCESS: GoldenProcedure<Nfs3Proc.ACCESS> = {
  proc: Nfs3Proc.ACCESS,
  name: 'ACCESS',
  args: { object: FH, access: 0x3f },
  argsWords: [...fh(FH), 0x3f],
  replies: [
    { label: 'ok', res: { status: OK, objAttributes: FILE_ATTR, access: 0x0d }, words: [OK, ...postOpWords(FILE_ATTR), 0x0d] },
    { label: 'badhandle', res: { status: Nfsstat3.NFS3ERR_BADHANDLE, objAttributes: undefined }, words: [10001, FALSE] },
  ],
};

const READLINK: GoldenProcedure<Nfs3Proc.READLINK> = {
  proc: Nfs3Proc.READLINK,
  name: 'READLINK',
  args: { symlink: FH },
  argsWords: fh(FH),
  replies: [
    {
      label: 'ok',
      res: { status: OK, symlinkAttributes: LINK_ATTR, data: '../tärget' },
      words: [OK, ...postOpWords(LINK_ATTR), ...str('../tärget')],
    },
    { label: 'inval', res: { status: Nfsstat3.NFS3ERR_INVAL, symlinkAttributes: undefined }, words: [22, FALSE] },
  ],
};

const READ: GoldenProcedure<Nfs3Proc.READ> = {
  proc: Nfs3Proc.READ,
  name: 'READ',
  args: { file: FH, offset: 0x1_0000_0000n, count: 4096 },
  argsWords: [...fh(FH), 1, 0, 4096],
  replies: [
    {
      label: 'ok',
      res: { status: OK, fileAttributes: FILE_ATTR, count: 5, eof: true, data: Buffer.from('hello') },
      words: [OK, ...postOpWords(FILE_ATTR), 5, TRUE, ...opaque(Buffer.from('hello'))],
    },
    { label: 'io', res: { status: Nfsstat3.NFS3ERR_IO, fileAttributes: FILE_ATTR }, words: [5, ...postOpWords(FILE_ATTR)] },
  ],
};

const WRITE: GoldenProcedure<Nfs3Proc.WRITE> = {
  proc: Nfs3Proc.WRITE,
  name: 'WRITE',
  args: { file: FH, offset: 8192n, count: 6, stable: StableHow.DATA_SYNC, data: Buffer.from('world!') },
  argsWords: [...fh(FH), 0, 8192, 6, 1, ...opaque(Buffer.from('world!'))],
  replies: [
    {
      label: 'ok',
      res: { status: OK, fileWcc: FILE_WCC, count: 6, committed: StableHow.FILE_SYNC, verf: VERF },
      words: [OK, ...wccWords(FILE_WCC), 6, 2, ...fixed(VERF)],
    },
    { label: 'nospc', res: { status: Nfsstat3.NFS3ERR_NOSPC, fileWcc: NO_WCC }, words: [28, FALSE, FALSE] },
  ],
};

const newObjectOk = (attr: Fattr3) => ({
  label: 'ok',
  res: { status: OK, obj: FH, objAttributes: attr, dirWcc: DIR_WCC } as const,
  words: [OK, TRUE, ...fh(FH), ...postOpWords(attr), ...wccWords(DIR_WCC)],
});

const CREATE: GoldenProcedure<Nfs3Proc.CREATE> = {
  proc: Nfs3Proc.CREATE,
  name: 'CREATE',
  args: { where: { dir: DIR_FH, name: 'new' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o644, uid: 1000, gid: 100 } } },
  argsWords: [...dirop(DIR_FH, 'new'), 1, TRUE, 0o644, TRUE, 1000, TRUE, 100, FALSE, DONT_CHANGE, DONT_CHANGE],
  replies: [
    newObjectOk(FILE_ATTR),
    { label: 'exist', res: { status: Nfsstat3.NFS3ERR_EXIST, dirWcc: DIR_WCC }, words: [17, ...wccWords(DIR_WCC)] },
  ],
};

const MKDIR: GoldenProcedure<Nfs3Proc.MKDIR> = {
  proc: Nfs3Proc.MKDIR,
  name: 'MKDIR',
  args: { where: { dir: DIR_FH, name: 'sub' }, attributes: { mode: 0o755 } },
  argsWords: [...dirop(DIR_FH, 'sub'), ...modeOnly(0o755)],
  replies: [
    {
      label: 'ok without handle or attributes',
      res: { status: OK, obj: undefined, objAttributes: undefined, dirWcc: DIR_WCC },
      words: [OK, FALSE, FALSE, ...wccWords(DIR_WCC)],
    },
    { label: 'rofs', res: { status: Nfsstat3.NFS3ERR_ROFS, dirWcc: NO_WCC }, words: [30, FALSE, FALSE] },
  ],
};

const SYMLINK: GoldenProcedure<Nfs3Proc.SYMLINK> = {
  proc: Nfs3Proc.SYMLINK,
  name: 'SYMLINK',
  args: { where: { dir: DIR_FH, name: 'ln' }, symlink: { symlinkAttributes: {}, symlinkData: '/etc/hosts' } },
  argsWords: [...dirop(DIR_FH, 'ln'), FALSE, FALSE, FALSE, FALSE, DONT_CHANGE, DONT_CHANGE, ...str('/etc/hosts')],
  replies: [newObjectOk(LINK_ATTR)],
};

const MKNOD: GoldenProcedure<Nfs3Proc.MKNOD> = {
  proc: Nfs3Proc.MKNOD,
  name: 'MKNOD',
  args: {
    where: { dir: DIR_FH, name: 'tty9' },
    what: { type: Ftype3.NF3CHR, device: { devAttributes: { mode: 0o620 }, spec: { specdata1: 4, specdata2: 9 } } },
  },
  argsWords: [...dirop(DIR_FH, 'tty9'), Ftype3.NF3CHR, ...modeOnly(0o620), 4, 9],
  replies: [
    newObjectOk({ ...FILE_ATTR, type: Ftype3.NF3CHR, rdev: { specdata1: 4, specdata2: 9 } }),
    { label: 'badtype', res: { status: Nfsstat3.NFS3ERR_BADTYPE, dirWcc: DIR_WCC }, words: [10007, ...wccWords(DIR_WCC)] },
  ],
};

const REMOVE: GoldenProcedure<Nfs3Proc.REMOVE> = {
  proc: Nfs3Proc.REMOVE,
  name: 'REMOVE',
  args: { object: { dir: DIR_FH, name: 'gone' } },
  argsWords: dirop(DIR_FH, 'gone'),
  replies: [
    { label: 'ok', res: { status: OK, dirWcc: DIR_WCC }, words: [OK, ...wccWords(DIR_WCC)] },
    { label: 'noent', res: { status: Nfsstat3.NFS3ERR_NOENT, dirWcc: DIR_WCC }, words: [2, ...wccWords(DIR_WCC)] },
  ],
};

const RMDIR: GoldenProcedure<Nfs3Proc.RMDIR> = {
  proc: Nfs3Proc.RMDIR,
  name: 'RMDIR',
  args: { object: { dir: DIR_FH, name: 'sub' } },
  argsWords: dirop(DIR_FH, 'sub'),
  replies: [
    { label: 'ok', res: { status: OK, dirWcc: DIR_WCC }, words: [OK, ...wccWords(DIR_WCC)] },
    { label: 'notempty', res: { status: Nfsstat3.NFS3ERR_NOTEMPTY, dirWcc: DIR_WCC }, words: [66, ...wccWords(DIR_WCC)] },
  ],
};

const RENAME: GoldenProcedure<Nfs3Proc.RENAME> = {
  proc: Nfs3Proc.RENAME,
  name: 'RENAME',
  args: { from: { dir: DIR_FH, name: 'a' }, to: { dir: FH, name: 'bcde' } },
  argsWords: [...dirop(DIR_FH, 'a'), ...dirop(FH, 'bcde')],
  replies: [
    {
      label: 'ok',
      res: { status: OK, fromdirWcc: DIR_WCC, todirWcc: NO_WCC },
      words: [OK, ...wccWords(DIR_WCC), FALSE, FALSE],
    },
    {
      label: 'xdev',
      res: { status: Nfsstat3.NFS3ERR_XDEV, fromdirWcc: NO_WCC, todirWcc: DIR_WCC },
      words: [18, FALSE, FALSE, ...wccWords(DIR_WCC)],
    },
  ],
};

const LINK: GoldenProcedure<Nfs3Proc.LINK> = {
  proc: Nfs3Proc.LINK,
  name: 'LINK',
  args: { file: FH, link: { dir: DIR_FH, name: 'hard' } },
  argsWords: [...fh(FH), ...dirop(DIR_FH, 'hard')],
  replies: [
    {
      label: 'ok',
      res: { status: OK, fileAttributes: FILE_ATTR, linkdirWcc: DIR_WCC },
      words: [OK, ...postOpWords(FILE_ATTR), ...wccWords(DIR_WCC)],
    },
    {
      label: 'mlink',
      res: { status: Nfsstat3.NFS3ERR_MLINK, fileAttributes: undefined, linkdirWcc: NO_WCC },
      words: [31, FALSE, FALSE, FALSE],
    },
  ],
};

const READDIR: GoldenProcedure<Nfs3Proc.READDIR> = {
  proc: Nfs3Proc.READDIR,
  name: 'READDIR',
  args: { dir: DIR_FH, cookie: 0n, cookieverf: ZERO_VERF, count: 4096 },
  argsWords: [...fh(DIR_FH), 0, 0, 0, 0, 4096],
  replies: [
    {
      label: 'ok',
      res: {
        status: OK,
        dirAttributes: DIR_ATTR,
        cookieverf: VERF,
        entries: [
          { fileid: 2n, name: '.', cookie: 1n },
          { fileid: 0x8000_0000_0000_0007n, name: 'hello.txt', cookie: 0xffff_ffff_ffff_fff0n },
        ],
        eof: true,
      },
      words: [
        OK, ...postOpWords(DIR_ATTR), ...fixed(VERF),
        TRUE, 0, 2, ...str('.'), 0, 1,
        TRUE, 0x8000_0000, 7, ...str('hello.txt'), 0xffff_ffff, 0xffff_fff0,
        FALSE, TRUE,
      ],
    },
    {
      label: 'bad_cookie',
      res: { status: Nfsstat3.NFS3ERR_BAD_COOKIE, dirAttributes: undefined },
      words: [10003, FALSE],
    },
  ],
};

const READDIRPLUS: GoldenProcedure<Nfs3Proc.READDIRPLUS> = {
  proc: Nfs3Proc.READDIRPLUS,
  name: 'READDIRPLUS',
  args: { dir: DIR_FH, cookie: 3n, cookieverf: VERF, dircount: 1024, maxcount: 8192 },
  argsWords: [...fh(DIR_FH), 0, 3, ...fixed(VERF), 1024, 8192],
  replies: [
    {
      label: 'ok',
      res: {
        status: OK,
        dirAttributes: DIR_ATTR,
        cookieverf: VERF,
        entries: [
          { fileid: FILE_ATTR.fileid, name: 'hello.txt', cookie: 4n, nameAttributes: FILE_ATTR, nameHandle: FH },
          { fileid: 9n, name: 'x', cookie: 5n, nameAttributes: undefined, nameHandle: undefined },
        ],
        eof: false,
      },
      words: [
        OK, ...postOpWords(DIR_ATTR), ...fixed(VERF),
        TRUE, ...u64(FILE_ATTR.fileid), ...str('hello.txt'), 0, 4, ...postOpWords(FILE_ATTR), TRUE, ...fh(FH),
        TRUE, 0, 9, ...str('x'), 0, 5, FALSE, FALSE,
        FALSE, FALSE,
      ],
    },
    {
      label: 'toosmall',
      res: { status: Nfsstat3.NFS3ERR_TOOSMALL, dirAttributes: DIR_ATTR },
      words: [10005, ...postOpWords(DIR_ATTR)],
    },
  ],
};

const FSSTAT: GoldenProcedure<Nfs3Proc.FSSTAT> = {
  proc: Nfs3Proc.FSSTAT,
  name: 'FSSTAT',
  args: { fsroot: FH },
  argsWords: fh(FH),
  replies: [
    {
      label: 'ok',
      res: {
        status: OK,
        objAttributes: DIR_ATTR,
        tbytes: 0x100_0000_0000n,
        fbytes: 0x80_0000_0000n,
        abytes: 0x7f_ffff_f000n,
        tfiles: 1_000_000n,
        ffiles: 999_000n,
        afiles: 998_000n,
        invarsec: 0,
      },
      words: [
        OK, ...postOpWords(DIR_ATTR),
        0x100, 0, 0x80, 0, 0x7f, 0xffff_f000,
        0, 1_000_000, 0, 999_000, 0, 998_000,
        0,
      ],
    },
    { label: 'serverfault', res: { status: Nfsstat3.NFS3ERR_SERVERFAULT, objAttributes: undefined }, words: [10006, FALSE] },
  ],
};

const FSINFO: GoldenProcedure<Nfs3Proc.FSINFO> = {
  proc: Nfs3Proc.FSINFO,
  name: 'FSINFO',
  args: { fsroot: FH },
  argsWords: fh(FH),
  replies: [
    {
      label: 'ok',
      res: {
        status: OK,
        objAttributes: undefined,
        rtmax: 1 << 20,
        rtpref: 1 << 20,
        rtmult: 4096,
        wtmax: 1 << 20,
        wtpref: 1 << 20,
        wtmult: 4096,
        dtpref: 65536,
        maxfilesize: 0x7fff_ffff_ffff_ffffn,
        timeDelta: { seconds: 0, nseconds: 1 },
        properties: 0x1b,
      },
      words: [OK, FALSE, 1 << 20, 1 << 20, 4096, 1 << 20, 1 << 20, 4096, 65536, 0x7fff_ffff, 0xffff_ffff, 0, 1, 0x1b],
    },
    { label: 'jukebox', res: { status: Nfsstat3.NFS3ERR_JUKEBOX, objAttributes: DIR_ATTR }, words: [10008, ...postOpWords(DIR_ATTR)] },
  ],
};

const PATHCONF: GoldenProcedure<Nfs3Proc.PATHCONF> = {
  proc: Nfs3Proc.PATHCONF,
  name: 'PATHCONF',
  args: { object: FH },
  argsWords: fh(FH),
  replies: [
    {
      label: 'ok',
      res: {
        status: OK,
        objAttributes: FILE_ATTR,
        linkmax: 32000,
        nameMax: 255,
        noTrunc: true,
        chownRestricted: true,
        caseInsensitive: false,
        casePreserving: true,
      },
      words: [OK, ...postOpWords(FILE_ATTR), 32000, 255, TRUE, TRUE, FALSE, TRUE],
    },
  ],
};

const COMMIT: GoldenProcedure<Nfs3Proc.COMMIT> = {
  proc: Nfs3Proc.COMMIT,
  name: 'COMMIT',
  args: { file: FH, offset: 0n, count: 0 },
  argsWords: [...fh(FH), 0, 0, 0],
  replies: [
    { label: 'ok', res: { status: OK, fileWcc: FILE_WCC, verf: VERF }, words: [OK, ...wccWords(FILE_WCC), ...fixed(VERF)] },
    { label: 'io', res: { status: Nfsstat3.NFS3ERR_IO, fileWcc: FILE_WCC }, words: [5, ...wccWords(FILE_WCC)] },
  ],
};

/** Indexed by procedure number: NFS3_GOLDEN[p].proc === p. */
export const NFS3_GOLDEN: readonly GoldenProcedure<any>[] = [
  NULL, GETATTR, SETATTR, LOOKUP, ACCESS, READLINK, READ, WRITE, CREATE, MKDIR, SYMLINK, MKNOD,
  REMOVE, RMDIR, RENAME, LINK, READDIR, READDIRPLUS, FSSTAT, FSINFO, PATHCONF, COMMIT,
];
