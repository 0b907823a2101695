/**
 * Protocol-layer benchmark: the per-call cost of our XDR codecs on the hot paths, each next to a
 * plain Buffer.copy of the same bytes measured in the same run.
 *
 * - GETATTR: decode the RPC call header and arguments, encode the accepted-reply header and a
 *   full fattr3 result with a record mark (what the server does per GETATTR, minus the handler).
 * - READ 1 MiB reply: header + post_op_attr + the data appended by reference (opaqueRef). The
 *   transport writes the chunk list with writev, so no user-space copy of the data happens.
 * - WRITE 1 MiB call: header + arguments decoded; the data is a view of the record.
 * - READDIRPLUS: choose entries with DirlistBudget for a 32 KiB maxcount and encode the reply.
 *
 * Target: WRITE decode and READ encode each cost at most 2x the bare copy of their payload.
 */

import { XdrReader, XdrWriter } from '../protocol/xdr/index.js';
import { AuthFlavor } from '../protocol/rpc/types.js';
import { credentialsToAuth, decodeCallHeader, encodeCallHeader, writeSuccessHeader } from '../protocol/rpc/index.js';
import {
  DirlistBudget,
  Ftype3,
  NFS_PROGRAM,
  NFS_V3,
  Nfs3Proc,
  Nfsstat3,
  StableHow,
  decodeGetattr3Args,
  decodeWrite3Args,
  encodeGetattr3Args,
  encodeGetattr3Res,
  encodeRead3Res,
  encodeReaddirplus3Res,
  encodeWrite3Args,
  type Entryplus3,
  type Fattr3,
} from '../protocol/nfs3/index.js';
import { FULL_WINDOW, QUICK_WINDOW, measureInterleaved } from './lib/measure.js';
import type { BenchOptions, BenchSuite, Row } from './lib/suite.js';

const MiB = 1 << 20;
const FH = Buffer.from('fa11000100000000000000020000000000000007deadbeef', 'hex');
const CRED = credentialsToAuth({ flavor: AuthFlavor.AUTH_SYS, stamp: 1, machineName: 'bench', uid: 1000, gid: 1000, gids: [1000, 27] });

const ATTR: Fattr3 = {
  type: Ftype3.NF3REG,
  mode: 0o644,
  nlink: 1,
  uid: 1000,
  gid: 1000,
  size: 123_456_789n,
  used: 123_461_632n,
  rdev: { specdata1: 0, specdata2: 0 },
  fsid: 0x0123_4567_89ab_cdefn,
  fileid: 0x8000_0000_0000_1234n,
  atime: { seconds: 1_700_000_000, nseconds: 1 },
  mtime: { seconds: 1_700_000_001, nseconds: 2 },
  ctime: { seconds: 1_700_000_002, nseconds: 3 },
};

function callRecord(procedure: number, encodeArgs: (w: XdrWriter) => void): Buffer {
  const w = new XdrWriter(256);
  encodeCallHeader(w, { xid: 0x1234, program: NFS_PROGRAM, version: NFS_V3, procedure, cred: CRED });
  encodeArgs(w);
  return Buffer.from(w.toBuffer());
}

const totalLength = (chunks: Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);

/** One row comparing `op` (moving `bytes` per call) with a Buffer.copy of the same bytes. */
function versusCopy(
  benchmark: string,
  op: () => unknown,
  bytes: number,
  window: typeof FULL_WINDOW,
  unit: { name: string; perCall: number },
  note: string,
): Row {
  const src = Buffer.alloc(bytes, 0x5a);
  const dst = Buffer.alloc(bytes);
  const copy = () => src.copy(dst);
  const [opsPerSec, copiesPerSec] = measureInterleaved([op, copy], window);
  const result = opsPerSec * unit.perCall;
  const reference = copiesPerSec * unit.perCall;
  return { benchmark, result, unit: unit.name, reference, costVsCopy: reference / result, note };
}

function getattrRow(window: typeof FULL_WINDOW): Row {
  const call = callRecord(Nfs3Proc.GETATTR, (w) => encodeGetattr3Args(w, { object: FH }));
  const res = { status: Nfsstat3.NFS3_OK, objAttributes: ATTR } as const;
  const op = () => {
    const r = new XdrReader(call);
    const header = decodeCallHeader(r);
    const args = decodeGetattr3Args(r);
    const w = new XdrWriter(256, true);
    writeSuccessHeader(w, header.xid);
    encodeGetattr3Res(w, res);
    return [w.finish(), args];
  };
  const replyBytes = totalLength(op()[0] as Buffer[]);
  return versusCopy(
    'GETATTR: decode call + encode reply',
    op,
    call.length + replyBytes,
    window,
    { name: 'calls/s', perCall: 1 },
    `${call.length}-byte call, ${replyBytes}-byte reply; the copy moves both`,
  );
}

function readRow(window: typeof FULL_WINDOW, flatten: boolean): Row {
  const data = Buffer.alloc(MiB, 0x61);
  const op = () => {
    const w = new XdrWriter(256, true);
    writeSuccessHeader(w, 0x1234);
    encodeRead3Res(w, { status: Nfsstat3.NFS3_OK, fileAttributes: ATTR, count: data.length, eof: false, data });
    return flatten ? w.toBuffer() : w.finish();
  };
  return versusCopy(
    flatten ? 'encode 1 MiB READ reply, flattened to one Buffer' : 'encode 1 MiB READ reply',
    op,
    MiB,
    window,
    { name: 'MiB/s', perCall: 1 },
    flatten
      ? 'for comparison only: a transport needing one buffer pays one copy'
      : 'data referenced (opaqueRef), handed to writev as chunks',
  );
}

function writeRow(window: typeof FULL_WINDOW): Row {
  const data = Buffer.alloc(MiB, 0x62);
  const call = callRecord(Nfs3Proc.WRITE, (w) =>
    encodeWrite3Args(w, { file: FH, offset: 0n, count: data.length, stable: StableHow.UNSTABLE, data }),
  );
  const op = () => {
    const r = new XdrReader(call);
    decodeCallHeader(r);
    return decodeWrite3Args(r);
  };
  return versusCopy('decode 1 MiB WRITE call', op, MiB, window, { name: 'MiB/s', perCall: 1 }, 'data is a view of the record');
}

function readdirplusRow(window: typeof FULL_WINDOW): Row {
  const dir: Entryplus3[] = Array.from({ length: 2000 }, (_, i) => ({
    fileid: 0x1000n + BigInt(i),
    name: `file-${String(i).padStart(6, '0')}.txt`,
    cookie: BigInt(i + 3),
    nameAttributes: { ...ATTR, fileid: 0x1000n + BigInt(i) },
    nameHandle: FH,
  }));
  const maxcount = 32 * 1024;
  const cookieverf = Buffer.alloc(8);
  let entriesPerReply = 0;
  const op = () => {
    const budget = DirlistBudget.forReaddirplus(maxcount, Infinity, ATTR);
    let n = 0;
    while (n < dir.length && budget.addEntryplus3(dir[n])) n++;
    entriesPerReply = n;
    const w = new XdrWriter(maxcount + 64, true);
    writeSuccessHeader(w, 0x1234);
    encodeReaddirplus3Res(w, {
      status: Nfsstat3.NFS3_OK,
      dirAttributes: ATTR,
      cookieverf,
      entries: n === dir.length ? dir : dir.slice(0, n),
      eof: n === dir.length,
    });
    return w.finish();
  };
  const replyBytes = totalLength(op());
  return versusCopy(
    'READDIRPLUS: budget + encode reply',
    op,
    replyBytes,
    window,
    { name: 'entries/s', perCall: entriesPerReply },
    `${entriesPerReply} entries with attributes and handles per ${replyBytes}-byte reply (maxcount 32 KiB)`,
  );
}

export const protocolSuite: BenchSuite = {
  name: 'protocol',
  async run(opts: BenchOptions): Promise<Row[]> {
    const window = opts.quick ? QUICK_WINDOW : FULL_WINDOW;
    return [getattrRow(window), readRow(window, false), readRow(window, true), writeRow(window), readdirplusRow(window)];
  },
};
