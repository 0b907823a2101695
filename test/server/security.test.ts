/**
 * What the server refuses, end to end over TCP with our typed client: forged handles, handles of
 * an export the client may not use, bad names, `..` and symlink escapes, clients outside the allow
 * list, root squash, squash all, AUTH_NONE, --secure, read-only exports. Every refusal is checked
 * for its status AND for leaving the layers alone (upper and work snapshots; a sentinel file outside
 * the layers for symlink escapes).
 */

import t from 'tap';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Mountstat3 } from '../../protocol/mount3/constants.js';
import { Access3, Createmode3, Ftype3, Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import { AuthFlavor } from '../../protocol/rpc/index.js';
import { DEFAULTS, type ClientRule } from '../../server/config.js';
import { HandleCodec } from '../../server/file-handle.js';
import { loadHandleKey } from '../../server/handle-key.js';
import { lookupPath, listNames, mutatingCalls } from './lib/nfs-calls.js';
import { authSys, NfsTestClient } from './lib/nfs-client.js';
import { startFixture, type Fixture } from './lib/server-fixture.js';
import { snapshotTrees } from './lib/tree-snapshot.js';

const ANON = DEFAULTS.anonUid;
const rule = (spec: string): ClientRule => {
  const [address, prefix] = spec.split('/');
  return { spec, address, prefixLength: Number(prefix ?? 32) };
};

async function connect(fx: Fixture, opts: Partial<Parameters<typeof NfsTestClient.connect>[0]> = {}): Promise<NfsTestClient> {
  return NfsTestClient.connect({ nfsPort: fx.server.nfsPort, mountPort: fx.server.mountPort, ...opts });
}

/** MNT status of `path` (0 = granted). */
async function mountStatus(client: NfsTestClient, path: string): Promise<number> {
  try {
    await client.mount(path);
    return Mountstat3.MNT3_OK;
  } catch (e) {
    const s = (e as { mountStatus?: number }).mountStatus;
    if (s === undefined) throw e;
    return s;
  }
}

const layersOf = (fx: Fixture, i = 0) => [fx.exportDirs[i].upper, fx.exportDirs[i].work];

/** The lower tree most subtests use: a file and an empty directory to aim changes at. */
async function victims({ lower }: { lower: string }): Promise<void> {
  await writeFile(join(lower, 'victim'), 'victim data\n');
  await mkdir(join(lower, 'victim-dir'));
}

t.test('forged, altered and mis-sized handles: BADHANDLE; another epoch: STALE; nothing written', async (t) => {
  const fx = await startFixture({ prepare: victims });
  t.teardown(() => fx.close());
  const client = await connect(fx);
  t.teardown(() => client.close());
  const root = await client.mount('/union');
  const victim = await lookupPath(client, root, 'victim');
  const before = await snapshotTrees(layersOf(fx));

  const flip = (fh: Buffer, at: number) => {
    const x = Buffer.from(fh);
    x[at] ^= 0x01;
    return x;
  };
  const handleKey = await loadHandleKey(fx.work);
  const codec = new HandleCodec(handleKey);
  const fileid = victim.readBigUInt64BE(8);
  const generation = victim.readUInt32BE(16);
  t.same(codec.encode(fileid, generation), victim, 'the test recomputes the server\'s MAC');

  const forged: Array<[string, Buffer]> = [
    ['32 random bytes', randomBytes(32)],
    ['random bytes with our version byte and export id', Buffer.concat([victim.subarray(0, 8), randomBytes(24)])],
    ['right fields, MAC altered', flip(victim, 31)],
    ['fileid altered, old MAC', flip(victim, 15)],
    ['fileid of the root, victim\'s MAC', Buffer.concat([victim.subarray(0, 8), root.subarray(8, 16), victim.subarray(16)])],
    ['export id altered, old MAC', flip(victim, 7)],
    ['generation altered, old MAC', flip(victim, 19)],
    ['version byte altered', flip(victim, 0)],
    ['reserved byte set', flip(victim, 2)],
    ['31 bytes (one short)', victim.subarray(0, 31)],
    ['33 bytes (one long)', Buffer.concat([victim, Buffer.alloc(1)])],
    ['64 bytes (the NFSv3 maximum)', Buffer.concat([victim, victim])],
    ['empty', Buffer.alloc(0)],
    ['the MAC of another export\'s key', new HandleCodec({ ...handleKey, key: randomBytes(32) }).encode(fileid, generation)],
  ];
  for (const [what, fh] of forged) {
    t.equal((await client.call(Nfs3Proc.GETATTR, { object: fh })).status, Nfsstat3.NFS3ERR_BADHANDLE, `GETATTR, ${what}`);
    t.equal((await client.call(Nfs3Proc.LOOKUP, { dir: fh, name: 'victim' })).status, Nfsstat3.NFS3ERR_BADHANDLE, `LOOKUP, ${what}`);
    for (const [proc, call] of mutatingCalls(client, { file: fh, dir: fh, victim: 'victim', victimDir: 'victim-dir' })) {
      t.equal((await call()).status, Nfsstat3.NFS3ERR_BADHANDLE, `${proc}, ${what}`);
    }
  }
  // A second handle of a call is checked as strictly as the first.
  const bad = flip(victim, 31);
  t.equal((await client.call(Nfs3Proc.RENAME, { from: { dir: root, name: 'victim' }, to: { dir: bad, name: 'x' } })).status, Nfsstat3.NFS3ERR_BADHANDLE, 'RENAME into a forged directory');
  t.equal((await client.call(Nfs3Proc.LINK, { file: bad, link: { dir: root, name: 'x' } })).status, Nfsstat3.NFS3ERR_BADHANDLE, 'LINK of a forged file');

  // A genuine MAC over another epoch: an object of an earlier incarnation of the union.
  const stale = codec.encode(fileid, (generation + 1) >>> 0);
  t.equal((await client.call(Nfs3Proc.GETATTR, { object: stale })).status, Nfsstat3.NFS3ERR_STALE, 'GETATTR, other generation');
  for (const [proc, call] of mutatingCalls(client, { file: stale, dir: stale, victim: 'victim', victimDir: 'victim-dir' })) {
    t.equal((await call()).status, Nfsstat3.NFS3ERR_STALE, `${proc}, other generation`);
  }

  t.same(await snapshotTrees(layersOf(fx)), before, 'upper and work unchanged');
  t.same((await listNames(client, root)).sort(), ['.', '..', 'victim', 'victim-dir'], 'the union unchanged');
  t.equal((await client.call(Nfs3Proc.GETATTR, { object: victim })).status, Nfsstat3.NFS3_OK, 'the genuine handle still works');
});

t.test('an export whose key predates handle schemes keeps serving and accepting its HMAC handles', async (t) => {
  const key = randomBytes(32);
  const fx = await startFixture({
    prepare: async (dirs) => {
      await victims(dirs);
      const keyDir = join(dirs.lower, '../work/server');
      await mkdir(keyDir, { recursive: true });
      await writeFile(join(keyDir, 'handle-key'), JSON.stringify({ version: 1, exportId: 4242, key: key.toString('hex') }) + '\n');
    },
  });
  t.teardown(() => fx.close());
  const client = await connect(fx);
  t.teardown(() => client.close());
  // Scheme 1 handles, computed here: HMAC-SHA256 of bytes 0..19, first 12 bytes.
  const isHmacHandle = (fh: Buffer) =>
    fh[0] === 1 && fh.readUInt32BE(4) === 4242 && createHmac('sha256', key).update(fh.subarray(0, 20)).digest().subarray(0, 12).equals(fh.subarray(20));
  const root = await client.mount('/union');
  t.ok(isHmacHandle(root), 'MOUNT');
  const victim = await lookupPath(client, root, 'victim');
  t.ok(isHmacHandle(victim), 'LOOKUP');
  const page = await client.call(Nfs3Proc.READDIRPLUS, { dir: root, cookie: 0n, cookieverf: Buffer.alloc(8), dircount: 4096, maxcount: 16384 });
  if (page.status !== Nfsstat3.NFS3_OK) throw new Error(`READDIRPLUS: status ${page.status}`);
  t.same(page.entries.map((e) => e.name).sort(), ['.', '..', 'victim', 'victim-dir']);
  t.ok(page.entries.every((e) => e.nameHandle && isHmacHandle(e.nameHandle)), 'READDIRPLUS');
  t.equal((await client.call(Nfs3Proc.GETATTR, { object: victim })).status, Nfsstat3.NFS3_OK, 'and they work');
});

t.test('two exports with different allow lists: a handle works only for clients allowed on its export', async (t) => {
  // /union: 127.0.0.1 only. /other: 127.0.0.1 and 127.0.0.2.
  const fx = await startFixture({
    prepare: victims,
    export: { allow: [rule('127.0.0.1/32')] },
    moreExports: [{ path: '/other', prepare: victims, allow: [rule('127.0.0.1/32'), rule('127.0.0.2/32')] }],
  });
  t.teardown(() => fx.close());
  const one = await connect(fx);
  const two = await connect(fx, { localAddress: '127.0.0.2' });
  t.teardown(() => (one.close(), two.close()));

  const unionRoot = await one.mount('/union');
  const otherRoot = await two.mount('/other');
  t.same(await one.mount('/other'), otherRoot, 'a client allowed on both mounts both');
  t.equal(await mountStatus(two, '/union'), Mountstat3.MNT3ERR_ACCES, 'MNT of /union from 127.0.0.2');
  t.equal(await mountStatus(two, '/union/victim-dir'), Mountstat3.MNT3ERR_ACCES, 'MNT of a directory below /union from 127.0.0.2');
  const unionVictim = await lookupPath(one, unionRoot, 'victim');
  t.not(unionRoot.readUInt32BE(4), otherRoot.readUInt32BE(4), 'the exports have different ids');

  const before = await snapshotTrees([...layersOf(fx, 0), ...layersOf(fx, 1)]);
  // 127.0.0.2 holds a genuine /union handle (learnt from a permitted client): every use is refused.
  t.equal((await two.call(Nfs3Proc.GETATTR, { object: unionRoot })).status, Nfsstat3.NFS3ERR_ACCES, 'GETATTR');
  t.equal((await two.call(Nfs3Proc.LOOKUP, { dir: unionRoot, name: 'victim' })).status, Nfsstat3.NFS3ERR_ACCES, 'LOOKUP');
  t.equal((await two.call(Nfs3Proc.READ, { file: unionVictim, offset: 0n, count: 100 })).status, Nfsstat3.NFS3ERR_ACCES, 'READ');
  t.equal((await two.call(Nfs3Proc.READDIRPLUS, { dir: unionRoot, cookie: 0n, cookieverf: Buffer.alloc(8), dircount: 4096, maxcount: 16384 })).status, Nfsstat3.NFS3ERR_ACCES, 'READDIRPLUS');
  for (const [proc, call] of mutatingCalls(two, { file: unionVictim, dir: unionRoot, victim: 'victim', victimDir: 'victim-dir' })) {
    t.equal((await call()).status, Nfsstat3.NFS3ERR_ACCES, `${proc} with a /union handle from 127.0.0.2`);
  }
  // Mixing: the first handle permitted, the second of the other export.
  const rn = await two.call(Nfs3Proc.RENAME, { from: { dir: otherRoot, name: 'victim' }, to: { dir: unionRoot, name: 'moved' } });
  t.equal(rn.status, Nfsstat3.NFS3ERR_ACCES, 'RENAME from /other into /union by 127.0.0.2');
  const ln = await two.call(Nfs3Proc.LINK, { file: await lookupPath(two, otherRoot, 'victim'), link: { dir: unionRoot, name: 'linked' } });
  t.equal(ln.status, Nfsstat3.NFS3ERR_ACCES, 'LINK into /union by 127.0.0.2');
  // A client allowed on both still cannot cross exports (as across file systems).
  const xr = await one.call(Nfs3Proc.RENAME, { from: { dir: otherRoot, name: 'victim' }, to: { dir: unionRoot, name: 'moved' } });
  t.equal(xr.status, Nfsstat3.NFS3ERR_XDEV, 'RENAME across exports');
  const xl = await one.call(Nfs3Proc.LINK, { file: unionVictim, link: { dir: otherRoot, name: 'linked' } });
  t.equal(xl.status, Nfsstat3.NFS3ERR_XDEV, 'LINK across exports');
  t.same(await snapshotTrees([...layersOf(fx, 0), ...layersOf(fx, 1)]), before, 'neither export changed');

  // The permitted client works on both.
  t.equal((await one.call(Nfs3Proc.GETATTR, { object: unionRoot })).status, Nfsstat3.NFS3_OK);
  t.equal((await two.call(Nfs3Proc.GETATTR, { object: otherRoot })).status, Nfsstat3.NFS3_OK);
});

t.test('bad names as the target of every creating, removing and renaming procedure', async (t) => {
  const fx = await startFixture({ prepare: victims });
  t.teardown(() => fx.close());
  const client = await connect(fx);
  t.teardown(() => client.close());
  const dir = await client.mount('/union');
  const victim = await lookupPath(client, dir, 'victim');
  const names = await listNames(client, dir);
  const before = await snapshotTrees(layersOf(fx));

  const create = (name: string) => client.call(Nfs3Proc.CREATE, { where: { dir, name }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
  const creators: Array<[string, (name: string) => Promise<{ status: Nfsstat3 }>]> = [
    ['CREATE', create],
    ['CREATE UNCHECKED', (name) => client.call(Nfs3Proc.CREATE, { where: { dir, name }, how: { mode: Createmode3.UNCHECKED, objAttributes: { size: 0n } } })],
    ['CREATE EXCLUSIVE', (name) => client.call(Nfs3Proc.CREATE, { where: { dir, name }, how: { mode: Createmode3.EXCLUSIVE, verf: Buffer.alloc(8, 1) } })],
    ['MKDIR', (name) => client.call(Nfs3Proc.MKDIR, { where: { dir, name }, attributes: {} })],
    ['SYMLINK', (name) => client.call(Nfs3Proc.SYMLINK, { where: { dir, name }, symlink: { symlinkAttributes: {}, symlinkData: 'victim' } })],
    ['MKNOD', (name) => client.call(Nfs3Proc.MKNOD, { where: { dir, name }, what: { type: Ftype3.NF3FIFO, pipeAttributes: {} } })],
    ['LINK', (name) => client.call(Nfs3Proc.LINK, { file: victim, link: { dir, name } })],
  ];
  // Linux knfsd answers EXIST for "." and ".." (nfsd_create, nfsd_symlink, nfsd_link) and refuses
  // "", "/" and NUL while decoding (GARBAGE_ARGS); we answer those with INVAL, a status the
  // client can report, and refuse the image-layer whiteout prefix too (a later union built on this
  // upper would read such a name as a whiteout).
  const badCreate: Array<[string, Nfsstat3]> = [
    ['.', Nfsstat3.NFS3ERR_EXIST],
    ['..', Nfsstat3.NFS3ERR_EXIST],
    ['', Nfsstat3.NFS3ERR_INVAL],
    ['a/b', Nfsstat3.NFS3ERR_INVAL],
    ['../escape', Nfsstat3.NFS3ERR_INVAL],
    ['/abs', Nfsstat3.NFS3ERR_INVAL],
    ['nul\0byte', Nfsstat3.NFS3ERR_INVAL],
    ['.wh.victim', Nfsstat3.NFS3ERR_INVAL],
    ['.wh..wh..opq', Nfsstat3.NFS3ERR_INVAL],
    ['x'.repeat(256), Nfsstat3.NFS3ERR_NAMETOOLONG],
  ];
  for (const [proc, call] of creators) {
    for (const [name, want] of badCreate) t.equal((await call(name)).status, want, `${proc} ${JSON.stringify(name.slice(0, 20))}`);
  }

  // Removing: knfsd says ACCES for "", "." and ".." (nfsd_unlink); we follow unlink(2)/rmdir(2)
  // (rmdir ".." is ENOTEMPTY there). Either way nothing is removed.
  const badRemove: Array<[string, Nfsstat3, Nfsstat3]> = [
    // name, REMOVE, RMDIR
    ['.', Nfsstat3.NFS3ERR_INVAL, Nfsstat3.NFS3ERR_INVAL],
    ['..', Nfsstat3.NFS3ERR_INVAL, Nfsstat3.NFS3ERR_NOTEMPTY],
    ['', Nfsstat3.NFS3ERR_INVAL, Nfsstat3.NFS3ERR_INVAL],
    ['victim-dir/', Nfsstat3.NFS3ERR_INVAL, Nfsstat3.NFS3ERR_INVAL],
    ['../victim', Nfsstat3.NFS3ERR_INVAL, Nfsstat3.NFS3ERR_INVAL],
    ['victim\0', Nfsstat3.NFS3ERR_INVAL, Nfsstat3.NFS3ERR_INVAL],
  ];
  for (const [name, wantRemove, wantRmdir] of badRemove) {
    t.equal((await client.call(Nfs3Proc.REMOVE, { object: { dir, name } })).status, wantRemove, `REMOVE ${JSON.stringify(name)}`);
    t.equal((await client.call(Nfs3Proc.RMDIR, { object: { dir, name } })).status, wantRmdir, `RMDIR ${JSON.stringify(name)}`);
  }

  // Renaming: knfsd says PERM for "", "." and ".." on either side (nfsd_rename); we say INVAL.
  for (const name of ['.', '..', '', 'a/b', 'victim\0', '../victim']) {
    const from = await client.call(Nfs3Proc.RENAME, { from: { dir, name }, to: { dir, name: 'renamed' } });
    t.equal(from.status, Nfsstat3.NFS3ERR_INVAL, `RENAME from ${JSON.stringify(name)}`);
    const to = await client.call(Nfs3Proc.RENAME, { from: { dir, name: 'victim' }, to: { dir, name } });
    t.equal(to.status, Nfsstat3.NFS3ERR_INVAL, `RENAME victim to ${JSON.stringify(name)}`);
  }
  const wh = await client.call(Nfs3Proc.RENAME, { from: { dir, name: 'victim' }, to: { dir, name: '.wh.victim-dir' } });
  t.equal(wh.status, Nfsstat3.NFS3ERR_INVAL, 'RENAME to a whiteout name');

  t.same(await snapshotTrees(layersOf(fx)), before, 'upper and work unchanged');
  t.same(await listNames(client, dir), names, 'the union lists the same names');
});

t.test('".." never leaves the export', async (t) => {
  const fx = await startFixture({
    prepare: async (d) => {
      await victims(d);
      await mkdir(join(d.lower, 'victim-dir/sub'));
    },
  });
  t.teardown(() => fx.close());
  const client = await connect(fx);
  t.teardown(() => client.close());
  const root = await client.mount('/union');

  for (const name of ['..', '.']) {
    const r = await client.call(Nfs3Proc.LOOKUP, { dir: root, name });
    t.equal(r.status, Nfsstat3.NFS3_OK, `LOOKUP ${name} of the root`);
    if (r.status === Nfsstat3.NFS3_OK) t.same(r.object, root, `LOOKUP ${name} of the root is the root`);
  }
  let fh = root;
  for (let i = 0; i < 5; i++) fh = await lookupPath(client, fh, '..');
  t.same(fh, root, '../../../../.. of the root is the root');
  const sub = await lookupPath(client, root, 'victim-dir/sub');
  t.same(await lookupPath(client, sub, '../..'), root, 'sub/../.. is the root');
  t.same(await lookupPath(client, sub, '../../../..'), root, 'and stays there');

  // READDIR of the root: ".." names the root itself.
  const rd = await client.call(Nfs3Proc.READDIRPLUS, { dir: root, cookie: 0n, cookieverf: Buffer.alloc(8), dircount: 4096, maxcount: 16384 });
  t.equal(rd.status, Nfsstat3.NFS3_OK);
  if (rd.status === Nfsstat3.NFS3_OK) {
    const dotdot = rd.entries.find((e) => e.name === '..');
    const rootAttr = await client.call(Nfs3Proc.GETATTR, { object: root });
    if (rootAttr.status === Nfsstat3.NFS3_OK) t.equal(dotdot?.fileid, rootAttr.objAttributes.fileid, 'READDIRPLUS ".." of the root is the root');
    if (dotdot?.nameHandle) t.same(dotdot.nameHandle, root, 'with the root\'s handle');
  }

  // MOUNT paths that climb: refused, never the parent of an export.
  for (const path of ['/union/..', '/union/../..', '/union/../../etc', '/union/victim-dir/../..', '/union/./victim-dir']) {
    t.equal(await mountStatus(client, path), Mountstat3.MNT3ERR_INVAL, `MNT ${path}`);
  }
  for (const path of ['/..', '/../union', '/', '/etc', '/union2', fx.lower, fx.upper]) {
    t.equal(await mountStatus(client, path), Mountstat3.MNT3ERR_NOENT, `MNT ${path} (not an export)`);
  }
  t.equal(await mountStatus(client, '/union/victim'), Mountstat3.MNT3ERR_NOTDIR, 'MNT of a file');
  t.same(await client.mount('/union/'), root, 'a trailing slash names the export');
  t.same(await client.mount('/union/victim-dir/sub'), sub, 'a directory below the export');
});

t.test('symlinks pointing outside the layers are never followed by the server', async (t) => {
  let outside = '';
  let secret = '';
  const fx = await startFixture({
    prepare: async ({ lower }) => {
      // The sentinel lives beside the layers, where a followed link would land.
      outside = join(dirname(lower), 'outside');
      secret = join(outside, 'secret');
      await mkdir(outside);
      await writeFile(secret, 'the secret\n', { mode: 0o600 });
      await symlink(secret, join(lower, 'abs-link'));
      await symlink('../outside/secret', join(lower, 'rel-link'));
      await symlink('../../..', join(lower, 'up-link'));
      await symlink('../outside', join(lower, 'dir-link'));
      await symlink('/etc/shadow', join(lower, 'shadow-link'));
      await mkdir(join(lower, 'd'));
      await symlink('../../outside/secret', join(lower, 'd/deep-link'));
    },
  });
  t.teardown(() => fx.close());
  const client = await connect(fx);
  t.teardown(() => client.close());
  const root = await client.mount('/union');
  const secretBefore = await lstat(secret);
  const outsideBefore = await snapshotTrees([outside]);
  const shadowBefore = await stat('/etc/shadow').catch(() => undefined);

  const links = ['abs-link', 'rel-link', 'up-link', 'dir-link', 'shadow-link', 'd/deep-link'];
  for (const path of links) {
    const fh = await lookupPath(client, root, path);
    const name = path.split('/').pop()!;
    const dir = path.includes('/') ? await lookupPath(client, root, 'd') : root;
    const g = await client.call(Nfs3Proc.GETATTR, { object: fh });
    t.equal(g.status === Nfsstat3.NFS3_OK && g.objAttributes.type, Ftype3.NF3LNK, `${path}: GETATTR shows the link itself`);
    const rl = await client.call(Nfs3Proc.READLINK, { symlink: fh });
    t.ok(rl.status === Nfsstat3.NFS3_OK && rl.data.length > 0, `${path}: READLINK returns the text`);
    t.equal((await client.call(Nfs3Proc.READ, { file: fh, offset: 0n, count: 100 })).status, Nfsstat3.NFS3ERR_INVAL, `${path}: READ`);
    const w = await client.call(Nfs3Proc.WRITE, { file: fh, offset: 0n, count: 4, stable: StableHow.FILE_SYNC, data: Buffer.from('EVIL') });
    t.equal(w.status, Nfsstat3.NFS3ERR_INVAL, `${path}: WRITE`);
    t.equal((await client.call(Nfs3Proc.SETATTR, { object: fh, newAttributes: { size: 0n } })).status, Nfsstat3.NFS3ERR_INVAL, `${path}: SETATTR size`);
    t.equal((await client.call(Nfs3Proc.COMMIT, { file: fh, offset: 0n, count: 0 })).status !== Nfsstat3.NFS3ERR_SERVERFAULT, true, `${path}: COMMIT is no fault`);
    // Mode, owner and times apply to the link (lchown/lutimes), never to its target.
    const sa = await client.call(Nfs3Proc.SETATTR, { object: fh, newAttributes: { mode: 0o666, uid: 4321, gid: 4321, mtime: { seconds: 1_000_000, nseconds: 0 } } });
    t.equal(sa.status, Nfsstat3.NFS3_OK, `${path}: SETATTR mode/owner/times acts on the link`);
    for (const how of [Createmode3.UNCHECKED, Createmode3.GUARDED] as const) {
      const cr = await client.call(Nfs3Proc.CREATE, { where: { dir, name }, how: { mode: how, objAttributes: { size: 0n, mode: 0o666 } } });
      t.equal(cr.status, Nfsstat3.NFS3ERR_EXIST, `${path}: CREATE ${how === Createmode3.UNCHECKED ? 'UNCHECKED (truncate)' : 'GUARDED'} over the link`);
    }
    const ex = await client.call(Nfs3Proc.CREATE, { where: { dir, name }, how: { mode: Createmode3.EXCLUSIVE, verf: Buffer.alloc(8, 7) } });
    t.equal(ex.status, Nfsstat3.NFS3ERR_EXIST, `${path}: CREATE EXCLUSIVE over the link`);
    // Used as a directory.
    t.equal((await client.call(Nfs3Proc.LOOKUP, { dir: fh, name: 'secret' })).status, Nfsstat3.NFS3ERR_NOTDIR, `${path}: LOOKUP through it`);
    t.equal((await client.call(Nfs3Proc.READDIR, { dir: fh, cookie: 0n, cookieverf: Buffer.alloc(8), count: 4096 })).status, Nfsstat3.NFS3ERR_NOTDIR, `${path}: READDIR`);
    t.equal((await client.call(Nfs3Proc.CREATE, { where: { dir: fh, name: 'planted' }, how: { mode: Createmode3.UNCHECKED, objAttributes: {} } })).status, Nfsstat3.NFS3ERR_NOTDIR, `${path}: CREATE inside`);
    t.equal((await client.call(Nfs3Proc.MKDIR, { where: { dir: fh, name: 'planted-dir' }, attributes: {} })).status, Nfsstat3.NFS3ERR_NOTDIR, `${path}: MKDIR inside`);
    t.equal((await client.call(Nfs3Proc.REMOVE, { object: { dir: fh, name: 'secret' } })).status, Nfsstat3.NFS3ERR_NOTDIR, `${path}: REMOVE inside`);
    const rn = await client.call(Nfs3Proc.RENAME, { from: { dir: fh, name: 'secret' }, to: { dir: root, name: 'stolen' } });
    t.equal(rn.status, Nfsstat3.NFS3ERR_NOTDIR, `${path}: RENAME out of it`);
    // A hard link to the link is a link to the link (link(2) does not follow).
    const ln = await client.call(Nfs3Proc.LINK, { file: fh, link: { dir: root, name: `hard-${name}` } });
    t.equal(ln.status, Nfsstat3.NFS3_OK, `${path}: LINK names the link itself`);
  }

  // A link the client makes itself, then writes "through".
  const made = await client.call(Nfs3Proc.SYMLINK, { where: { dir: root, name: 'mine' }, symlink: { symlinkAttributes: {}, symlinkData: secret } });
  t.equal(made.status, Nfsstat3.NFS3_OK, 'SYMLINK to a path outside is stored as text');
  if (made.status === Nfsstat3.NFS3_OK && made.obj) {
    const w = await client.call(Nfs3Proc.WRITE, { file: made.obj, offset: 0n, count: 4, stable: StableHow.FILE_SYNC, data: Buffer.from('EVIL') });
    t.equal(w.status, Nfsstat3.NFS3ERR_INVAL, 'WRITE to the new link');
    t.equal((await client.call(Nfs3Proc.READ, { file: made.obj, offset: 0n, count: 100 })).status, Nfsstat3.NFS3ERR_INVAL, 'READ of the new link');
  }
  const onDisk = await lstat(join(fx.upper, 'abs-link'));
  t.ok(onDisk.isSymbolicLink(), 'the copied-up link is a link in the upper');
  t.equal(onDisk.uid, 4321, 'its owner changed (lchown), not its target\'s');

  const secretAfter = await lstat(secret);
  t.equal(await readFile(secret, 'utf8'), 'the secret\n', 'the sentinel\'s content is untouched');
  t.same([secretAfter.mode, secretAfter.uid, secretAfter.gid, secretAfter.size, secretAfter.mtimeMs, secretAfter.nlink],
    [secretBefore.mode, secretBefore.uid, secretBefore.gid, secretBefore.size, secretBefore.mtimeMs, secretBefore.nlink], 'and its metadata');
  t.same(await snapshotTrees([outside]), outsideBefore, 'nothing appeared outside the layers');
  const shadowAfter = await stat('/etc/shadow').catch(() => undefined);
  if (shadowBefore && shadowAfter) t.same([shadowAfter.mode, shadowAfter.uid, shadowAfter.mtimeMs], [shadowBefore.mode, shadowBefore.uid, shadowBefore.mtimeMs], '/etc/shadow untouched');
});

t.test('a client outside the allow list: MNT3ERR_ACCES, and NFS3ERR_ACCES even with a valid handle', async (t) => {
  const fx = await startFixture({ prepare: victims, export: { allow: [rule('127.0.0.1/32')] } });
  t.teardown(() => fx.close());
  const inside = await connect(fx);
  const outsider = await connect(fx, { localAddress: '127.0.0.2' });
  t.teardown(() => (inside.close(), outsider.close()));
  const root = await inside.mount('/union');
  const file = await lookupPath(inside, root, 'victim');
  t.equal(await mountStatus(outsider, '/union'), Mountstat3.MNT3ERR_ACCES, 'MNT');
  const before = await snapshotTrees(layersOf(fx));
  for (const [proc, call] of [
    ['GETATTR', () => outsider.call(Nfs3Proc.GETATTR, { object: root })],
    ['ACCESS', () => outsider.call(Nfs3Proc.ACCESS, { object: root, access: 0x3f })],
    ['READ', () => outsider.call(Nfs3Proc.READ, { file, offset: 0n, count: 10 })],
    ['READDIR', () => outsider.call(Nfs3Proc.READDIR, { dir: root, cookie: 0n, cookieverf: Buffer.alloc(8), count: 4096 })],
    ['FSINFO', () => outsider.call(Nfs3Proc.FSINFO, { fsroot: root })],
    ['COMMIT', () => outsider.call(Nfs3Proc.COMMIT, { file, offset: 0n, count: 0 })],
    ...mutatingCalls(outsider, { file, dir: root, victim: 'victim', victimDir: 'victim-dir' }),
  ] as Array<[string, () => Promise<{ status: Nfsstat3 }>]>) {
    t.equal((await call()).status, Nfsstat3.NFS3ERR_ACCES, proc);
  }
  t.same(await snapshotTrees(layersOf(fx)), before, 'nothing written');
  t.equal((await inside.call(Nfs3Proc.GETATTR, { object: root })).status, Nfsstat3.NFS3_OK, 'the allowed client is served');
});

t.test('root squash (the default): uid 0 is the anonymous user', async (t) => {
  const fx = await startFixture({
    prepare: async ({ lower }) => {
      await writeFile(join(lower, 'root-file'), 'root data\n', { mode: 0o644 });
      await writeFile(join(lower, 'root-private'), 'private\n', { mode: 0o600 });
      await mkdir(join(lower, 'pub'));
      await chmod(join(lower, 'pub'), 0o777);
      await writeFile(join(lower, 'pub/root-in-pub'), 'x\n', { mode: 0o644 });
      await writeFile(join(lower, 'user-file'), 'user\n', { mode: 0o644 });
      await chown(join(lower, 'user-file'), 1000, 1000);
    },
    export: { squash: DEFAULTS.squash },
  });
  t.equal(DEFAULTS.squash, 'root', 'root squash is the default');
  t.teardown(() => fx.close());
  const root0 = await connect(fx, { cred: authSys(0, 0, [0]) });
  t.teardown(() => root0.close());
  const root = await root0.mount('/union');
  const rootFile = await lookupPath(root0, root, 'root-file');
  const pub = await lookupPath(root0, root, 'pub');
  const before = await snapshotTrees(layersOf(fx));

  const s = async (p: Promise<{ status: Nfsstat3 }>) => (await p).status;
  t.equal(await s(root0.call(Nfs3Proc.SETATTR, { object: rootFile, newAttributes: { mode: 0o666 } })), Nfsstat3.NFS3ERR_PERM, 'chmod of a root file');
  t.equal(await s(root0.call(Nfs3Proc.SETATTR, { object: rootFile, newAttributes: { uid: 1234 } })), Nfsstat3.NFS3ERR_PERM, 'chown of a root file');
  t.equal(await s(root0.call(Nfs3Proc.SETATTR, { object: rootFile, newAttributes: { gid: 1234 } })), Nfsstat3.NFS3ERR_PERM, 'chgrp of a root file');
  t.equal(await s(root0.call(Nfs3Proc.SETATTR, { object: rootFile, newAttributes: { size: 0n } })), Nfsstat3.NFS3ERR_ACCES, 'truncate of a root file');
  t.equal(await s(root0.call(Nfs3Proc.SETATTR, { object: rootFile, newAttributes: { mtime: { seconds: 1, nseconds: 0 } } })), Nfsstat3.NFS3ERR_PERM, 'explicit mtime on a root file');
  t.equal(await s(root0.call(Nfs3Proc.WRITE, { file: rootFile, offset: 0n, count: 4, stable: StableHow.FILE_SYNC, data: Buffer.from('EVIL') })), Nfsstat3.NFS3ERR_ACCES, 'write to a root file');
  const priv = await lookupPath(root0, root, 'root-private');
  t.equal(await s(root0.call(Nfs3Proc.READ, { file: priv, offset: 0n, count: 10 })), Nfsstat3.NFS3ERR_ACCES, 'read of a 0600 root file');
  t.equal(await s(root0.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'planted' }, how: { mode: Createmode3.UNCHECKED, objAttributes: {} } })), Nfsstat3.NFS3ERR_ACCES, 'create in a 0755 root directory');
  t.equal(await s(root0.call(Nfs3Proc.REMOVE, { object: { dir: root, name: 'root-file' } })), Nfsstat3.NFS3ERR_ACCES, 'remove from a 0755 root directory');
  t.equal(await s(root0.call(Nfs3Proc.SETATTR, { object: pub, newAttributes: { mode: 0o700 } })), Nfsstat3.NFS3ERR_PERM, 'chmod of a root directory');
  const acc = await root0.call(Nfs3Proc.ACCESS, { object: rootFile, access: Access3.READ | Access3.MODIFY | Access3.EXTEND });
  t.equal(acc.status === Nfsstat3.NFS3_OK && acc.access, Access3.READ, 'ACCESS agrees: read only');
  t.same(await snapshotTrees(layersOf(fx)), before, 'nothing written by the refused calls');

  // What squashed root may do, it does as 65534 — whatever owner it asks for (regression: the
  // create attributes' uid/gid were honoured for anyone, so squashed root made a setuid-root file).
  const cr = await root0.call(Nfs3Proc.CREATE, { where: { dir: pub, name: 'by-root' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o4777, uid: 0, gid: 0 } } });
  t.equal(cr.status, Nfsstat3.NFS3_OK, 'create in a 0777 directory, asking for owner 0:0 and mode 04777');
  if (cr.status === Nfsstat3.NFS3_OK) t.same([cr.objAttributes?.uid, cr.objAttributes?.gid], [ANON, ANON], 'owned by 65534:65534 all the same');
  const md = await root0.call(Nfs3Proc.MKDIR, { where: { dir: pub, name: 'dir-by-root' }, attributes: { uid: 0, gid: 0 } });
  t.equal(md.status === Nfsstat3.NFS3_OK && md.objAttributes?.uid, ANON, 'mkdir: owned by 65534');
  const sl = await root0.call(Nfs3Proc.SYMLINK, { where: { dir: pub, name: 'link-by-root' }, symlink: { symlinkAttributes: { uid: 0, gid: 0 }, symlinkData: 'x' } });
  t.equal(sl.status === Nfsstat3.NFS3_OK && sl.objAttributes?.uid, ANON, 'symlink: owned by 65534');
  const mk = await root0.call(Nfs3Proc.MKNOD, { where: { dir: pub, name: 'fifo-by-root' }, what: { type: Ftype3.NF3FIFO, pipeAttributes: { uid: 0, gid: 0 } } });
  t.equal(mk.status === Nfsstat3.NFS3_OK && mk.objAttributes?.uid, ANON, 'mknod: owned by 65534');
  for (const name of ['by-root', 'dir-by-root', 'link-by-root', 'fifo-by-root']) {
    const disk = await lstat(join(fx.upper, 'pub', name));
    t.same([disk.uid, disk.gid], [ANON, ANON], `${name}: 65534:65534 on disk too`);
  }
  const inPub = await lookupPath(root0, pub, 'root-in-pub');
  t.equal(await s(root0.call(Nfs3Proc.REMOVE, { object: { dir: pub, name: 'root-in-pub' } })), Nfsstat3.NFS3_OK, 'remove from a 0777 directory (no sticky bit)');
  t.equal(await s(root0.call(Nfs3Proc.GETATTR, { object: inPub })), Nfsstat3.NFS3ERR_STALE, 'the removed file is gone');

  // Other users keep their identity.
  const user = await connect(fx, { cred: authSys(1000, 1000) });
  t.teardown(() => user.close());
  const uf = await lookupPath(user, root, 'user-file');
  t.equal(await s(user.call(Nfs3Proc.SETATTR, { object: uf, newAttributes: { mode: 0o600 } })), Nfsstat3.NFS3_OK, 'uid 1000 chmods its own file');
  const ucr = await user.call(Nfs3Proc.CREATE, { where: { dir: pub, name: 'by-user' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
  t.same(ucr.status === Nfsstat3.NFS3_OK && [ucr.objAttributes?.uid, ucr.objAttributes?.gid], [1000, 1000], 'uid 1000 creates as 1000');
  const gift = await user.call(Nfs3Proc.CREATE, { where: { dir: pub, name: 'gift' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o4755, uid: 0, gid: 0 } } });
  t.same(gift.status === Nfsstat3.NFS3_OK && [gift.objAttributes?.uid, gift.objAttributes?.gid], [1000, 1000], 'uid 1000 cannot give a new file to root');
  t.equal((await stat(join(fx.upper, 'pub/gift'))).uid, 1000, 'on disk either');
  // A supplementary group 0 is squashed too.
  const g0 = await connect(fx, { cred: authSys(1000, 1000, [0]) });
  t.teardown(() => g0.close());
  t.equal(await s(g0.call(Nfs3Proc.SETATTR, { object: uf, newAttributes: { gid: 0 } })), Nfsstat3.NFS3ERR_PERM, 'chgrp to a squashed group 0');
});

t.test('squash all and AUTH_NONE: everyone is anonymous', async (t) => {
  const prepare = async ({ lower }: { lower: string }) => {
    await mkdir(join(lower, 'pub'));
    await chmod(join(lower, 'pub'), 0o777);
    await writeFile(join(lower, 'mine'), 'owned by 1000\n', { mode: 0o600 });
    await chown(join(lower, 'mine'), 1000, 1000);
  };
  for (const squash of ['all', 'none', 'root'] as const) {
    await t.test(`squash ${squash}`, async (t) => {
      const fx = await startFixture({ prepare, export: { squash, anonUid: 4242, anonGid: 4343 } });
      t.teardown(() => fx.close());
      const user = await connect(fx, { cred: authSys(1000, 1000, [1000, 27]) });
      const none = await connect(fx, { cred: { flavor: AuthFlavor.AUTH_NONE } });
      t.teardown(() => (user.close(), none.close()));
      const root = await user.mount('/union');
      t.same(await none.mount('/union'), root, 'AUTH_NONE may mount');
      const pub = await lookupPath(user, root, 'pub');
      const mine = await lookupPath(user, root, 'mine');

      const byUser = await user.call(Nfs3Proc.CREATE, { where: { dir: pub, name: 'by-user' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
      const byNone = await none.call(Nfs3Proc.CREATE, { where: { dir: pub, name: 'by-none' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
      const owner = (r: typeof byUser) => (r.status === Nfsstat3.NFS3_OK ? [r.objAttributes?.uid, r.objAttributes?.gid] : r.status);
      t.same(owner(byUser), squash === 'all' ? [4242, 4343] : [1000, 1000], 'uid 1000 creates as ' + (squash === 'all' ? 'the anonymous user' : 'itself'));
      t.same(owner(byNone), [4242, 4343], 'AUTH_NONE creates as the anonymous user');
      t.same([(await stat(join(fx.upper, 'pub/by-none'))).uid, (await stat(join(fx.upper, 'pub/by-none'))).gid], [4242, 4343], 'on disk too');

      // Root may give a new object away (a chown it could do anyway), unless it is squashed.
      const rootClient = await connect(fx, { cred: authSys(0, 0) });
      t.teardown(() => rootClient.close());
      const byRoot = await rootClient.call(Nfs3Proc.CREATE, { where: { dir: pub, name: 'by-root' }, how: { mode: Createmode3.GUARDED, objAttributes: { uid: 1234, gid: 1235 } } });
      t.same(owner(byRoot), squash === 'none' ? [1234, 1235] : [4242, 4343], 'root creating for uid 1234: ' + (squash === 'none' ? 'honoured' : 'squashed, ignored'));

      const readMine = await user.call(Nfs3Proc.READ, { file: mine, offset: 0n, count: 100 });
      t.equal(readMine.status, squash === 'all' ? Nfsstat3.NFS3ERR_ACCES : Nfsstat3.NFS3_OK, 'uid 1000 reads its 0600 file unless squashed');
      t.equal((await none.call(Nfs3Proc.READ, { file: mine, offset: 0n, count: 100 })).status, Nfsstat3.NFS3ERR_ACCES, 'AUTH_NONE cannot read a 0600 file');
      const before = await snapshotTrees(layersOf(fx));
      t.equal((await none.call(Nfs3Proc.WRITE, { file: mine, offset: 0n, count: 4, stable: StableHow.FILE_SYNC, data: Buffer.from('EVIL') })).status, Nfsstat3.NFS3ERR_ACCES, 'nor write it');
      t.equal((await none.call(Nfs3Proc.SETATTR, { object: mine, newAttributes: { mode: 0o666 } })).status, Nfsstat3.NFS3ERR_PERM, 'nor chmod it');
      t.equal((await none.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'x' }, how: { mode: Createmode3.UNCHECKED, objAttributes: {} } })).status, Nfsstat3.NFS3ERR_ACCES, 'nor create in a 0755 root directory');
      t.same(await snapshotTrees(layersOf(fx)), before, 'nothing written by the refused calls');
    });
  }
});

t.test('a write or truncate by anyone but root drops set-id bits (regression: the server kept them)', async (t) => {
  // The server writes as root, whom the kernel lets keep set-id bits; a local writer without
  // CAP_FSETID (and knfsd, writing as the client) loses them. Without this, anyone allowed to write a
  // setuid-root program could replace it and stay setuid root.
  const files: Array<[string, number, number]> = [
    // name, mode, owner
    ['suid-root', 0o4777, 0],
    ['sgid-exec', 0o2777, 0],
    ['sgid-noexec', 0o2666, 0],
    ['suid-own', 0o4777, 1000],
    ['suid-trunc', 0o4777, 0],
    ['suid-trunc-mode', 0o4777, 1000],
    ['suid-by-root', 0o4777, 0],
  ];
  const fx = await startFixture({
    prepare: async ({ lower }) => {
      for (const [name, mode, owner] of files) {
        await writeFile(join(lower, name), '#!/bin/sh\necho hi\n');
        await chown(join(lower, name), owner, owner);
        await chmod(join(lower, name), mode);
      }
    },
  });
  t.teardown(() => fx.close());
  const user = await connect(fx, { cred: authSys(1000, 1000) });
  const rootUser = await connect(fx, { cred: authSys(0, 0) });
  t.teardown(() => (user.close(), rootUser.close()));
  const root = await user.mount('/union');
  const modeOf = async (c: NfsTestClient, fh: Buffer) => {
    const g = await c.call(Nfs3Proc.GETATTR, { object: fh });
    return g.status === Nfsstat3.NFS3_OK ? g.objAttributes.mode : -1;
  };
  const write = (c: NfsTestClient, file: Buffer) =>
    c.call(Nfs3Proc.WRITE, { file, offset: 0n, count: 4, stable: StableHow.FILE_SYNC, data: Buffer.from('EVIL') });
  const fh = async (name: string) => lookupPath(user, root, name);

  t.equal((await write(user, await fh('suid-root'))).status, Nfsstat3.NFS3_OK, 'uid 1000 writes a 04777 root file');
  t.equal(await modeOf(user, await fh('suid-root')), 0o777, 'set-user-ID dropped');
  t.equal((await stat(join(fx.upper, 'suid-root'))).mode & 0o7777, 0o777, 'on disk too');
  await write(user, await fh('sgid-exec'));
  t.equal(await modeOf(user, await fh('sgid-exec')), 0o777, 'set-group-ID with group execute dropped');
  await write(user, await fh('sgid-noexec'));
  t.equal(await modeOf(user, await fh('sgid-noexec')), 0o2666, 'set-group-ID without group execute kept (mandatory locking mark)');
  await write(user, await fh('suid-own'));
  t.equal(await modeOf(user, await fh('suid-own')), 0o777, 'the owner\'s own write drops it too');
  const tr = await user.call(Nfs3Proc.SETATTR, { object: await fh('suid-trunc'), newAttributes: { size: 0n } });
  t.equal(tr.status, Nfsstat3.NFS3_OK, 'uid 1000 truncates a 04777 root file');
  t.equal(await modeOf(user, await fh('suid-trunc')), 0o777, 'truncate drops set-user-ID');
  const trm = await user.call(Nfs3Proc.SETATTR, { object: await fh('suid-trunc-mode'), newAttributes: { size: 0n, mode: 0o4755 } });
  t.equal(trm.status, Nfsstat3.NFS3_OK);
  t.equal(await modeOf(user, await fh('suid-trunc-mode')), 0o4755, 'a mode given with the truncate wins');
  await write(rootUser, await fh('suid-by-root'));
  t.equal(await modeOf(user, await fh('suid-by-root')), 0o4777, 'root (not squashed) keeps the bits, as with CAP_FSETID');
});

t.test('set-group-ID only for a group the caller is in (regression: chmod and create kept it)', async (t) => {
  const fx = await startFixture({
    prepare: async ({ lower }) => {
      // A setgid directory of group 50 that anyone may write, holding a file of uid 1000, group 50.
      await mkdir(join(lower, 'staff'));
      await chown(join(lower, 'staff'), 0, 50);
      await chmod(join(lower, 'staff'), 0o2777);
      await writeFile(join(lower, 'staff/mine'), '#!/bin/sh\n');
      await chown(join(lower, 'staff/mine'), 1000, 50);
      await chmod(join(lower, 'staff/mine'), 0o755);
    },
  });
  t.teardown(() => fx.close());
  const outsider = await connect(fx, { cred: authSys(1000, 1000) });
  const member = await connect(fx, { cred: authSys(1000, 1000, [50]) });
  t.teardown(() => (outsider.close(), member.close()));
  const root = await outsider.mount('/union');
  const staff = await lookupPath(outsider, root, 'staff');
  const mine = await lookupPath(outsider, staff, 'mine');
  const modeOf = async (fh: Buffer) => {
    const g = await outsider.call(Nfs3Proc.GETATTR, { object: fh });
    return g.status === Nfsstat3.NFS3_OK ? [g.objAttributes.mode, g.objAttributes.gid] : g.status;
  };
  t.equal((await outsider.call(Nfs3Proc.SETATTR, { object: mine, newAttributes: { mode: 0o2755 } })).status, Nfsstat3.NFS3_OK, 'the owner may chmod');
  t.same(await modeOf(mine), [0o755, 50], 'but not into a setgid program of a group it is not in');
  t.equal((await member.call(Nfs3Proc.SETATTR, { object: mine, newAttributes: { mode: 0o2755 } })).status, Nfsstat3.NFS3_OK);
  t.same(await modeOf(mine), [0o2755, 50], 'a member of the group may');
  const made = await outsider.call(Nfs3Proc.CREATE, { where: { dir: staff, name: 'made' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o2755 } } });
  t.same(made.status === Nfsstat3.NFS3_OK && [made.objAttributes?.mode, made.objAttributes?.gid], [0o755, 50], 'create in the setgid directory: group inherited, set-group-ID dropped');
  const byMember = await member.call(Nfs3Proc.CREATE, { where: { dir: staff, name: 'by-member' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o2755 } } });
  t.same(byMember.status === Nfsstat3.NFS3_OK && [byMember.objAttributes?.mode, byMember.objAttributes?.gid], [0o2755, 50], 'a member keeps it');
  const sub = await outsider.call(Nfs3Proc.MKDIR, { where: { dir: staff, name: 'sub' }, attributes: { mode: 0o755 } });
  t.same(sub.status === Nfsstat3.NFS3_OK && sub.objAttributes?.mode, 0o2755, 'directories always inherit set-group-ID');
});

t.test('READDIRPLUS of a directory the caller may read but not search: names only (regression: it gave handles)', async (t) => {
  const fx = await startFixture({
    prepare: async ({ lower }) => {
      await mkdir(join(lower, 'listable'));
      await writeFile(join(lower, 'listable/inside'), 'readable by all, reachable by none\n', { mode: 0o644 });
      await chmod(join(lower, 'listable'), 0o744);
    },
  });
  t.teardown(() => fx.close());
  const user = await connect(fx, { cred: authSys(1000, 1000) });
  const owner = await connect(fx, { cred: authSys(0, 0) });
  t.teardown(() => (user.close(), owner.close()));
  const root = await user.mount('/union');
  const dir = await lookupPath(user, root, 'listable');
  t.equal((await user.call(Nfs3Proc.LOOKUP, { dir, name: 'inside' })).status, Nfsstat3.NFS3ERR_ACCES, 'LOOKUP inside: ACCES');
  const plus = (c: NfsTestClient) => c.call(Nfs3Proc.READDIRPLUS, { dir, cookie: 0n, cookieverf: Buffer.alloc(8), dircount: 4096, maxcount: 16384 });
  const r = await plus(user);
  t.equal(r.status, Nfsstat3.NFS3_OK, 'READDIRPLUS: read permission suffices to list');
  if (r.status === Nfsstat3.NFS3_OK) {
    t.same(r.entries.map((e) => e.name), ['.', '..', 'inside'], 'the names');
    t.ok(r.entries.every((e) => !e.nameHandle && !e.nameAttributes), 'no handle and no attributes for any entry');
  }
  const o = await owner.call(Nfs3Proc.READDIRPLUS, { dir, cookie: 0n, cookieverf: Buffer.alloc(8), dircount: 4096, maxcount: 16384 });
  t.ok(o.status === Nfsstat3.NFS3_OK && o.entries.find((e) => e.name === 'inside')?.nameHandle, 'a caller who may search gets handles');
});

/** Bind a reserved source port; ports in TIME_WAIT or taken by others are skipped. */
async function connectReserved(fx: Fixture): Promise<NfsTestClient> {
  for (let attempt = 0; ; attempt++) {
    const localPort = randomInt(600, 1000);
    try {
      return await connect(fx, { localPort, mountLocalPort: localPort + 1 });
    } catch (e) {
      if (attempt > 20) throw e;
    }
  }
}

t.test('secure: a non-reserved source port is refused, a reserved one served', { skip: process.getuid?.() !== 0 && 'reserved ports need root' }, async (t) => {
  const fx = await startFixture({ prepare: victims, export: { secure: true } });
  t.teardown(() => fx.close());
  const privileged = await connectReserved(fx);
  const ordinary = await connect(fx);
  t.teardown(() => (privileged.close(), ordinary.close()));
  t.equal(await mountStatus(ordinary, '/union'), Mountstat3.MNT3ERR_ACCES, 'MNT from a port >= 1024');
  const root = await privileged.mount('/union');
  const file = await lookupPath(privileged, root, 'victim');
  t.equal((await privileged.call(Nfs3Proc.GETATTR, { object: root })).status, Nfsstat3.NFS3_OK, 'GETATTR from a reserved port');
  const before = await snapshotTrees(layersOf(fx));
  t.equal((await ordinary.call(Nfs3Proc.GETATTR, { object: root })).status, Nfsstat3.NFS3ERR_PERM, 'GETATTR from a port >= 1024 (knfsd: PERM)');
  t.equal((await ordinary.call(Nfs3Proc.READ, { file, offset: 0n, count: 10 })).status, Nfsstat3.NFS3ERR_PERM, 'READ');
  for (const [proc, call] of mutatingCalls(ordinary, { file, dir: root, victim: 'victim', victimDir: 'victim-dir' })) {
    t.equal((await call()).status, Nfsstat3.NFS3ERR_PERM, proc);
  }
  t.same(await snapshotTrees(layersOf(fx)), before, 'nothing written');
  const w = await privileged.call(Nfs3Proc.WRITE, { file, offset: 0n, count: 2, stable: StableHow.FILE_SYNC, data: Buffer.from('OK') });
  t.equal(w.status, Nfsstat3.NFS3_OK, 'WRITE from a reserved port');
});

t.test('read-only export: ROFS for every change, ACCESS never grants one, nothing written', async (t) => {
  const fx = await startFixture({ prepare: victims, export: { readOnly: true } });
  t.teardown(() => fx.close());
  const client = await connect(fx);
  t.teardown(() => client.close());
  const root = await client.mount('/union');
  const file = await lookupPath(client, root, 'victim');
  const before = await snapshotTrees(layersOf(fx));
  for (const [proc, call] of mutatingCalls(client, { file, dir: root, victim: 'victim', victimDir: 'victim-dir' })) {
    t.equal((await call()).status, Nfsstat3.NFS3ERR_ROFS, proc);
  }
  const exclusive = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'ex' }, how: { mode: Createmode3.EXCLUSIVE, verf: Buffer.alloc(8, 3) } });
  t.equal(exclusive.status, Nfsstat3.NFS3ERR_ROFS, 'CREATE EXCLUSIVE');
  const dev = await client.call(Nfs3Proc.MKNOD, { where: { dir: root, name: 'dev' }, what: { type: Ftype3.NF3CHR, device: { devAttributes: {}, spec: { specdata1: 1, specdata2: 3 } } } });
  t.equal(dev.status, Nfsstat3.NFS3ERR_ROFS, 'MKNOD of a device');
  const guarded = await client.call(Nfs3Proc.SETATTR, { object: file, newAttributes: { size: 0n }, guard: { seconds: 0, nseconds: 0 } });
  t.equal(guarded.status, Nfsstat3.NFS3ERR_ROFS, 'SETATTR with a guard');
  const all = Access3.READ | Access3.LOOKUP | Access3.MODIFY | Access3.EXTEND | Access3.DELETE | Access3.EXECUTE;
  const change = Access3.MODIFY | Access3.EXTEND | Access3.DELETE;
  for (const [what, fh] of [['root', root], ['file', file]] as const) {
    const a = await client.call(Nfs3Proc.ACCESS, { object: fh, access: all });
    t.equal(a.status, Nfsstat3.NFS3_OK, `ACCESS ${what}`);
    if (a.status === Nfsstat3.NFS3_OK) {
      t.equal(a.access & change, 0, `ACCESS ${what}: no MODIFY/EXTEND/DELETE`);
      t.ok(a.access & Access3.READ, `ACCESS ${what}: READ granted`);
    }
  }
  const r = await client.call(Nfs3Proc.READ, { file, offset: 0n, count: 100 });
  t.equal(r.status === Nfsstat3.NFS3_OK && r.data.toString(), 'victim data\n', 'READ works');
  t.equal((await client.call(Nfs3Proc.COMMIT, { file, offset: 0n, count: 0 })).status, Nfsstat3.NFS3_OK, 'COMMIT has nothing to flush and is harmless');
  t.same(await snapshotTrees(layersOf(fx)), before, 'upper and work unchanged');
});
