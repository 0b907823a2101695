/**
 * Golden bytes for a call and replies of every NFSv3 procedure: the expected wire form is built by
 * hand from 32-bit words (test/lib/golden-words.ts), never by XdrWriter. Both directions of both
 * sides are checked: the server decodes the call and encodes the reply, the client the reverse.
 */

import t from 'tap';
import { XdrReader, XdrWriter } from '../../protocol/xdr/index.js';
import { NFS3_PROCEDURES, NFS3_PROCEDURE_NUMBERS, Nfs3Proc } from '../../protocol/nfs3/index.js';
import { NFS3_GOLDEN } from '../lib/golden-nfs3.js';
import { bytesOf } from '../lib/golden-words.js';

function encode<T>(fn: (w: XdrWriter, v: T) => void, v: T): Buffer {
  const w = new XdrWriter(64);
  fn(w, v);
  return w.toBuffer();
}

function decodeAll<T>(fn: (r: XdrReader) => T, bytes: Buffer): { value: T; atEnd: boolean } {
  const r = new XdrReader(bytes);
  const value = fn(r);
  return { value, atEnd: r.atEnd() };
}

t.test('the golden table covers all 22 procedures in order', async (t) => {
  t.equal(NFS3_GOLDEN.length, 22);
  t.same(
    NFS3_GOLDEN.map((g) => g.proc),
    NFS3_PROCEDURE_NUMBERS,
  );
  for (const g of NFS3_GOLDEN) t.equal(NFS3_PROCEDURES[g.proc as Nfs3Proc].name, g.name);
});

for (const g of NFS3_GOLDEN) {
  const codec = NFS3_PROCEDURES[g.proc as Nfs3Proc] as (typeof NFS3_PROCEDURES)[Nfs3Proc.GETATTR];
  t.test(`${g.name} call`, async (t) => {
    const expected = bytesOf(g.argsWords);
    t.same([...encode(codec.encodeArgs, g.args)], [...expected], 'client encodes the golden bytes');
    const { value, atEnd } = decodeAll(codec.decodeArgs, expected);
    t.same(value, g.args, 'server decodes the golden bytes');
    t.ok(atEnd, 'every byte consumed');
  });
  for (const reply of g.replies) {
    t.test(`${g.name} reply (${reply.label})`, async (t) => {
      const expected = bytesOf(reply.words);
      t.same([...encode(codec.encodeRes, reply.res)], [...expected], 'server encodes the golden bytes');
      const { value, atEnd } = decodeAll(codec.decodeRes, expected);
      t.same(value, reply.res, 'client decodes the golden bytes');
      t.ok(atEnd, 'every byte consumed');
    });
  }
}
