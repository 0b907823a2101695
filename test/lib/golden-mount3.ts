/**
 * Sample MOUNT v3 and v1 calls and replies with their expected wire form, hand-assembled from
 * 32-bit words. Shared by the MOUNT codec test and the tshark test.
 */

import { MountProc, Mountstat3 } from '../../protocol/mount3/index.js';
import { FALSE, TRUE, fixed, opaque, str, type Words } from './golden-words.js';

export interface MountGolden {
  version: 1 | 3;
  proc: MountProc;
  name: string;
  args: unknown;
  argsWords: Words;
  replies: { label: string; res: unknown; words: Words }[];
}

export const ROOT_FH = Buffer.from([0xfa, 0x11, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
export const V1_FH = Buffer.alloc(32, 0x5a);
const AUTH_NONE = 0;
const AUTH_SYS = 1;

export const MOUNT_GOLDEN: readonly MountGolden[] = [
  {
    version: 3,
    proc: MountProc.NULL,
    name: 'NULL',
    args: undefined,
    argsWords: [],
    replies: [{ label: 'void', res: undefined, words: [] }],
  },
  {
    version: 3,
    proc: MountProc.MNT,
    name: 'MNT',
    args: '/export/union',
    argsWords: str('/export/union'),
    replies: [
      {
        label: 'ok',
        res: { status: Mountstat3.MNT3_OK, fhandle: ROOT_FH, authFlavors: [AUTH_SYS, AUTH_NONE] },
        words: [0, ...opaque(ROOT_FH), 2, AUTH_SYS, AUTH_NONE],
      },
      { label: 'noent', res: { status: Mountstat3.MNT3ERR_NOENT }, words: [2] },
      { label: 'acces', res: { status: Mountstat3.MNT3ERR_ACCES }, words: [13] },
    ],
  },
  {
    version: 3,
    proc: MountProc.DUMP,
    name: 'DUMP',
    args: undefined,
    argsWords: [],
    replies: [
      {
        label: 'two mounts',
        res: [
          { hostname: 'client-a', directory: '/export/union' },
          { hostname: '10.0.0.7', directory: '/' },
        ],
        words: [TRUE, ...str('client-a'), ...str('/export/union'), TRUE, ...str('10.0.0.7'), ...str('/'), FALSE],
      },
      { label: 'empty', res: [], words: [FALSE] },
    ],
  },
  {
    version: 3,
    proc: MountProc.UMNT,
    name: 'UMNT',
    args: '/export/union',
    argsWords: str('/export/union'),
    replies: [{ label: 'void', res: undefined, words: [] }],
  },
  {
    version: 3,
    proc: MountProc.UMNTALL,
    name: 'UMNTALL',
    args: undefined,
    argsWords: [],
    replies: [{ label: 'void', res: undefined, words: [] }],
  },
  {
    version: 3,
    proc: MountProc.EXPORT,
    name: 'EXPORT',
    args: undefined,
    argsWords: [],
    replies: [
      {
        label: 'two exports',
        res: [
          { dir: '/export/union', groups: ['trusted', '192.168.1.0/24'] },
          { dir: '/export/ro', groups: [] },
        ],
        words: [
          TRUE, ...str('/export/union'), TRUE, ...str('trusted'), TRUE, ...str('192.168.1.0/24'), FALSE,
          TRUE, ...str('/export/ro'), FALSE,
          FALSE,
        ],
      },
    ],
  },
  {
    version: 1,
    proc: MountProc.MNT,
    name: 'MNT',
    args: '/export/union',
    argsWords: str('/export/union'),
    replies: [
      { label: 'v1 ok', res: { status: 0, fhandle: V1_FH }, words: [0, ...fixed(V1_FH)] },
      { label: 'v1 errno', res: { status: 13 }, words: [13] },
    ],
  },
];
