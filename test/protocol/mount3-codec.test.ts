/**
 * MOUNT v3 and v1 codecs: golden bytes for every procedure (expected bytes hand-built from words),
 * round trips, and malformed input raising XdrDecodeError.
 */

import t from 'tap';
import { XdrDecodeError, XdrReader, XdrWriter } from '../../protocol/xdr/index.js';
import {
  MNTPATHLEN,
  MOUNT1_PROCEDURES,
  MOUNT3_PROCEDURES,
  MountProc,
  decodeDirpath,
  decodeMountres3,
  encodeDirpath,
  encodeFhstatus,
  encodeMountres3,
  Mountstat3,
  MOUNTSTAT3_VALUES,
} from '../../protocol/mount3/index.js';
import type { ProcedureCodec } from '../../protocol/nfs3/index.js';
import { MOUNT_GOLDEN } from '../lib/golden-mount3.js';
import { FALSE, TRUE, bytesOf, opaque, str } from '../lib/golden-words.js';

function codecOf(version: 1 | 3, proc: MountProc): ProcedureCodec<unknown, unknown> {
  const table = version === 3 ? MOUNT3_PROCEDURES : MOUNT1_PROCEDURES;
  return table[proc] as ProcedureCodec<unknown, unknown>;
}

function encode(fn: (w: XdrWriter, v: unknown) => void, v: unknown): Buffer {
  const w = new XdrWriter(64);
  fn(w, v);
  return w.toBuffer();
}

t.test('golden table covers the six procedures of v3 and MNT of v1', async (t) => {
  t.same(
    MOUNT_GOLDEN.filter((g) => g.version === 3).map((g) => g.proc),
    [MountProc.NULL, MountProc.MNT, MountProc.DUMP, MountProc.UMNT, MountProc.UMNTALL, MountProc.EXPORT],
  );
  for (const g of MOUNT_GOLDEN) t.equal(codecOf(g.version, g.proc).name, g.name);
});

for (const g of MOUNT_GOLDEN) {
  const codec = codecOf(g.version, g.proc);
  t.test(`v${g.version} ${g.name} call`, async (t) => {
    const expected = bytesOf(g.argsWords);
    t.same([...encode(codec.encodeArgs, g.args)], [...expected], 'client encodes the golden bytes');
    const r = new XdrReader(expected);
    t.same(codec.decodeArgs(r), g.args, 'server decodes them');
    t.ok(r.atEnd());
    for (let len = 0; len < expected.length; len++) {
      t.throws(() => codec.decodeArgs(new XdrReader(expected, 0, len)), XdrDecodeError, `truncated at ${len}`);
    }
  });
  for (const reply of g.replies) {
    t.test(`v${g.version} ${g.name} reply (${reply.label})`, async (t) => {
      const expected = bytesOf(reply.words);
      t.same([...encode(codec.encodeRes, reply.res)], [...expected], 'server encodes the golden bytes');
      const r = new XdrReader(expected);
      t.same(codec.decodeRes(r), reply.res, 'client decodes them');
      t.ok(r.atEnd());
      for (let len = 0; len < expected.length; len++) {
        t.throws(() => codec.decodeRes(new XdrReader(expected, 0, len)), XdrDecodeError, `truncated at ${len}`);
      }
    });
  }
}

t.test('every mountstat3 failure round-trips', async (t) => {
  t.equal(MOUNTSTAT3_VALUES.size, 10);
  for (const status of MOUNTSTAT3_VALUES) {
    if (status === Mountstat3.MNT3_OK) continue;
    const w = new XdrWriter();
    encodeMountres3(w, { status: status as Exclude<Mountstat3, Mountstat3.MNT3_OK> });
    t.same(decodeMountres3(new XdrReader(w.toBuffer())), { status });
  }
});

t.test('dirpath bounds', async (t) => {
  const max = '/' + 'd'.repeat(MNTPATHLEN - 1);
  const w = new XdrWriter();
  encodeDirpath(w, max);
  t.equal(decodeDirpath(new XdrReader(w.toBuffer())), max, 'a 1024-byte dirpath is fine');
  t.throws(() => decodeDirpath(new XdrReader(bytesOf(str(max + 'x')))), XdrDecodeError, '1025 bytes is refused');
  t.throws(() => encodeDirpath(new XdrWriter(), max + 'x'), RangeError, 'and never encoded');
  t.throws(() => decodeDirpath(new XdrReader(bytesOf(opaque([0x2f, 0xc3])))), XdrDecodeError, 'not UTF-8');
});

t.test('malformed MOUNT replies', async (t) => {
  const mnt = codecOf(3, MountProc.MNT);
  t.throws(() => mnt.decodeRes(new XdrReader(bytesOf([3]))), XdrDecodeError, 'mountstat3 3 is not defined');
  t.throws(() => mnt.decodeRes(new XdrReader(bytesOf([0, ...opaque(new Uint8Array(65)), 0]))), XdrDecodeError, 'fhandle3 of 65 bytes');
  t.throws(() => mnt.decodeRes(new XdrReader(bytesOf([0, ...opaque(new Uint8Array(4)), 1000, 1]))), XdrDecodeError, 'auth_flavors count beyond the record');
  const dump = codecOf(3, MountProc.DUMP);
  t.throws(() => dump.decodeRes(new XdrReader(bytesOf([2]))), XdrDecodeError, 'list bool 2');
  t.throws(() => dump.decodeRes(new XdrReader(bytesOf([TRUE, ...str('h'.repeat(256)), ...str('/'), FALSE]))), XdrDecodeError, 'hostname over 255 bytes');
  const exp = codecOf(3, MountProc.EXPORT);
  t.throws(() => exp.decodeRes(new XdrReader(bytesOf([TRUE, ...str('/x'), TRUE, ...str('g'), 5]))), XdrDecodeError, 'groups bool 5');
  t.throws(() => encodeFhstatus(new XdrWriter(), { status: 0, fhandle: Buffer.alloc(31) }), RangeError, 'v1 handle must be 32 bytes');
});
