/**
 * Round trip of every NFSv3 XDR type and of every procedure's arguments and results: encode, then
 * decode, must give back the value and consume exactly the bytes written. Values come from a seeded
 * generator so 64-bit fields take values above 2^53 and every union arm is visited.
 */

import t, { type Test } from 'tap';
import { XdrReader, XdrWriter } from '../../protocol/xdr/index.js';
import * as nfs from '../../protocol/nfs3/index.js';
import { Createmode3, Ftype3, NFSSTAT3_VALUES, Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import type { Fattr3, Nfstime3, Sattr3, WccData } from '../../protocol/nfs3/index.js';
import { NFS3_GOLDEN } from '../lib/golden-nfs3.js';

/** mulberry32: a tiny seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}
const rand = prng(0x5eed);
const u32 = () => Math.floor(rand() * 0x1_0000_0000);
const u64 = () => (BigInt(u32()) << 32n) | BigInt(u32());
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
const time = (): Nfstime3 => ({ seconds: u32(), nseconds: Math.floor(rand() * 1e9) });
const NAMES = ['a', 'ab', 'abc', 'abcd', 'héllo wörld', '日本語のファイル', 'x'.repeat(255), '.hidden', 'spaces in name'];
const FTYPES = [Ftype3.NF3REG, Ftype3.NF3DIR, Ftype3.NF3BLK, Ftype3.NF3CHR, Ftype3.NF3LNK, Ftype3.NF3SOCK, Ftype3.NF3FIFO];

function fattr(): Fattr3 {
  return {
    type: pick(FTYPES),
    mode: u32() & 0o7777,
    nlink: u32(),
    uid: u32(),
    gid: u32(),
    size: u64(),
    used: u64(),
    rdev: { specdata1: u32(), specdata2: u32() },
    fsid: u64(),
    fileid: u64(),
    atime: time(),
    mtime: time(),
    ctime: time(),
  };
}
const fh = () => bytes(Math.floor(rand() * 65));
const maybe = <T>(make: () => T): T | undefined => (rand() < 0.5 ? make() : undefined);
const wcc = (): WccData => ({ before: maybe(() => ({ size: u64(), mtime: time(), ctime: time() })), after: maybe(fattr) });

function sattr(): Sattr3 {
  const s: Sattr3 = {};
  if (rand() < 0.5) s.mode = u32() & 0o7777;
  if (rand() < 0.5) s.uid = u32();
  if (rand() < 0.5) s.gid = u32();
  if (rand() < 0.5) s.size = u64();
  const t = rand();
  if (t < 0.33) s.atime = 'server';
  else if (t < 0.66) s.atime = time();
  const m = rand();
  if (m < 0.33) s.mtime = 'server';
  else if (m < 0.66) s.mtime = time();
  return s;
}

function roundTrip<T>(
  t: Test,
  encode: (w: XdrWriter, v: T) => void,
  decode: (r: XdrReader) => T,
  value: T,
  msg: string,
): void {
  const w = new XdrWriter(16);
  encode(w, value);
  const buf = w.toBuffer();
  t.equal(buf.length % 4, 0, `${msg}: 4-byte aligned`);
  const r = new XdrReader(buf);
  t.same(decode(r), value, msg);
  t.ok(r.atEnd(), `${msg}: consumed exactly`);
}

t.test('basic types', async (t) => {
  for (let i = 0; i < 50; i++) {
    roundTrip(t, nfs.encodeNfsFh3, nfs.decodeNfsFh3, fh(), 'nfs_fh3');
    roundTrip(t, nfs.encodeFilename3, nfs.decodeFilename3, pick(NAMES), 'filename3');
    roundTrip(t, nfs.encodeNfspath3, nfs.decodeNfspath3, `/${pick(NAMES)}/../${pick(NAMES)}`, 'nfspath3');
    roundTrip(t, nfs.encodeVerifier8, (r) => nfs.decodeVerifier8(r), bytes(8), 'verifier');
    roundTrip(t, nfs.encodeNfstime3, nfs.decodeNfstime3, time(), 'nfstime3');
    roundTrip(t, nfs.encodeSpecdata3, nfs.decodeSpecdata3, { specdata1: u32(), specdata2: u32() }, 'specdata3');
    roundTrip(t, nfs.encodeFattr3, nfs.decodeFattr3, fattr(), 'fattr3');
    roundTrip(t, nfs.encodePostOpAttr, nfs.decodePostOpAttr, maybe(fattr), 'post_op_attr');
    roundTrip(t, nfs.encodeWccAttr, nfs.decodeWccAttr, { size: u64(), mtime: time(), ctime: time() }, 'wcc_attr');
    roundTrip(t, nfs.encodePreOpAttr, nfs.decodePreOpAttr, maybe(() => ({ size: u64(), mtime: time(), ctime: time() })), 'pre_op_attr');
    roundTrip(t, nfs.encodeWccData, nfs.decodeWccData, wcc(), 'wcc_data');
    roundTrip(t, nfs.encodePostOpFh3, nfs.decodePostOpFh3, maybe(fh), 'post_op_fh3');
    roundTrip(t, nfs.encodeSattr3, nfs.decodeSattr3, sattr(), 'sattr3');
    roundTrip(t, nfs.encodeSattrguard3, nfs.decodeSattrguard3, maybe(time), 'sattrguard3');
    roundTrip(t, nfs.encodeDiropargs3, nfs.decodeDiropargs3, { dir: fh(), name: pick(NAMES) }, 'diropargs3');
    roundTrip(t, nfs.encodeEntry3, nfs.decodeEntry3, { fileid: u64(), name: pick(NAMES), cookie: u64() }, 'entry3');
    roundTrip(
      t,
      nfs.encodeEntryplus3,
      nfs.decodeEntryplus3,
      { fileid: u64(), name: pick(NAMES), cookie: u64(), nameAttributes: maybe(fattr), nameHandle: maybe(fh) },
      'entryplus3',
    );
    roundTrip(t, nfs.encodeSymlinkdata3, nfs.decodeSymlinkdata3, { symlinkAttributes: sattr(), symlinkData: pick(NAMES) }, 'symlinkdata3');
    roundTrip(
      t,
      nfs.encodeDevicedata3,
      nfs.decodeDevicedata3,
      { devAttributes: sattr(), spec: { specdata1: u32(), specdata2: u32() } },
      'devicedata3',
    );
  }
});

t.test('sattr3: every member set, none set, and each time_how arm', async (t) => {
  const all: Sattr3 = { mode: 0o4755, uid: 0xffff_fffe, gid: 0, size: 2n ** 64n - 1n, atime: 'server', mtime: { seconds: 1, nseconds: 2 } };
  roundTrip(t, nfs.encodeSattr3, nfs.decodeSattr3, all, 'all set');
  roundTrip(t, nfs.encodeSattr3, nfs.decodeSattr3, {}, 'none set');
  roundTrip(t, nfs.encodeSattr3, nfs.decodeSattr3, { atime: { seconds: 5, nseconds: 6 }, mtime: 'server' }, 'times swapped');
  const decoded = nfs.decodeSattr3(new XdrReader((() => {
    const w = new XdrWriter();
    nfs.encodeSattr3(w, {});
    return w.toBuffer();
  })()));
  t.same(Object.keys(decoded), [], 'an empty sattr3 decodes to an object with no members');
});

t.test('createhow3 and mknoddata3: every arm', async (t) => {
  const hows: nfs.Createhow3[] = [
    { mode: Createmode3.UNCHECKED, objAttributes: sattr() },
    { mode: Createmode3.GUARDED, objAttributes: sattr() },
    { mode: Createmode3.EXCLUSIVE, verf: bytes(8) },
  ];
  for (const how of hows) roundTrip(t, nfs.encodeCreatehow3, nfs.decodeCreatehow3, how, `createhow3 mode ${how.mode}`);
  const whats: nfs.Mknoddata3[] = [
    { type: Ftype3.NF3CHR, device: { devAttributes: sattr(), spec: { specdata1: 1, specdata2: 2 } } },
    { type: Ftype3.NF3BLK, device: { devAttributes: sattr(), spec: { specdata1: 8, specdata2: 0 } } },
    { type: Ftype3.NF3SOCK, pipeAttributes: sattr() },
    { type: Ftype3.NF3FIFO, pipeAttributes: sattr() },
    { type: Ftype3.NF3REG },
    { type: Ftype3.NF3DIR },
    { type: Ftype3.NF3LNK },
  ];
  for (const what of whats) roundTrip(t, nfs.encodeMknoddata3, nfs.decodeMknoddata3, what, `mknoddata3 type ${what.type}`);
});

t.test('every nfsstat3 value survives a failure arm', async (t) => {
  t.equal(NFSSTAT3_VALUES.size, 29, 'RFC 1813 defines 29 status values');
  const codec = nfs.NFS3_PROCEDURES[Nfs3Proc.LOOKUP];
  for (const status of NFSSTAT3_VALUES) {
    if (status === Nfsstat3.NFS3_OK) continue;
    roundTrip(t, codec.encodeRes, codec.decodeRes, { status: status as nfs.Nfs3Error, dirAttributes: maybe(fattr) }, `status ${status}`);
  }
});

t.test('every procedure: golden samples and randomized arguments and results', async (t) => {
  for (const g of NFS3_GOLDEN) {
    const codec = nfs.NFS3_PROCEDURES[g.proc as Nfs3Proc] as (typeof nfs.NFS3_PROCEDURES)[Nfs3Proc.GETATTR];
    roundTrip(t, codec.encodeArgs, codec.decodeArgs, g.args, `${g.name} args`);
    for (const reply of g.replies) roundTrip(t, codec.encodeRes, codec.decodeRes, reply.res, `${g.name} ${reply.label}`);
  }
  const P = nfs.NFS3_PROCEDURES;
  for (let i = 0; i < 20; i++) {
    const OK = Nfsstat3.NFS3_OK;
    roundTrip(t, P[Nfs3Proc.SETATTR].encodeArgs, P[Nfs3Proc.SETATTR].decodeArgs, { object: fh(), newAttributes: sattr() }, 'SETATTR no guard');
    roundTrip(t, P[Nfs3Proc.READ].encodeArgs, P[Nfs3Proc.READ].decodeArgs, { file: fh(), offset: u64(), count: u32() }, 'READ args');
    const data = bytes(Math.floor(rand() * 5000));
    roundTrip(
      t,
      P[Nfs3Proc.READ].encodeRes,
      P[Nfs3Proc.READ].decodeRes,
      { status: OK, fileAttributes: maybe(fattr), count: data.length, eof: rand() < 0.5, data },
      'READ res (referenced data above the copy threshold)',
    );
    roundTrip(
      t,
      P[Nfs3Proc.WRITE].encodeArgs,
      P[Nfs3Proc.WRITE].decodeArgs,
      { file: fh(), offset: u64(), count: data.length, stable: pick([StableHow.UNSTABLE, StableHow.DATA_SYNC, StableHow.FILE_SYNC]), data },
      'WRITE args',
    );
    roundTrip(
      t,
      P[Nfs3Proc.WRITE].encodeRes,
      P[Nfs3Proc.WRITE].decodeRes,
      { status: OK, fileWcc: wcc(), count: u32(), committed: StableHow.UNSTABLE, verf: bytes(8) },
      'WRITE res',
    );
    roundTrip(
      t,
      P[Nfs3Proc.CREATE].encodeRes,
      P[Nfs3Proc.CREATE].decodeRes,
      { status: OK, obj: maybe(fh), objAttributes: maybe(fattr), dirWcc: wcc() },
      'CREATE res',
    );
    roundTrip(t, P[Nfs3Proc.RENAME].encodeRes, P[Nfs3Proc.RENAME].decodeRes, { status: Nfsstat3.NFS3ERR_ACCES, fromdirWcc: wcc(), todirWcc: wcc() }, 'RENAME fail');
    const entries = Array.from({ length: Math.floor(rand() * 30) }, () => ({
      fileid: u64(),
      name: pick(NAMES),
      cookie: u64(),
      nameAttributes: maybe(fattr),
      nameHandle: maybe(fh),
    }));
    roundTrip(
      t,
      P[Nfs3Proc.READDIRPLUS].encodeRes,
      P[Nfs3Proc.READDIRPLUS].decodeRes,
      { status: OK, dirAttributes: maybe(fattr), cookieverf: bytes(8), entries, eof: rand() < 0.5 },
      'READDIRPLUS res',
    );
    roundTrip(
      t,
      P[Nfs3Proc.READDIR].encodeRes,
      P[Nfs3Proc.READDIR].decodeRes,
      {
        status: OK,
        dirAttributes: maybe(fattr),
        cookieverf: bytes(8),
        entries: entries.map(({ fileid, name, cookie }) => ({ fileid, name, cookie })),
        eof: rand() < 0.5,
      },
      'READDIR res',
    );
  }
});

t.test('opaques are views, never copies', async (t) => {
  const data = Buffer.alloc(1 << 20, 0xab);
  const w = new XdrWriter(256);
  nfs.encodeWrite3Args(w, { file: Buffer.from([1, 2, 3, 4]), offset: 0n, count: data.length, stable: StableHow.UNSTABLE, data });
  const chunks = w.finish();
  t.ok(chunks.includes(data), 'WRITE data is referenced by the client encoder');
  const record = Buffer.concat(chunks);
  const args = nfs.decodeWrite3Args(new XdrReader(record));
  t.equal(args.data.buffer, record.buffer, 'decoded WRITE data shares the record memory');
  // fh (length + 4 bytes) + offset + count + stable + data length = 28 bytes before the data.
  t.equal(args.data.byteOffset, record.byteOffset + 8 + 8 + 4 + 4 + 4, 'the view starts at the data');

  const rw = new XdrWriter(256);
  nfs.encodeRead3Res(rw, { status: Nfsstat3.NFS3_OK, fileAttributes: undefined, count: data.length, eof: true, data });
  t.ok(rw.finish().includes(data), 'READ reply data is referenced by the server encoder');
});
