import t from 'tap';
import { XdrReader, XdrWriter, XdrDecodeError } from '../../protocol/xdr/index.js';

t.test('uint64 round trip keeps full precision', async (t) => {
  const values = [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 53n + 1n, 2n ** 64n - 1n];
  const w = new XdrWriter(16);
  for (const v of values) w.uint64(v);
  const r = new XdrReader(w.toBuffer());
  for (const v of values) t.equal(r.uint64(), v);
  t.ok(r.atEnd());
});

t.test('opaque and string are padded with zeros', async (t) => {
  const w = new XdrWriter();
  w.opaque(Buffer.from([1, 2, 3])).string('héllo');
  const b = w.toBuffer();
  t.same([...b.subarray(0, 8)], [0, 0, 0, 3, 1, 2, 3, 0]);
  const r = new XdrReader(b);
  t.same([...r.opaque(3)], [1, 2, 3]);
  t.equal(r.string(16), 'héllo');
  t.ok(r.atEnd());
});

t.test('reads never pass the end of the record', async (t) => {
  const buf = Buffer.from([0, 0, 0, 8, 1, 2, 3, 4, 9, 9, 9, 9]);
  t.throws(() => new XdrReader(buf, 0, 8).opaque(100), XdrDecodeError);
  t.throws(() => new XdrReader(buf).opaque(4), XdrDecodeError, 'length above max');
  t.throws(() => new XdrReader(Buffer.from([0, 0, 0, 2])).bool(), XdrDecodeError);
  t.throws(() => new XdrReader(Buffer.from([0, 0])).uint32(), XdrDecodeError);
  t.throws(() => new XdrReader(Buffer.from([0, 0, 0, 1, 0xff, 0xfe, 0, 0])).string(8, 'name', true), XdrDecodeError);
});

t.test('large opaques are referenced, not copied, and the record mark covers them', async (t) => {
  const data = Buffer.alloc(1 << 20, 7);
  const w = new XdrWriter(64, true);
  w.uint32(42).opaqueRef(data).uint32(43);
  const chunks = w.finish();
  t.ok(chunks.includes(data), 'data buffer passed through by reference');
  const all = Buffer.concat(chunks);
  t.equal(all.readUInt32BE(0), (0x8000_0000 | (all.length - 4)) >>> 0);
  const r = new XdrReader(all, 4);
  t.equal(r.uint32(), 42);
  t.equal(r.opaque(1 << 20).length, 1 << 20);
  t.equal(r.uint32(), 43);
});

t.test('patch across buffer growth; growth copies nothing and keeps fields whole', async (t) => {
  const w = new XdrWriter(16);
  const slot = w.reserveUint32();
  for (let i = 0; i < 100; i++) w.uint32(i);
  w.string('x'.repeat(70_000));
  w.uint64(0x1234_5678_9abc_def0n);
  w.patchUint32(slot, 100);
  const chunks = w.finish();
  t.ok(chunks.length > 3, 'grown in several buffers');
  const r = new XdrReader(Buffer.concat(chunks));
  t.equal(r.uint32(), 100);
  for (let i = 0; i < 100; i++) t.equal(r.uint32(), i);
  t.equal(r.string(100_000), 'x'.repeat(70_000));
  t.equal(r.uint64(), 0x1234_5678_9abc_def0n);
  t.ok(r.atEnd());
});
