/** TCP record marking: the framer must give the same records however the stream is cut. */

import t from 'tap';
import { BufferPool, RecordFramer, RecordTooLargeError } from '../../protocol/rpc/index.js';
import { frameRecord } from '../lib/rpc-raw.js';

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17) & 0xff;
  return b;
}

/** Records of assorted sizes, some sent as one fragment, some as several (empty ones included). */
const records = [bytes(40, 1), bytes(0, 2), bytes(13, 3), bytes(100, 4), bytes(8, 5), bytes(257, 6)];
const fragmentations: number[][] = [[], [], [3, 7], [1, 50, 50, 99], [], [4, 128, 256]];
const stream = Buffer.concat(records.map((r, i) => frameRecord(r, fragmentations[i])));

function collect(max = 1 << 20): { framer: RecordFramer; out: Buffer[] } {
  const out: Buffer[] = [];
  return { framer: new RecordFramer(max, (r) => out.push(Buffer.from(r))), out };
}

t.test('a stream split at every byte offset gives the same records', async (t) => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const { framer, out } = collect();
    framer.push(stream.subarray(0, cut));
    framer.push(stream.subarray(cut));
    if (!t.same(out, records, `split at ${cut}`)) break;
    t.ok(framer.idle());
  }
});

t.test('a stream split at every pair of offsets gives the same records', async (t) => {
  let failures = 0;
  for (let a = 0; a <= stream.length; a += 3) {
    for (let b = a; b <= stream.length; b += 5) {
      const { framer, out } = collect();
      framer.push(stream.subarray(0, a));
      framer.push(stream.subarray(a, b));
      framer.push(stream.subarray(b));
      if (out.length !== records.length || out.some((r, i) => !r.equals(records[i]))) failures++;
    }
  }
  t.equal(failures, 0);
});

t.test('byte-at-a-time delivery', async (t) => {
  const { framer, out } = collect();
  for (let i = 0; i < stream.length; i++) framer.push(stream.subarray(i, i + 1));
  t.same(out, records);
});

t.test('many records in one chunk; a whole single-fragment record is a view, not a copy', async (t) => {
  const many = Array.from({ length: 500 }, (_, i) => bytes(i % 37, i));
  const chunk = Buffer.concat(many.map((r) => frameRecord(r)));
  const views: Buffer[] = [];
  new RecordFramer(1 << 20, (r) => views.push(r)).push(chunk);
  t.same(views, many);
  t.ok(views.filter((v) => v.length > 0).every((v) => v.buffer === chunk.buffer), 'views share the chunk memory');
});

t.test('a big record joined from pieces lands in a pooled buffer; small ones and views do not', async (t) => {
  const pool = new BufferPool(1 << 20, 4);
  const got: Array<{ record: Buffer; pooled?: Buffer }> = [];
  const framer = new RecordFramer(2 << 20, (record, pooled) => got.push({ record: Buffer.from(record), pooled }), pool);
  const big = bytes(300_000, 7);
  const small = bytes(5_000, 8);
  const tooBig = bytes((1 << 20) + 10, 9);
  const wire = Buffer.concat([frameRecord(big, [100_000, 200_000]), frameRecord(small, [2_000]), frameRecord(big), frameRecord(tooBig)]);
  for (let at = 0; at < wire.length; at += 65_536) framer.push(wire.subarray(at, at + 65_536));
  t.same(got.map((g) => g.record), [big, small, big, tooBig]);
  t.same(got.map((g) => g.pooled?.length), [1 << 20, undefined, 1 << 20, undefined], 'pooled: joined and within the pool size');
  pool.give(got[0].pooled!);
  t.equal(pool.take(), got[0].pooled, 'a buffer given back is taken again');
});

t.test('transient chunks (one read buffer, reused): every record survives the reuse; big ones go to the pool', async (t) => {
  const pool = new BufferPool(1 << 20, 4);
  const big = bytes(300_000, 7);
  const bigInOneRead = bytes(70_000, 10);
  const many = Array.from({ length: 50 }, (_, i) => bytes(i % 37, i));
  const wanted = [...many, big, bytes(5_000, 8), big, bigInOneRead, ...records];
  const wire = Buffer.concat([
    ...many.map((r) => frameRecord(r)),
    frameRecord(big),
    frameRecord(bytes(5_000, 8), [2_000]),
    frameRecord(big, [100_000, 200_000]),
    frameRecord(bigInOneRead),
    stream,
  ]);
  for (const readSize of [1, 7, 4096, 65_536, 262_144]) {
    const got: Array<{ record: Buffer; pooled?: Buffer }> = [];
    const framer = new RecordFramer(2 << 20, (record, pooled) => got.push({ record, pooled }), pool, true);
    const readBuffer = Buffer.alloc(readSize);
    for (let at = 0; at < wire.length; at += readSize) {
      const n = wire.copy(readBuffer, 0, at, at + readSize);
      framer.push(readBuffer.subarray(0, n));
      readBuffer.fill(0xee); // the next read overwrites it
    }
    t.same(got.map((g) => g.record), wanted, `reads of ${readSize} bytes`);
    t.ok(framer.idle());
    const pooled = got.filter((g) => g.pooled).map((g) => g.record.length);
    t.same(pooled, [300_000, 300_000, 70_000], `reads of ${readSize} bytes: the big records are pooled`);
    for (const g of got) if (g.pooled) pool.give(g.pooled);
  }
});

t.test('oversized record is refused when its header arrives, before buffering', async (t) => {
  const out: Buffer[] = [];
  const framer = new RecordFramer(64, (r) => out.push(r));
  const ok = frameRecord(bytes(64, 1));
  // Only the header of the big record is sent: the error must not wait for its body.
  const bigHeader = frameRecord(bytes(65, 2)).subarray(0, 4);
  t.throws(() => framer.push(Buffer.concat([ok, bigHeader])), RecordTooLargeError);
  t.equal(out.length, 1, 'the record before it was delivered');
  t.throws(() => framer.push(ok), 'framer refuses input after a framing error');
});

t.test('the cap applies to the sum of fragments', async (t) => {
  const framer = new RecordFramer(100, () => {});
  const record = frameRecord(bytes(120, 3), [60]);
  let error: unknown;
  try {
    framer.push(record);
  } catch (e) {
    error = e;
  }
  t.type(error, RecordTooLargeError);
  t.equal((error as RecordTooLargeError).size, 120);
});

t.test('a fragment header announcing 2^31-1 bytes is refused', async (t) => {
  const framer = new RecordFramer(1 << 20, () => t.fail('no record expected'));
  t.throws(() => framer.push(Buffer.from([0xff, 0xff, 0xff, 0xff])), RecordTooLargeError);
});
