/**
 * File handle MACs, checked against MACs computed here with node:crypto directly (not through
 * the codec), and the handle key file's schemes: new keys get AES handles, keys written before
 * schemes existed keep their HMAC handles.
 */

import t from 'tap';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandleCodec, peekHandle, type HandleKey } from '../../server/file-handle.js';
import { loadHandleKey } from '../../server/handle-key.js';

const key = randomBytes(32);
const aes: HandleKey = { exportId: 0x01020304, key, scheme: 2 };
const hmac: HandleKey = { ...aes, scheme: 1 };

function aesMac(fh: Buffer): Buffer {
  const c = createCipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return c.update(fh.subarray(4, 20)).subarray(0, 12);
}

const hmacMac = (fh: Buffer) => createHmac('sha256', key).update(fh.subarray(0, 20)).digest().subarray(0, 12);

t.test('scheme 2: AES of the fields, one block per handle, many at once alike', async (t) => {
  const codec = new HandleCodec(aes);
  const fh = codec.encode(0x1122334455667788n, 0xdeadbeef);
  t.equal(fh.length, 32);
  t.same([...fh.subarray(0, 4)], [2, 0, 0, 0], 'version byte names the scheme; reserved bytes zero');
  t.same(peekHandle(fh), { exportId: 0x01020304, fileid: 0x1122334455667788n, generation: 0xdeadbeef });
  t.same(fh.subarray(20), aesMac(fh), 'MAC = AES-256(key, bytes 4..19), first 12 bytes');
  t.ok(codec.verify(fh));

  const ids = Array.from({ length: 300 }, (_, i) => BigInt(i * 7919 + 2));
  const many = codec.encodeMany(ids, 7);
  t.same(many.map((h) => h.toString('hex')), ids.map((id) => codec.encode(id, 7).toString('hex')), 'a page of handles equals them one by one');
  t.ok(many.every((h) => codec.verify(h)));
  t.same(codec.encodeMany([], 7), []);

  for (const at of [0, 4, 8, 15, 19, 20, 31]) {
    const bad = Buffer.from(fh);
    bad[at] ^= 1;
    t.notOk(codec.verify(bad), `byte ${at} altered`);
  }
  t.notOk(codec.verify(new HandleCodec(hmac).encode(0x1122334455667788n, 0xdeadbeef)), 'a scheme 1 handle of the same key');
  t.notOk(codec.verify(new HandleCodec({ ...aes, key: randomBytes(32) }).encode(0x1122334455667788n, 0xdeadbeef)), 'another key');
});

t.test('scheme 1: HMAC-SHA256 of bytes 0..19, as handles always had it', async (t) => {
  const codec = new HandleCodec(hmac);
  const fh = codec.encode(42n, 9);
  t.equal(fh[0], 1);
  t.same(fh.subarray(20), hmacMac(fh));
  t.ok(codec.verify(fh));
  t.same(codec.encodeMany([42n, 43n], 9), [fh, codec.encode(43n, 9)]);
  t.notOk(codec.verify(new HandleCodec(aes).encode(42n, 9)), 'a scheme 2 handle of the same key');
});

t.test('peekHandle takes both schemes and nothing else', async (t) => {
  const fh = new HandleCodec(aes).encode(5n, 1);
  for (const version of [1, 2]) t.ok(peekHandle(Buffer.concat([Buffer.of(version), fh.subarray(1)])), `version ${version}`);
  for (const version of [0, 3, 255]) t.equal(peekHandle(Buffer.concat([Buffer.of(version), fh.subarray(1)])), undefined, `version ${version}`);
});

t.test('handle key file: new keys are scheme 2, older files keep scheme 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fallthru-handle-key-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const fresh = await loadHandleKey(join(dir, 'new'));
  t.equal(fresh.scheme, 2);
  t.same(await loadHandleKey(join(dir, 'new')), fresh, 'read back as written');
  t.match(JSON.parse(await readFile(join(dir, 'new/server/handle-key'), 'utf8')), { version: 2, scheme: 2 });

  const legacyDir = join(dir, 'legacy/server');
  await mkdir(legacyDir, { recursive: true });
  await writeFile(join(legacyDir, 'handle-key'), JSON.stringify({ version: 1, exportId: 77, key: key.toString('hex') }) + '\n');
  t.same(await loadHandleKey(join(dir, 'legacy')), { exportId: 77, key, scheme: 1 });

  const oddDir = join(dir, 'odd/server');
  await mkdir(oddDir, { recursive: true });
  await writeFile(join(oddDir, 'handle-key'), JSON.stringify({ version: 2, exportId: 77, key: key.toString('hex'), scheme: 3 }) + '\n');
  await t.rejects(loadHandleKey(join(dir, 'odd')), /unsupported handle scheme 3/);
});
