/**
 * Garbage over real sockets to the running NFS and MOUNT services: undecodable arguments get
 * GARBAGE_ARGS and the connection keeps serving; a record over the size cap closes that
 * connection only; unknown programs, versions and procedures get the RFC 5531 statuses (with the
 * version range clients probe for); a WRITE whose count exceeds its data is INVAL and writes nothing.
 * Calls are built by hand (test/lib/rpc-raw.ts), independent of the server's codecs.
 */

import t, { type Test } from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import { DEFAULT_MAX_RECORD_SIZE } from '../../protocol/rpc/index.js';
import { frameRecord, RawTcp, RawUdp, xdrWords } from '../lib/rpc-raw.js';
import { lookupPath } from './lib/nfs-calls.js';
import { NfsTestClient } from './lib/nfs-client.js';
import { startFixture } from './lib/server-fixture.js';
import { snapshotTrees } from './lib/tree-snapshot.js';

const NFS = 100003;
const MOUNT = 100005;
const NFSACL = 100227;
const NLM = 100021;

const fx = await startFixture({
  prepare: async ({ lower }) => {
    await writeFile(join(lower, 'file'), 'original\n');
  },
});
t.teardown(() => fx.close());
const client = await NfsTestClient.connect({ nfsPort: fx.server.nfsPort, mountPort: fx.server.mountPort });
t.teardown(() => client.close());
const root = await client.mount('/union');
const file = await lookupPath(client, root, 'file');

/** XDR opaque<>/string<>: length, bytes, zero padding. */
function opaque(b: Buffer | string): Buffer {
  const bytes = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([xdrWords(bytes.length), bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
}

const AUTH_SYS_ROOT = xdrWords(1, 20, 0, 0 /* machinename "" */, 0, 0, 0 /* no gids */);
const AUTH_NONE = xdrWords(0, 0);

let nextXid = 0x5100_0000;

/** A call message: header with AUTH_SYS root (or `cred`), AUTH_NONE verifier, then `args`. */
function callBody(prog: number, vers: number, proc: number, args: Buffer = Buffer.alloc(0), opts: { xid?: number; cred?: Buffer; rpcvers?: number } = {}): { xid: number; body: Buffer } {
  const xid = opts.xid ?? nextXid++;
  const body = Buffer.concat([xdrWords(xid, 0, opts.rpcvers ?? 2, prog, vers, proc), opts.cred ?? AUTH_SYS_ROOT, AUTH_NONE, args]);
  return { xid, body };
}

interface Reply {
  xid: number;
  /** 'SUCCESS', 'PROG_UNAVAIL', ..., 'RPC_MISMATCH', 'AUTH_ERROR'. */
  status: string;
  /** PROG_MISMATCH / RPC_MISMATCH: the range; AUTH_ERROR: [auth_stat]. */
  range?: [number, number];
  authStat?: number;
  /** SUCCESS: the result bytes. */
  results?: Buffer;
}

const ACCEPT = ['SUCCESS', 'PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR'];

function parseReply(rec: Buffer): Reply {
  const xid = rec.readUInt32BE(0);
  if (rec.readUInt32BE(4) !== 1) throw new Error('not a reply');
  if (rec.readUInt32BE(8) === 1) {
    const reject = rec.readUInt32BE(12);
    if (reject === 0) return { xid, status: 'RPC_MISMATCH', range: [rec.readUInt32BE(16), rec.readUInt32BE(20)] };
    return { xid, status: 'AUTH_ERROR', authStat: rec.readUInt32BE(16) };
  }
  const verfLen = rec.readUInt32BE(16);
  const at = 20 + verfLen + ((4 - (verfLen % 4)) % 4);
  const status = ACCEPT[rec.readUInt32BE(at)] ?? `accept_stat ${rec.readUInt32BE(at)}`;
  if (status === 'PROG_MISMATCH') return { xid, status, range: [rec.readUInt32BE(at + 4), rec.readUInt32BE(at + 8)] };
  return { xid, status, results: status === 'SUCCESS' ? rec.subarray(at + 4) : undefined };
}

/** Send one record on `conn` and wait for the reply carrying its xid. */
async function exchange(conn: RawTcp, call: { xid: number; body: Buffer }): Promise<Reply> {
  const seen = conn.replies.length;
  conn.write(frameRecord(call.body));
  for (let n = seen + 1; ; n++) {
    const replies = await conn.waitForReplies(n);
    if (conn.closed && replies.length < n) throw new Error(`connection closed before the reply to xid ${call.xid}`);
    const r = parseReply(replies[n - 1]);
    if (r.xid === call.xid) return r;
  }
}

/** GETATTR of the root: the "next good call" that must work after each bad one. */
const goodGetattr = () => callBody(NFS, 3, Nfs3Proc.GETATTR, opaque(root));

async function expectServing(t: Test, conn: RawTcp, what: string): Promise<void> {
  const r = await exchange(conn, goodGetattr());
  t.equal(r.status, 'SUCCESS', `${what}: the next call on the connection is served`);
  t.equal(r.results?.readUInt32BE(0), Nfsstat3.NFS3_OK, `${what}: and succeeds`);
}

t.test('truncated or undecodable NFS arguments: GARBAGE_ARGS, the connection carries on', async (t) => {
  const conn = await RawTcp.connect(fx.server.nfsPort);
  t.teardown(() => conn.destroy());
  const fh = opaque(root);
  const name = opaque('file');
  const cases: Array<[string, number, Buffer]> = [
    ['GETATTR: no handle at all', Nfs3Proc.GETATTR, Buffer.alloc(0)],
    ['GETATTR: handle length 32, 10 bytes sent', Nfs3Proc.GETATTR, Buffer.concat([xdrWords(32), root.subarray(0, 10)])],
    ['GETATTR: handle of 65 bytes (over NFS3_FHSIZE)', Nfs3Proc.GETATTR, opaque(Buffer.alloc(65, 1))],
    ['GETATTR: handle length 0xffffffff', Nfs3Proc.GETATTR, xdrWords(0xffff_ffff)],
    ['LOOKUP: handle but no name', Nfs3Proc.LOOKUP, fh],
    ['LOOKUP: name length beyond the record', Nfs3Proc.LOOKUP, Buffer.concat([fh, xdrWords(100), Buffer.from('abcd')])],
    ['LOOKUP: name that is not UTF-8', Nfs3Proc.LOOKUP, Buffer.concat([fh, opaque(Buffer.from([0x66, 0xff, 0xfe]))])],
    ['SETATTR: sattr3 cut in the middle', Nfs3Proc.SETATTR, Buffer.concat([fh, xdrWords(1)])],
    ['SETATTR: set_mode3 discriminant 7', Nfs3Proc.SETATTR, Buffer.concat([fh, xdrWords(7, 0o777, 0, 0, 0, 0, 0, 0)])],
    ['READ: offset but no count', Nfs3Proc.READ, Buffer.concat([opaque(file), xdrWords(0, 0)])],
    ['WRITE: data length beyond the record', Nfs3Proc.WRITE, Buffer.concat([opaque(file), xdrWords(0, 0, 8, StableHow.FILE_SYNC, 8), Buffer.from('EVIL')])],
    ['WRITE: stable_how 3', Nfs3Proc.WRITE, Buffer.concat([opaque(file), xdrWords(0, 0, 4, 3), opaque('EVIL')])],
    ['WRITE: data over 1 MiB', Nfs3Proc.WRITE, Buffer.concat([opaque(file), xdrWords(0, 0, (1 << 20) + 4, StableHow.FILE_SYNC, (1 << 20) + 4)])],
    ['CREATE: no createhow3', Nfs3Proc.CREATE, Buffer.concat([fh, opaque('evil')])],
    ['CREATE: createmode3 3', Nfs3Proc.CREATE, Buffer.concat([fh, opaque('evil'), xdrWords(3, 0, 0)])],
    ['MKNOD: ftype3 9', Nfs3Proc.MKNOD, Buffer.concat([fh, opaque('evil'), xdrWords(9)])],
    ['SYMLINK: no target', Nfs3Proc.SYMLINK, Buffer.concat([fh, opaque('evil'), xdrWords(0, 0, 0, 0, 0, 0)])],
    ['RENAME: no second diropargs', Nfs3Proc.RENAME, Buffer.concat([fh, name])],
    ['LINK: no link name', Nfs3Proc.LINK, Buffer.concat([opaque(file), fh])],
    ['READDIR: no count', Nfs3Proc.READDIR, Buffer.concat([fh, xdrWords(0, 0, 0, 0)])],
  ];
  const before = await snapshotTrees([fx.upper, fx.work]);
  for (const [what, proc, args] of cases) {
    const r = await exchange(conn, callBody(NFS, 3, proc, args));
    t.equal(r.status, 'GARBAGE_ARGS', what);
    await expectServing(t, conn, what);
  }
  t.same(await snapshotTrees([fx.upper, fx.work]), before, 'nothing written');
  t.notOk(conn.closed, 'one connection took every bad call');
});

t.test('MOUNT: truncated arguments are GARBAGE_ARGS; unknown versions and procedures', async (t) => {
  const conn = await RawTcp.connect(fx.server.mountPort);
  t.teardown(() => conn.destroy());
  const mnt = (args: Buffer) => callBody(MOUNT, 3, 1, args);
  t.equal((await exchange(conn, mnt(Buffer.alloc(0)))).status, 'GARBAGE_ARGS', 'MNT without a path');
  t.equal((await exchange(conn, mnt(Buffer.concat([xdrWords(7), Buffer.from('/un')])))).status, 'GARBAGE_ARGS', 'MNT with a cut path');
  t.equal((await exchange(conn, mnt(opaque('/'.repeat(1025))))).status, 'GARBAGE_ARGS', 'MNT with a path over MNTPATHLEN');
  const ok = await exchange(conn, mnt(opaque('/union')));
  t.equal(ok.status, 'SUCCESS', 'then MNT /union on the same connection');
  t.equal(ok.results?.readUInt32BE(0), 0, 'MNT3_OK');
  t.same(ok.results?.subarray(8, 8 + 32), root, 'the root handle');
  t.equal((await exchange(conn, callBody(MOUNT, 3, 6))).status, 'PROC_UNAVAIL', 'MOUNT procedure 6');
  t.equal((await exchange(conn, callBody(MOUNT, 3, 0xffff_ffff))).status, 'PROC_UNAVAIL', 'MOUNT procedure 2^32-1');
  for (const v of [2, 4]) {
    const r = await exchange(conn, callBody(MOUNT, v, 0));
    t.same([r.status, r.range], ['PROG_MISMATCH', [1, 3]], `MOUNT v${v}: PROG_MISMATCH 1..3`);
  }
  t.equal((await exchange(conn, callBody(NFS, 3, 0))).status, 'PROG_UNAVAIL', 'NFS on the MOUNT port');
  t.equal((await exchange(conn, callBody(MOUNT, 3, 0))).status, 'SUCCESS', 'MOUNT NULL still answers');
});

t.test('unknown programs, versions and procedures on the NFS port', async (t) => {
  const conn = await RawTcp.connect(fx.server.nfsPort);
  t.teardown(() => conn.destroy());
  for (const proc of [22, 23, 100, 0xffff_ffff]) {
    t.equal((await exchange(conn, callBody(NFS, 3, proc, opaque(root)))).status, 'PROC_UNAVAIL', `NFS procedure ${proc}`);
  }
  // The Linux client probes NFSACL and NLM; both must be told "not here", not silence.
  for (const [what, prog, vers] of [['NFSACL v3', NFSACL, 3], ['NFSACL v2', NFSACL, 2], ['NLM v4', NLM, 4], ['MOUNT v3', MOUNT, 3], ['program 0', 0, 0]] as const) {
    t.equal((await exchange(conn, callBody(prog, vers, 0))).status, 'PROG_UNAVAIL', `${what}: PROG_UNAVAIL`);
  }
  for (const v of [2, 4, 1, 0]) {
    const r = await exchange(conn, callBody(NFS, v, 0));
    t.same([r.status, r.range], ['PROG_MISMATCH', [3, 3]], `NFS v${v}: PROG_MISMATCH low 3 high 3`);
  }
  const rpc3 = await exchange(conn, callBody(NFS, 3, 0, Buffer.alloc(0), { rpcvers: 3 }));
  t.same([rpc3.status, rpc3.range], ['RPC_MISMATCH', [2, 2]], 'RPC version 3: RPC_MISMATCH 2..2');
  const gss = await exchange(conn, callBody(NFS, 3, Nfs3Proc.GETATTR, opaque(root), { cred: xdrWords(6, 0) }));
  t.equal(gss.status, 'AUTH_ERROR', 'RPCSEC_GSS credential: AUTH_ERROR');
  const badSys = await exchange(conn, callBody(NFS, 3, Nfs3Proc.GETATTR, opaque(root), { cred: xdrWords(1, 8, 0, 0) }));
  t.equal(badSys.status, 'AUTH_ERROR', 'AUTH_SYS credential cut short: AUTH_ERROR');
  t.equal(badSys.authStat, 1, 'AUTH_BADCRED');
  await expectServing(t, conn, 'after all of them');
});

t.test('records that are not calls, and noise, never stop the connection', async (t) => {
  const conn = await RawTcp.connect(fx.server.nfsPort);
  t.teardown(() => conn.destroy());
  const reply = xdrWords(0x1234, 1, 0, 0, 0, 0); // a REPLY sent to the server
  const noise = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
  for (const [what, body] of [['a reply message', reply], ['64 bytes of noise', noise], ['an empty record', Buffer.alloc(0)], ['three bytes', Buffer.from([1, 2, 3])]] as const) {
    conn.write(frameRecord(body));
    await expectServing(t, conn, what);
  }
  // A call split into many fragments is one call.
  const { xid, body } = goodGetattr();
  conn.write(frameRecord(body, [1, 5, 17, 40, 41]));
  const r = parseReply((await conn.waitForReplies(conn.replies.length + 1)).at(-1)!);
  t.same([r.xid, r.status], [xid, 'SUCCESS'], 'a call in six fragments');
});

t.test('a record over the size cap closes that connection only', async (t) => {
  const other = await RawTcp.connect(fx.server.nfsPort);
  t.teardown(() => other.destroy());
  await expectServing(t, other, 'a bystander connection');

  for (const [what, header] of [
    ['a record mark of 2 GiB - 1', xdrWords(0xffff_ffff)],
    ['one byte over the cap', xdrWords(0x8000_0000 | (DEFAULT_MAX_RECORD_SIZE + 1))],
  ] as const) {
    const conn = await RawTcp.connect(fx.server.nfsPort);
    // A good call first, then the lying header in the same write: the call before it is answered.
    const good = goodGetattr();
    conn.write(Buffer.concat([frameRecord(good.body), header, Buffer.alloc(1024)]));
    await conn.waitClosed();
    t.ok(conn.closed, `${what}: the connection is closed`);
    t.ok(conn.replies.some((r) => parseReply(r).xid === good.xid), `${what}: the call before it was answered`);
    conn.destroy();
    await expectServing(t, other, `${what}: the other connection`);
  }

  // Fragments that are each small but add up past the cap.
  const conn = await RawTcp.connect(fx.server.nfsPort);
  const frag = Buffer.alloc(256 * 1024);
  const fragHeader = xdrWords(frag.length); // never the last fragment
  let sent = 0;
  while (sent <= DEFAULT_MAX_RECORD_SIZE + frag.length && !conn.closed) {
    conn.write(Buffer.concat([fragHeader, frag]));
    sent += frag.length;
  }
  await conn.waitClosed();
  t.ok(conn.closed, 'fragments adding up past the cap: closed');
  conn.destroy();
  await expectServing(t, other, 'after the fragmented flood');
  const fresh = await RawTcp.connect(fx.server.nfsPort);
  t.teardown(() => fresh.destroy());
  await expectServing(t, fresh, 'a new connection');

  // Regression: the refused connection stayed paused, never saw its peer go, and lingered
  // half-open for the 5 s grace period, holding up shutdown.
  const own = await startFixture();
  const flood = await RawTcp.connect(own.server.nfsPort);
  for (let n = 0; n < 6 && !flood.closed; n++) flood.write(Buffer.concat([fragHeader, frag]));
  await flood.waitClosed();
  flood.destroy();
  const started = Date.now();
  await own.close();
  t.ok(Date.now() - started < 2000, `server close right after a refused flood took ${Date.now() - started} ms`);
});

t.test('WRITE whose count exceeds its data: INVAL, nothing written', async (t) => {
  const before = await snapshotTrees([fx.upper, fx.work]);
  const w = await client.call(Nfs3Proc.WRITE, { file, offset: 0n, count: 100, stable: StableHow.FILE_SYNC, data: Buffer.from('EVIL') });
  t.equal(w.status, Nfsstat3.NFS3ERR_INVAL, 'count 100, 4 bytes of data');
  const w2 = await client.call(Nfs3Proc.WRITE, { file, offset: 0n, count: 0xffff_ffff, stable: StableHow.UNSTABLE, data: Buffer.alloc(0) });
  t.equal(w2.status, Nfsstat3.NFS3ERR_INVAL, 'count 2^32-1, no data');
  t.same(await snapshotTrees([fx.upper, fx.work]), before, 'nothing copied up or written');
  const r = await client.call(Nfs3Proc.READ, { file, offset: 0n, count: 100 });
  t.equal(r.status === Nfsstat3.NFS3_OK && r.data.toString(), 'original\n');
  // Fewer than the data: `count` bytes are written (RFC 1813: count is the amount to write).
  const w3 = await client.call(Nfs3Proc.WRITE, { file, offset: 0n, count: 2, stable: StableHow.FILE_SYNC, data: Buffer.from('ORIG') });
  t.equal(w3.status === Nfsstat3.NFS3_OK && w3.count, 2, 'count 2 of 4 bytes: 2 written');
  t.equal(await readFile(join(fx.upper, 'file'), 'utf8'), 'ORiginal\n');
});

t.test('UDP: garbage arguments, unknown programs and versions, then a good call', async (t) => {
  const udp = await RawUdp.open(fx.server.nfsPort);
  t.teardown(() => udp.close());
  const ask = async (call: { xid: number; body: Buffer }) => {
    await udp.send(call.body);
    for (;;) {
      const r = (await udp.waitForReplies(1)).map(parseReply).find((x) => x.xid === call.xid);
      if (r) return r;
      udp.take();
    }
  };
  t.equal((await ask(callBody(NFS, 3, Nfs3Proc.GETATTR, xdrWords(32, 1, 2)))).status, 'GARBAGE_ARGS', 'truncated GETATTR');
  t.equal((await ask(callBody(NFSACL, 3, 0))).status, 'PROG_UNAVAIL', 'NFSACL');
  t.same((await ask(callBody(NFS, 4, 0))).range, [3, 3], 'NFS v4: PROG_MISMATCH 3..3');
  t.equal((await ask(callBody(NFS, 3, 30))).status, 'PROC_UNAVAIL', 'procedure 30');
  const ok = await ask(goodGetattr());
  t.same([ok.status, ok.results?.readUInt32BE(0)], ['SUCCESS', Nfsstat3.NFS3_OK], 'then GETATTR works');
});
