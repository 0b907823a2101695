/**
 * The duplicate request cache end to end (retransmits with the same xid get the first reply and
 * do not run again; a new xid, other arguments or another client address do run; a retransmit
 * over a new TCP connection or over UDP is answered from the cache; a retransmit of a call still
 * running is dropped) and as a unit (bounded by entries, bytes and age).
 */

import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Createmode3, Ftype3, Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import type { CallContext, ProcedureDef, RpcCallInfo } from '../../protocol/rpc/index.js';
import { DuplicateRequestCache } from '../../server/duplicate-request-cache.js';
import { frameRecord, RawTcp, RawUdp, xdrWords } from '../lib/rpc-raw.js';
import { lookupPath } from './lib/nfs-calls.js';
import { NfsTestClient } from './lib/nfs-client.js';
import { startFixture } from './lib/server-fixture.js';

const fx = await startFixture({
  prepare: async ({ lower }) => {
    await writeFile(join(lower, 'lower-file'), 'lower\n');
  },
});
t.teardown(() => fx.close());
const connect = (opts: { localAddress?: string; transport?: 'tcp' | 'udp' } = {}) =>
  NfsTestClient.connect({ nfsPort: fx.server.nfsPort, mountPort: fx.server.mountPort, ...opts });
const client = await connect();
t.teardown(() => client.close());
const root = await client.mount('/union');

let nextXid = 0x6100_0000;
const freshXid = () => nextXid++;

t.test('retransmits of non-idempotent procedures get the first reply; a new xid runs again', async (t) => {
  const made = await client.call(Nfs3Proc.MKDIR, { where: { dir: root, name: 'd' }, attributes: {} });
  if (made.status !== Nfsstat3.NFS3_OK || !made.obj) throw new Error('MKDIR d');
  const dir = made.obj;
  const lowerFile = await lookupPath(client, root, 'lower-file');

  // Each step: [what, call (same arguments every time), status a re-execution would get].
  const steps: Array<[string, (xid: number) => Promise<{ status: Nfsstat3 }>, Nfsstat3]> = [
    ['CREATE GUARDED', (xid) => client.call(Nfs3Proc.CREATE, { where: { dir, name: 'f' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o644 } } }, { xid }), Nfsstat3.NFS3ERR_EXIST],
    ['MKDIR', (xid) => client.call(Nfs3Proc.MKDIR, { where: { dir, name: 'sub' }, attributes: {} }, { xid }), Nfsstat3.NFS3ERR_EXIST],
    ['SYMLINK', (xid) => client.call(Nfs3Proc.SYMLINK, { where: { dir, name: 'sl' }, symlink: { symlinkAttributes: {}, symlinkData: 'f' } }, { xid }), Nfsstat3.NFS3ERR_EXIST],
    ['MKNOD', (xid) => client.call(Nfs3Proc.MKNOD, { where: { dir, name: 'fifo' }, what: { type: Ftype3.NF3FIFO, pipeAttributes: {} } }, { xid }), Nfsstat3.NFS3ERR_EXIST],
    ['LINK', (xid) => client.call(Nfs3Proc.LINK, { file: lowerFile, link: { dir, name: 'hard' } }, { xid }), Nfsstat3.NFS3ERR_EXIST],
    ['RENAME', (xid) => client.call(Nfs3Proc.RENAME, { from: { dir, name: 'f' }, to: { dir, name: 'g' } }, { xid }), Nfsstat3.NFS3ERR_NOENT],
    ['REMOVE', (xid) => client.call(Nfs3Proc.REMOVE, { object: { dir, name: 'g' } }, { xid }), Nfsstat3.NFS3ERR_NOENT],
    ['RMDIR', (xid) => client.call(Nfs3Proc.RMDIR, { object: { dir, name: 'sub' } }, { xid }), Nfsstat3.NFS3ERR_NOENT],
    ['REMOVE of a lower file (whiteout)', (xid) => client.call(Nfs3Proc.REMOVE, { object: { dir: root, name: 'lower-file' } }, { xid }), Nfsstat3.NFS3ERR_NOENT],
  ];
  for (const [what, call, rerun] of steps) {
    const xid = freshXid();
    const first = await call(xid);
    t.equal(first.status, Nfsstat3.NFS3_OK, `${what}: first`);
    const retry = await call(xid);
    t.same(retry, first, `${what}: the retransmit gets the first reply, whole`);
    const again = await call(xid);
    t.same(again, first, `${what}: and so does a second retransmit`);
    t.equal((await call(freshXid())).status, rerun, `${what}: a new xid runs again`);
  }
});

t.test('the same xid with other arguments is not a retransmit', async (t) => {
  const xid = freshXid();
  const a = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'x1' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } }, { xid });
  const b = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'x2' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } }, { xid });
  t.equal(a.status, Nfsstat3.NFS3_OK);
  t.equal(b.status, Nfsstat3.NFS3_OK, 'x2 created, not x1\'s reply');
  if (a.status === Nfsstat3.NFS3_OK && b.status === Nfsstat3.NFS3_OK) t.notSame(b.obj, a.obj, 'another object');
  await lookupPath(client, root, 'x2');
  // Another procedure under the same xid: not a hit either.
  const c = await client.call(Nfs3Proc.MKDIR, { where: { dir: root, name: 'x2' }, attributes: {} }, { xid });
  t.equal(c.status, Nfsstat3.NFS3ERR_EXIST, 'MKDIR under CREATE\'s xid runs');
});

t.test('a retransmit over a new TCP connection (new source port) is answered from the cache', async (t) => {
  const xid = freshXid();
  const args = { where: { dir: root, name: 'reconnect' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } } as const;
  const first = await client.call(Nfs3Proc.CREATE, args, { xid });
  t.equal(first.status, Nfsstat3.NFS3_OK);
  const second = await connect();
  t.teardown(() => second.close());
  t.not(second.rpc, client.rpc);
  t.same(await second.call(Nfs3Proc.CREATE, args, { xid }), first, 'same reply from a new connection');
  // Another client address with the same xid and arguments is another client: it runs.
  const other = await connect({ localAddress: '127.0.0.2' });
  t.teardown(() => other.close());
  t.equal((await other.call(Nfs3Proc.CREATE, args, { xid })).status, Nfsstat3.NFS3ERR_EXIST, 'from 127.0.0.2: runs, EXIST');
  // Over UDP the same xid is a different call (knfsd keys on the transport too).
  const udp = await connect({ transport: 'udp' });
  t.teardown(() => udp.close());
  t.equal((await udp.call(Nfs3Proc.CREATE, args, { xid })).status, Nfsstat3.NFS3ERR_EXIST, 'over UDP: runs, EXIST');
});

/** Hand-built REMOVE call (AUTH_SYS root), so the very same bytes can be sent twice in one write. */
function removeCall(xid: number, name: string): Buffer {
  const opaque = (b: Buffer) => Buffer.concat([xdrWords(b.length), b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  return Buffer.concat([
    xdrWords(xid, 0, 2, 100003, 3, Nfs3Proc.REMOVE),
    xdrWords(1, 20, 0, 0, 0, 0, 0), // AUTH_SYS, machinename "", uid 0, gid 0, no gids
    xdrWords(0, 0),
    opaque(root),
    opaque(Buffer.from(name)),
  ]);
}
const nfsStatusOf = (reply: Buffer) => reply.readUInt32BE(24); // xid, REPLY, accepted, verf (0,0), SUCCESS

t.test('a retransmit arriving while the call still runs is dropped (TCP)', async (t) => {
  const made = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'inflight' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
  t.equal(made.status, Nfsstat3.NFS3_OK);
  const conn = await RawTcp.connect(fx.server.nfsPort);
  t.teardown(() => conn.destroy());
  const xid = freshXid();
  const call = frameRecord(removeCall(xid, 'inflight'));
  // Both records in one segment: the second is read while the first is in the union.
  conn.write(Buffer.concat([call, call]));
  const [reply] = await conn.waitForReplies(1);
  t.equal(reply.readUInt32BE(0), xid);
  t.equal(nfsStatusOf(reply), Nfsstat3.NFS3_OK, 'the original answers OK');
  // A NULL call behind them: by its reply, a second REMOVE reply would have been sent.
  conn.write(frameRecord(xdrWords(freshXid(), 0, 2, 100003, 3, 0, 0, 0, 0, 0)));
  await conn.waitForReplies(2);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(conn.replies.filter((r) => r.readUInt32BE(0) === xid).length, 1, 'one reply for two copies of the call');
  // Once finished, a later retransmit is answered from the cache, byte for byte.
  conn.write(call);
  const replies = await conn.waitForReplies(3);
  t.same(replies[2], reply, 'a later retransmit: the cached reply, byte for byte');
});

t.test('UDP: in-progress copies dropped, later retransmits answered from the cache', async (t) => {
  const made = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'udp-victim' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
  t.equal(made.status, Nfsstat3.NFS3_OK);
  const udp = await RawUdp.open(fx.server.nfsPort);
  t.teardown(() => udp.close());
  const xid = freshXid();
  const call = removeCall(xid, 'udp-victim');
  await Promise.all([udp.send(call), udp.send(call), udp.send(call)]);
  const [first] = await udp.waitForReplies(1);
  t.equal(nfsStatusOf(first), Nfsstat3.NFS3_OK, 'REMOVE over UDP');
  await new Promise((r) => setTimeout(r, 100));
  const early = udp.take();
  t.ok(early.length >= 1 && early.every((r) => r.equals(first)), `copies answered at most with the same reply (${early.length} replies to 3 copies)`);
  await udp.send(call);
  const [late] = await udp.waitForReplies(1);
  t.same(late, first, 'a retransmit after the reply: the cached reply, not NOENT');
  udp.take();
  await udp.send(removeCall(freshXid(), 'udp-victim'));
  const [fresh] = await udp.waitForReplies(1);
  t.equal(nfsStatusOf(fresh), Nfsstat3.NFS3ERR_NOENT, 'a new xid runs: NOENT');
});

t.test('idempotent procedures are not cached', async (t) => {
  const f = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'idem' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
  if (f.status !== Nfsstat3.NFS3_OK || !f.obj) throw new Error('CREATE idem');
  const xid = freshXid();
  const g1 = await client.call(Nfs3Proc.GETATTR, { object: f.obj }, { xid });
  await client.call(Nfs3Proc.WRITE, { file: f.obj, offset: 0n, count: 3, stable: StableHow.FILE_SYNC, data: Buffer.from('abc') });
  const g2 = await client.call(Nfs3Proc.GETATTR, { object: f.obj }, { xid });
  t.ok(g1.status === Nfsstat3.NFS3_OK && g2.status === Nfsstat3.NFS3_OK && g2.objAttributes.size === 3n && g1.objAttributes.size === 0n, 'GETATTR under one xid sees the change');
});

// ---- the class itself ----

function fakeCall(xid: number, opts: { address?: string; args?: Buffer; cacheReply?: boolean; procedure?: number } = {}): RpcCallInfo {
  const ctx: CallContext = {
    xid,
    program: 100003,
    version: 3,
    procedure: opts.procedure ?? Nfs3Proc.REMOVE,
    cred: { flavor: 0 },
    transport: 'tcp',
    remoteAddress: opts.address ?? '10.0.0.1',
    remotePort: 900,
    localPort: 2049,
  };
  const proc = { name: 'REMOVE', cacheReply: opts.cacheReply ?? true } as ProcedureDef;
  return { ctx, proc, rawArgs: opts.args ?? Buffer.from(`args of ${xid}`) };
}

/** Run one call through the cache; `runs` counts executions. */
async function through(drc: DuplicateRequestCache, call: RpcCallInfo, reply: Buffer, runs: { n: number }) {
  return drc.interceptor(call, async () => {
    runs.n++;
    return [reply];
  });
}

const bytesHeld = (drc: DuplicateRequestCache) => (drc as unknown as { bytes: number }).bytes;

t.test('DuplicateRequestCache: bounded by entries', async (t) => {
  const drc = new DuplicateRequestCache({ maxEntries: 3, maxBytes: 1 << 20 });
  const runs = { n: 0 };
  for (let xid = 1; xid <= 5; xid++) await through(drc, fakeCall(xid), Buffer.alloc(10, xid), runs);
  t.equal(drc.size, 3, 'three entries kept');
  t.equal(runs.n, 5);
  t.same(await through(drc, fakeCall(5), Buffer.alloc(10), runs), [Buffer.alloc(10, 5)], 'the newest is a hit');
  t.equal(runs.n, 5);
  await through(drc, fakeCall(1), Buffer.alloc(10, 1), runs);
  t.equal(runs.n, 6, 'the oldest was evicted: it runs again');
  t.equal(drc.size, 3);
});

t.test('DuplicateRequestCache: bounded by bytes', async (t) => {
  const drc = new DuplicateRequestCache({ maxEntries: 1000, maxBytes: 1000 });
  const runs = { n: 0 };
  for (let xid = 1; xid <= 50; xid++) {
    await through(drc, fakeCall(xid), Buffer.alloc(300), runs);
    t.ok(bytesHeld(drc) <= 1000, `after ${xid} calls: ${bytesHeld(drc)} bytes held`);
  }
  t.ok(drc.size <= 3, `${drc.size} entries of 300 bytes in 1000`);
  // One reply bigger than the whole budget is not kept at all.
  await through(drc, fakeCall(99), Buffer.alloc(5000), runs);
  t.ok(bytesHeld(drc) <= 1000, 'an oversized reply does not blow the budget');
  await through(drc, fakeCall(99), Buffer.alloc(5000), runs);
  t.equal(runs.n, 52, 'so its retransmit runs again');
});

t.test('DuplicateRequestCache: a long run stays within both bounds', async (t) => {
  const drc = new DuplicateRequestCache({ maxEntries: 100, maxBytes: 20_000 });
  const runs = { n: 0 };
  let maxSize = 0;
  let maxBytes = 0;
  for (let i = 0; i < 20_000; i++) {
    const call = fakeCall(i % 5000, { address: `10.0.${i % 7}.1`, args: Buffer.from(`a${i % 13}`) });
    await through(drc, call, Buffer.alloc(50 + (i % 400)), runs);
    maxSize = Math.max(maxSize, drc.size);
    maxBytes = Math.max(maxBytes, bytesHeld(drc));
  }
  t.ok(maxSize <= 100, `at most ${maxSize} entries`);
  t.ok(maxBytes <= 20_000, `at most ${maxBytes} bytes`);
  t.ok(bytesHeld(drc) >= 0);
});

t.test('DuplicateRequestCache: age, failures, in-progress, keys', async (t) => {
  const drc = new DuplicateRequestCache({ maxAgeMs: 30 });
  const runs = { n: 0 };
  await through(drc, fakeCall(1), Buffer.from('one'), runs);
  await through(drc, fakeCall(1), Buffer.from('one'), runs);
  t.equal(runs.n, 1, 'a hit within the age');
  await new Promise((r) => setTimeout(r, 60));
  await through(drc, fakeCall(1), Buffer.from('one'), runs);
  t.equal(runs.n, 2, 'an expired reply is not used');

  // A call that throws leaves nothing behind: its retransmit runs.
  await t.rejects(drc.interceptor(fakeCall(2), async () => Promise.reject(new Error('boom'))));
  await through(drc, fakeCall(2), Buffer.from('two'), runs);
  t.equal(runs.n, 3, 'after a failed call the retransmit runs');

  // In progress: copies are dropped (null), the original's reply is then cached.
  let finish!: (b: Buffer[]) => void;
  const original = drc.interceptor(fakeCall(3), () => new Promise((r) => (finish = r)));
  t.equal(await drc.interceptor(fakeCall(3), async () => [Buffer.from('never')]), null, 'a copy while running: dropped');
  t.equal(drc.stats.inProgressDrops, 1);
  finish([Buffer.from('three')]);
  t.same(await original, [Buffer.from('three')]);
  t.same(await through(drc, fakeCall(3), Buffer.from('other'), runs), [Buffer.from('three')], 'then answered from the cache');

  // Keys: address, arguments and procedure all matter; idempotent procedures pass through.
  await through(drc, fakeCall(4, { address: '10.0.0.2' }), Buffer.from('x'), runs);
  await through(drc, fakeCall(4, { address: '10.0.0.3' }), Buffer.from('x'), runs);
  await through(drc, fakeCall(4, { address: '10.0.0.3', args: Buffer.from('other args') }), Buffer.from('x'), runs);
  await through(drc, fakeCall(4, { address: '10.0.0.3', procedure: Nfs3Proc.RMDIR }), Buffer.from('x'), runs);
  t.equal(runs.n, 7, 'four different calls under one xid all ran');
  const before = drc.size;
  await through(drc, fakeCall(5, { cacheReply: false }), Buffer.from('x'), runs);
  await through(drc, fakeCall(5, { cacheReply: false }), Buffer.from('x'), runs);
  t.equal(runs.n, 9, 'idempotent: runs every time');
  t.equal(drc.size, before, 'and takes no entry');
});
