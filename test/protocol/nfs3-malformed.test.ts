/**
 * Malformed NFSv3 input raises XdrDecodeError and nothing else: truncation at every byte of every
 * golden call and reply, unknown discriminants, and over-long handles, names and data.
 */

import t, { type Test } from 'tap';
import { XdrDecodeError, XdrReader, XdrWriter } from '../../protocol/xdr/index.js';
import * as nfs from '../../protocol/nfs3/index.js';
import { NFS3_MAX_DATA, NFS3_MAX_NAME_DECODE, Nfs3Proc } from '../../protocol/nfs3/index.js';
import { DIR_FH, FH, NFS3_GOLDEN, fattrWords, FILE_ATTR } from '../lib/golden-nfs3.js';
import { FALSE, TRUE, bytesOf, fixed, opaque, str, type Words } from '../lib/golden-words.js';

const P = nfs.NFS3_PROCEDURES;
const decoderOf = (p: Nfs3Proc) => P[p] as (typeof P)[Nfs3Proc.GETATTR];

function rejects(t: Test, decode: (r: XdrReader) => unknown, words: Words | Buffer, msg: string) {
  const buf = Buffer.isBuffer(words) ? words : bytesOf(words);
  t.throws(() => decode(new XdrReader(buf)), XdrDecodeError, msg);
}

t.test('every strict prefix of every golden call and reply is refused', async (t) => {
  let prefixes = 0;
  for (const g of NFS3_GOLDEN) {
    const codec = decoderOf(g.proc);
    const cases: [string, Buffer, (r: XdrReader) => unknown][] = [
      [`${g.name} call`, bytesOf(g.argsWords), codec.decodeArgs],
      ...g.replies.map((rep): [string, Buffer, (r: XdrReader) => unknown] => [`${g.name} ${rep.label}`, bytesOf(rep.words), codec.decodeRes]),
    ];
    for (const [label, full, decode] of cases) {
      for (let len = 0; len < full.length; len++) {
        try {
          decode(new XdrReader(full, 0, len));
          t.fail(`${label}: ${len} of ${full.length} bytes decoded`);
        } catch (err) {
          if (!(err instanceof XdrDecodeError)) t.fail(`${label}: ${len} bytes threw ${String(err)}`);
        }
        prefixes++;
      }
    }
  }
  t.ok(prefixes > 5000, `${prefixes} truncated inputs refused`);
});

t.test('unknown discriminants', async (t) => {
  rejects(t, decoderOf(Nfs3Proc.GETATTR).decodeRes, [3], 'nfsstat3 3 is not defined');
  rejects(t, decoderOf(Nfs3Proc.GETATTR).decodeRes, [10009], 'nfsstat3 10009 is not defined');
  const badType = fattrWords(FILE_ATTR);
  badType[0] = 8;
  rejects(t, nfs.decodeFattr3, badType, 'ftype3 8');
  badType[0] = 0;
  rejects(t, nfs.decodeFattr3, badType, 'ftype3 0');
  rejects(t, nfs.decodePostOpAttr, [2, ...fattrWords(FILE_ATTR)], 'post_op_attr bool 2');
  rejects(t, nfs.decodeSattr3, [FALSE, FALSE, FALSE, FALSE, 3, 0], 'time_how 3');
  rejects(t, nfs.decodeSattr3, [7, 0, FALSE, FALSE, FALSE, 0, 0], 'set_mode3 bool 7');
  rejects(t, decoderOf(Nfs3Proc.CREATE).decodeArgs, [...opaque(DIR_FH), ...str('f'), 3, 0, 0], 'createmode3 3');
  rejects(t, decoderOf(Nfs3Proc.WRITE).decodeArgs, [...opaque(FH), 0, 0, 1, 3, ...opaque([1])], 'stable_how 3');
  rejects(t, decoderOf(Nfs3Proc.MKNOD).decodeArgs, [...opaque(DIR_FH), ...str('n'), 9], 'mknod ftype3 9');
  rejects(t, decoderOf(Nfs3Proc.READDIR).decodeRes, [0, FALSE, 0, 0, 2], 'entry value-follows 2');
});

t.test('over-long handles, names, paths and data', async (t) => {
  rejects(t, nfs.decodeNfsFh3, opaque(new Uint8Array(65)), 'nfs_fh3 of 65 bytes');
  t.equal(nfs.decodeNfsFh3(new XdrReader(bytesOf(opaque(new Uint8Array(64))))).length, 64, 'nfs_fh3 of 64 bytes is fine');
  const long = 'n'.repeat(300);
  t.equal(
    nfs.decodeFilename3(new XdrReader(bytesOf(str(long)))),
    long,
    'a 300-byte name decodes: NAMETOOLONG is the handler\'s answer, not GARBAGE_ARGS',
  );
  rejects(t, nfs.decodeFilename3, str('n'.repeat(NFS3_MAX_NAME_DECODE + 1)), 'filename3 beyond the decode bound');
  rejects(t, nfs.decodeNfspath3, str('p'.repeat(4097)), 'nfspath3 beyond 4096 bytes');
  rejects(t, nfs.decodeFilename3, opaque([0x66, 0xff, 0xfe]), 'filename3 that is not UTF-8');
  rejects(t, nfs.decodeFilename3, [0xffff_ffff], 'a length word of 4 GiB');
  rejects(t, decoderOf(Nfs3Proc.LOOKUP).decodeArgs, [...opaque(FH), 100, ...fixed([0x61, 0x62])], 'name longer than the record');
  const hugeWrite = [...opaque(FH), 0, 0, NFS3_MAX_DATA + 1, 0, NFS3_MAX_DATA + 1];
  rejects(t, decoderOf(Nfs3Proc.WRITE).decodeArgs, hugeWrite, 'WRITE data beyond 1 MiB');
  rejects(t, decoderOf(Nfs3Proc.READDIRPLUS).decodeRes, [0, FALSE, 0, 0, TRUE, 0, 1, ...str('a'), 0, 2, FALSE, TRUE, ...opaque(new Uint8Array(65)), FALSE, TRUE], 'entryplus3 handle of 65 bytes');
});

t.test('encoders refuse values the wire cannot carry', async (t) => {
  const w = new XdrWriter();
  t.throws(() => nfs.encodeNfsFh3(w, Buffer.alloc(65)), RangeError, 'nfs_fh3 over 64 bytes');
  t.throws(() => nfs.encodeVerifier8(w, Buffer.alloc(7)), RangeError, 'verifier of 7 bytes');
  t.throws(() => w.uint64(-1n), RangeError, 'negative uint64');
});
