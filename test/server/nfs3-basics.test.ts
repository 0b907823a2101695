/**
 * The NFSv3 service end to end over TCP with our typed client: every procedure against a small
 * lower tree, handles across a restart, the duplicate request cache, forged handles.
 */

import t from 'tap';
import { mkdir, readFile, writeFile, symlink, link, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Createmode3, Ftype3, Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import { NfsTestClient } from './lib/nfs-client.js';
import { startFixture } from './lib/server-fixture.js';

const fx = await startFixture({
  prepare: async ({ lower }) => {
    await mkdir(join(lower, 'dir/sub'), { recursive: true });
    await writeFile(join(lower, 'dir/a.txt'), 'lower a\n');
    await writeFile(join(lower, 'top.txt'), 'top\n');
    await link(join(lower, 'top.txt'), join(lower, 'dir/top-link.txt'));
    await symlink('../../../etc/passwd', join(lower, 'escape'));
  },
});
t.teardown(() => fx.close());
let client = await NfsTestClient.connect({ nfsPort: fx.server.nfsPort, mountPort: fx.server.mountPort });
t.teardown(() => client.close());

const root = await client.mount('/union');

async function lookupPath(path: string, from = root): Promise<Buffer> {
  let fh = from;
  for (const name of path.split('/').filter(Boolean)) {
    const r = await client.call(Nfs3Proc.LOOKUP, { dir: fh, name });
    if (r.status !== Nfsstat3.NFS3_OK) throw new Error(`LOOKUP ${name}: ${r.status}`);
    fh = r.object;
  }
  return fh;
}

async function listNames(dir: Buffer, plus: boolean, pageBytes = 4096): Promise<string[]> {
  const names: string[] = [];
  let cookie = 0n;
  for (;;) {
    const r = plus
      ? await client.call(Nfs3Proc.READDIRPLUS, { dir, cookie, cookieverf: Buffer.alloc(8), dircount: pageBytes, maxcount: pageBytes * 4 })
      : await client.call(Nfs3Proc.READDIR, { dir, cookie, cookieverf: Buffer.alloc(8), count: pageBytes });
    if (r.status !== Nfsstat3.NFS3_OK) throw new Error(`READDIR: ${r.status}`);
    for (const e of r.entries) names.push(e.name);
    if (r.eof) return names;
    cookie = r.entries[r.entries.length - 1].cookie;
  }
}

t.test('root attributes, FSINFO, PATHCONF, FSSTAT', async (t) => {
  const g = await client.call(Nfs3Proc.GETATTR, { object: root });
  t.equal(g.status, Nfsstat3.NFS3_OK);
  if (g.status !== Nfsstat3.NFS3_OK) return;
  t.equal(g.objAttributes.type, Ftype3.NF3DIR);
  t.ok(g.objAttributes.nlink >= 2, 'directories report nlink >= 2');
  t.not(g.objAttributes.fileid, 0n);
  const fi = await client.call(Nfs3Proc.FSINFO, { fsroot: root });
  t.equal(fi.status, Nfsstat3.NFS3_OK);
  if (fi.status === Nfsstat3.NFS3_OK) {
    t.equal(fi.rtmax, 1 << 20);
    t.equal(fi.wtmax, 1 << 20);
  }
  const pc = await client.call(Nfs3Proc.PATHCONF, { object: root });
  t.equal(pc.status, Nfsstat3.NFS3_OK);
  if (pc.status === Nfsstat3.NFS3_OK) t.equal(pc.nameMax, 255);
  const fs = await client.call(Nfs3Proc.FSSTAT, { fsroot: root });
  t.equal(fs.status, Nfsstat3.NFS3_OK);
  if (fs.status === Nfsstat3.NFS3_OK) t.ok(fs.tbytes > 0n);
});

t.test('read a lower file; write copies up, lower untouched', async (t) => {
  const fh = await lookupPath('dir/a.txt');
  const r = await client.call(Nfs3Proc.READ, { file: fh, offset: 0n, count: 100 });
  t.equal(r.status, Nfsstat3.NFS3_OK);
  if (r.status === Nfsstat3.NFS3_OK) {
    t.equal(r.data.toString(), 'lower a\n');
    t.ok(r.eof);
  }
  const before = await client.call(Nfs3Proc.GETATTR, { object: fh });
  const w = await client.call(Nfs3Proc.WRITE, { file: fh, offset: 6n, count: 3, stable: StableHow.UNSTABLE, data: Buffer.from('AA\n') });
  t.equal(w.status, Nfsstat3.NFS3_OK);
  const c = await client.call(Nfs3Proc.COMMIT, { file: fh, offset: 0n, count: 0 });
  t.equal(c.status, Nfsstat3.NFS3_OK);
  if (w.status === Nfsstat3.NFS3_OK && c.status === Nfsstat3.NFS3_OK) t.same(c.verf, w.verf, 'one verifier per instance');
  t.equal(await readFile(join(fx.upper, 'dir/a.txt'), 'utf8'), 'lower AA\n');
  t.equal(await readFile(join(fx.lower, 'dir/a.txt'), 'utf8'), 'lower a\n', 'lower untouched');
  const after = await client.call(Nfs3Proc.GETATTR, { object: fh });
  if (before.status === Nfsstat3.NFS3_OK && after.status === Nfsstat3.NFS3_OK) {
    t.equal(after.objAttributes.fileid, before.objAttributes.fileid, 'fileid survives copy-up');
  }
});

t.test('create, mkdir, symlink, link, rename, remove, rmdir', async (t) => {
  const dir = await lookupPath('dir');
  const cr = await client.call(Nfs3Proc.CREATE, { where: { dir, name: 'new.txt' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o640 } } });
  t.equal(cr.status, Nfsstat3.NFS3_OK);
  const again = await client.call(Nfs3Proc.CREATE, { where: { dir, name: 'new.txt' }, how: { mode: Createmode3.GUARDED, objAttributes: {} } });
  t.equal(again.status, Nfsstat3.NFS3ERR_EXIST, 'guarded create of an existing name');
  const verf = Buffer.from('12345678');
  const ex1 = await client.call(Nfs3Proc.CREATE, { where: { dir, name: 'ex' }, how: { mode: Createmode3.EXCLUSIVE, verf } });
  const ex2 = await client.call(Nfs3Proc.CREATE, { where: { dir, name: 'ex' }, how: { mode: Createmode3.EXCLUSIVE, verf } });
  const ex3 = await client.call(Nfs3Proc.CREATE, { where: { dir, name: 'ex' }, how: { mode: Createmode3.EXCLUSIVE, verf: Buffer.from('87654321') } });
  t.equal(ex1.status, Nfsstat3.NFS3_OK);
  t.equal(ex2.status, Nfsstat3.NFS3_OK, 'exclusive create retried with the same verifier');
  t.equal(ex3.status, Nfsstat3.NFS3ERR_EXIST, 'another verifier');
  const md = await client.call(Nfs3Proc.MKDIR, { where: { dir, name: 'made' }, attributes: { mode: 0o755 } });
  t.equal(md.status, Nfsstat3.NFS3_OK);
  const sl = await client.call(Nfs3Proc.SYMLINK, { where: { dir, name: 'sl' }, symlink: { symlinkAttributes: {}, symlinkData: 'a.txt' } });
  t.equal(sl.status, Nfsstat3.NFS3_OK);
  if (sl.status === Nfsstat3.NFS3_OK && sl.obj) {
    const rl = await client.call(Nfs3Proc.READLINK, { symlink: sl.obj });
    t.equal(rl.status === Nfsstat3.NFS3_OK && rl.data, 'a.txt');
  }
  const top = await lookupPath('top.txt');
  const ln = await client.call(Nfs3Proc.LINK, { file: top, link: { dir, name: 'top2' } });
  t.equal(ln.status, Nfsstat3.NFS3_OK);
  if (ln.status === Nfsstat3.NFS3_OK) t.equal(ln.fileAttributes?.nlink, 3, 'lower hard link group grows to 3');
  const rn = await client.call(Nfs3Proc.RENAME, { from: { dir: root, name: 'dir' }, to: { dir: root, name: 'dir2' } });
  t.equal(rn.status, Nfsstat3.NFS3_OK, 'rename of a merged directory');
  const stillThere = await client.call(Nfs3Proc.GETATTR, { object: dir });
  t.equal(stillThere.status, Nfsstat3.NFS3_OK, 'handle survives rename');
  const rm1 = await client.call(Nfs3Proc.REMOVE, { object: { dir, name: 'a.txt' } });
  t.equal(rm1.status, Nfsstat3.NFS3_OK);
  const rm2 = await client.call(Nfs3Proc.RMDIR, { object: { dir, name: 'sub' } });
  t.equal(rm2.status, Nfsstat3.NFS3_OK, 'rmdir of a lower directory');
  const names = await listNames(dir, true);
  t.same(names.sort(), ['.', '..', 'ex', 'made', 'new.txt', 'sl', 'top-link.txt', 'top2'].sort());
  t.same((await listNames(dir, false, 512)).sort(), names.sort(), 'READDIR in small pages agrees');
});

t.test('names: too long, slash, dot-dot at the root, symlink outside', async (t) => {
  const long = await client.call(Nfs3Proc.LOOKUP, { dir: root, name: 'x'.repeat(256) });
  t.equal(long.status, Nfsstat3.NFS3ERR_NAMETOOLONG);
  const slash = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'a/b' }, how: { mode: Createmode3.UNCHECKED, objAttributes: {} } });
  t.not(slash.status, Nfsstat3.NFS3_OK, 'a name with / is refused');
  const up = await client.call(Nfs3Proc.LOOKUP, { dir: root, name: '..' });
  t.equal(up.status, Nfsstat3.NFS3_OK);
  if (up.status === Nfsstat3.NFS3_OK) t.same(up.object, root, '.. of the root is the root');
  const esc = await lookupPath('escape');
  const rd = await client.call(Nfs3Proc.READ, { file: esc, offset: 0n, count: 100 });
  t.not(rd.status, Nfsstat3.NFS3_OK, 'reading a symlink does not follow it');
});

t.test('forged and altered handles', async (t) => {
  const forged = Buffer.from(root);
  forged[12] ^= 1; // another fileid, old MAC
  t.equal((await client.call(Nfs3Proc.GETATTR, { object: forged })).status, Nfsstat3.NFS3ERR_BADHANDLE);
  t.equal((await client.call(Nfs3Proc.GETATTR, { object: Buffer.alloc(8) })).status, Nfsstat3.NFS3ERR_BADHANDLE);
});

t.test('duplicate request cache answers a retransmitted REMOVE', async (t) => {
  const made = await client.call(Nfs3Proc.CREATE, { where: { dir: root, name: 'dupe' }, how: { mode: Createmode3.UNCHECKED, objAttributes: {} } });
  t.equal(made.status, Nfsstat3.NFS3_OK);
  const xid = 0x7000_0001;
  const first = await client.call(Nfs3Proc.REMOVE, { object: { dir: root, name: 'dupe' } }, { xid });
  const retry = await client.call(Nfs3Proc.REMOVE, { object: { dir: root, name: 'dupe' } }, { xid });
  const fresh = await client.call(Nfs3Proc.REMOVE, { object: { dir: root, name: 'dupe' } });
  t.equal(first.status, Nfsstat3.NFS3_OK);
  t.equal(retry.status, Nfsstat3.NFS3_OK, 'the retransmit gets the first reply, not NOENT');
  t.equal(fresh.status, Nfsstat3.NFS3ERR_NOENT, 'a new call (new xid) runs again');
});

t.test('handles and data survive a restart', async (t) => {
  const fh = await lookupPath('dir2/new.txt');
  const w = await client.call(Nfs3Proc.WRITE, { file: fh, offset: 0n, count: 5, stable: StableHow.FILE_SYNC, data: Buffer.from('hello') });
  t.equal(w.status, Nfsstat3.NFS3_OK);
  client.close();
  await fx.restart();
  client = await NfsTestClient.connect({ nfsPort: fx.server.nfsPort, mountPort: fx.server.mountPort });
  const r = await client.call(Nfs3Proc.READ, { file: fh, offset: 0n, count: 10 });
  t.equal(r.status, Nfsstat3.NFS3_OK, 'old handle still valid');
  if (r.status === Nfsstat3.NFS3_OK) t.equal(r.data.toString(), 'hello');
  t.same(await client.mount('/union'), root, 'root handle never changes');
  const w2 = await client.call(Nfs3Proc.WRITE, { file: fh, offset: 0n, count: 1, stable: StableHow.UNSTABLE, data: Buffer.from('H') });
  if (w.status === Nfsstat3.NFS3_OK && w2.status === Nfsstat3.NFS3_OK) t.notSame(w2.verf, w.verf, 'write verifier changes per start');
  t.ok((await stat(join(fx.work, 'server/handle-key'))).isFile());
});
