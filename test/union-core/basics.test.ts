import t from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, linkSync, symlinkSync, existsSync, statSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union, UnionError, type UnionFs } from '../../union-core/index.js';
import { walk, listNames as list } from './lib/union-fixture.js';

const root = { uid: 0, gid: 0, groups: [] };

function layers() {
  const base = mkdtempSync(join(tmpdir(), 'ft-basics-'));
  const lower = join(base, 'lower');
  mkdirSync(join(lower, 'dir/sub'), { recursive: true });
  writeFileSync(join(lower, 'a.txt'), 'lower a');
  writeFileSync(join(lower, 'dir/f'), 'lower f');
  writeFileSync(join(lower, 'dir/sub/deep'), 'deep');
  writeFileSync(join(lower, 'h1'), 'linked');
  linkSync(join(lower, 'h1'), join(lower, 'dir/h2'));
  symlinkSync('a.txt', join(lower, 'sl'));
  writeFileSync(join(lower, '.wh.hidden'), '');
  for (const d of ['upper', 'work']) mkdirSync(join(base, d));
  return { base, lower, upper: join(base, 'upper'), work: join(base, 'work') };
}

async function readAll(u: UnionFs, id: bigint): Promise<string> {
  return (await u.read(id, 0n, 1 << 20, root)).data.toString();
}

t.test('copy-up on write keeps the fileid and leaves the lower untouched', async (t) => {
  const l = layers();
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  const id = await walk(u, 'dir/f');
  await u.write(id, 0n, Buffer.from('UPPER'), 'file-sync', root);
  t.equal(await readAll(u, id), 'UPPERf f'.replace('f f', ' f'));
  t.equal(readFileSync(join(l.lower, 'dir/f'), 'utf8'), 'lower f');
  t.equal(readFileSync(join(l.upper, 'dir/f'), 'utf8'), 'UPPER f');
  t.equal(await walk(u, 'dir/f'), id);
  t.same(await u.check(), []);
  await u.close();
});

t.test('whiteouts, opaque directories, hidden image whiteouts', async (t) => {
  const l = layers();
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  t.same((await list(u, u.rootId)).sort(), ['a.txt', 'dir', 'h1', 'sl']);
  await u.remove(u.rootId, 'a.txt', root);
  await t.rejects(u.lookup(u.rootId, 'a.txt', root), { code: 'ENOENT' });
  await t.rejects(u.rmdir(u.rootId, 'dir', root), { code: 'ENOTEMPTY' });
  const dir = await walk(u, 'dir');
  await u.remove(dir, 'f', root);
  await u.remove(dir, 'h2', root);
  await u.rmdir(dir, 'sub', root).catch((e) => t.equal(e.code, 'ENOTEMPTY'));
  const sub = await walk(u, 'dir/sub');
  await u.remove(sub, 'deep', root);
  await u.rmdir(dir, 'sub', root);
  await u.rmdir(u.rootId, 'dir', root);
  const again = await u.mkdir(u.rootId, 'dir', { mode: 0o755 }, root);
  t.same(await list(u, again.fileid), [], 'recreated directory is opaque');
  t.ok(existsSync(join(l.lower, 'dir/f')), 'lower untouched');
  t.same(await u.check(), []);
  await u.close();
});

t.test('directory rename by redirect keeps ids and content; cookies survive reopen', async (t) => {
  const l = layers();
  let u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  const deep = await walk(u, 'dir/sub/deep');
  const first = await u.readdir(u.rootId, 0n, 2, { withAttrs: true }, root);
  await u.rename(u.rootId, 'dir', u.rootId, 'moved', root);
  t.equal(await walk(u, 'moved/sub/deep'), deep);
  t.equal(await readAll(u, deep), 'deep');
  await t.rejects(u.lookup(u.rootId, 'dir', root), { code: 'ENOENT' });
  await u.close();
  u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  const rest = await u.readdir(u.rootId, first.entries[1].cookie, 100, { withAttrs: false }, root);
  const all = [...first.entries.map((e) => e.name), ...rest.entries.map((e) => e.name)];
  t.equal(new Set(all).size, all.length, 'no duplicates across a reopen');
  t.ok(all.includes('moved'));
  t.equal(await walk(u, 'moved/f'), await walk(u, 'moved/f'));
  t.equal((await u.resolve(deep, (await u.getattr(deep)).generation)).fileid, deep);
  t.same(await u.check(), []);
  await u.close();
});

t.test('a listing ends before the first name its caller has no room for', async (t) => {
  const l = layers();
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  const all = (await u.readdir(u.rootId, 0n, 100, { withAttrs: false }, root)).entries.map((e) => e.name);
  t.ok(all.length >= 3, 'the fixture root has a few entries');
  let asked = 0;
  const page = await u.readdir(u.rootId, 0n, 100, { withAttrs: true, fits: () => ++asked <= 2 }, root);
  t.same(page.entries.map((e) => e.name), all.slice(0, 2), 'the names before the refused one');
  t.notOk(page.eof, 'not at the end');
  t.ok(page.entries.every((e) => e.attr), 'with attributes');
  const rest = await u.readdir(u.rootId, page.entries[1].cookie, 100, { withAttrs: false, fits: () => true }, root);
  t.same(rest.entries.map((e) => e.name), all.slice(2), 'the next page starts at the refused name');
  t.ok(rest.eof);
  await u.close();
});

t.test('hard links of a lower file stay one file after copy-up', async (t) => {
  const l = layers();
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  const a = await walk(u, 'h1');
  const b = await walk(u, 'dir/h2');
  t.equal(a, b, 'one fileid for both names');
  t.equal((await u.getattr(a)).nlink, 2);
  await u.write(a, 0n, Buffer.from('LINKED'), 'file-sync', root);
  t.equal(await readAll(u, b), 'LINKED');
  await u.link(a, u.rootId, 'h3', root);
  t.equal((await u.getattr(a)).nlink, 3);
  await u.remove(u.rootId, 'h1', root);
  t.equal((await u.getattr(b)).nlink, 2);
  t.same(await u.check(), []);
  await u.close();
});

t.test('metadata-only copy-up and permissions', async (t) => {
  const l = layers();
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  const a = await walk(u, 'a.txt');
  await u.setattr(a, { mode: 0o600, uid: 1000 }, root);
  const attr = await u.getattr(a);
  t.equal(attr.mode, 0o600);
  t.equal(attr.uid, 1000);
  t.notOk(existsSync(join(l.upper, 'a.txt')), 'no data copied');
  t.equal(statSync(join(l.lower, 'a.txt')).mode & 0o777, 0o644);
  const user = { uid: 1001, gid: 1001, groups: [] };
  await t.rejects(u.read(a, 0n, 10, user), { code: 'EACCES' });
  await t.rejects(u.create(u.rootId, 'x', { mode: 'guarded', attrs: {} }, user), { code: 'EACCES' });
  await t.rejects(u.lookup(u.rootId, 'a/b', root), { code: 'EINVAL' });
  await t.rejects(u.lookup(u.rootId, 'x'.repeat(256), root), { code: 'ENAMETOOLONG' });
  await t.rejects(u.lookup(u.rootId, '.wh.hidden', root), { code: 'ENOENT' });
  const v = Buffer.from('12345678');
  const c1 = await u.create(u.rootId, 'ex', { mode: 'exclusive', verifier: v }, root);
  const c2 = await u.create(u.rootId, 'ex', { mode: 'exclusive', verifier: v }, root);
  t.equal(c1.fileid, c2.fileid, 'retransmitted exclusive create succeeds');
  await t.rejects(u.create(u.rootId, 'ex', { mode: 'exclusive', verifier: Buffer.from('87654321') }, root), { code: 'EEXIST' });
  t.ok(UnionError);
  await u.close();
});

t.test('open refuses bad layer setups', async (t) => {
  const l = layers();
  await t.rejects(Union.open({ lowers: [join(l.base, 'nope')], upper: l.upper, work: l.work }), { code: 'ENOENT' });
  await t.rejects(Union.open({ lowers: [l.lower], upper: join(l.lower, 'dir'), work: l.work }), { code: 'EINVAL' });
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  await u.close();
  mkdirSync(join(l.base, 'other'));
  await t.rejects(Union.open({ lowers: [join(l.base, 'other')], upper: l.upper, work: l.work }), /different union/);
});

t.test('regression: a middle layer ends the merge below it (a lower dir under a file in layer 1 stayed visible)', async (t) => {
  // layer 0: /a/b/   layer 1: /a (file)   layer 2: /a/b/secret
  // overlayfs: /a merges layer 0 only, so /a/b is layer 0's empty directory.
  const base = mkdtempSync(join(tmpdir(), 'ft-middle-'));
  const lowers = ['l0', 'l1', 'l2'].map((d) => join(base, d));
  mkdirSync(join(lowers[0], 'a/b'), { recursive: true });
  mkdirSync(lowers[1]);
  writeFileSync(join(lowers[1], 'a'), 'file');
  mkdirSync(join(lowers[2], 'a/b'), { recursive: true });
  writeFileSync(join(lowers[2], 'a/b/secret'), 'hidden');
  for (const d of ['upper', 'work']) mkdirSync(join(base, d));
  const u = await Union.open({ lowers, upper: join(base, 'upper'), work: join(base, 'work') });
  const b = await walk(u, 'a/b');
  t.same(await list(u, b), []);
  await t.rejects(u.lookup(b, 'secret', root), { code: 'ENOENT' });
  await u.close();
});

t.test('a lower object replaced underneath is answered EIO once its stat is taken again', async (t) => {
  const l = layers();
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work, lowerStatTtlMs: 0 });
  const id = await walk(u, 'a.txt');
  // Written beside it first, so the new file cannot reuse the old inode number.
  writeFileSync(join(l.base, 'new.txt'), 'another inode');
  renameSync(join(l.base, 'new.txt'), join(l.lower, 'a.txt'));
  await t.rejects(u.getattr(id), { code: 'EIO' });
  await u.close();
});

t.test('untracked things at a new name on the upper give way to the new object', async (t) => {
  const l = layers();
  const u = await Union.open({ lowers: [l.lower], upper: l.upper, work: l.work });
  t.same((await list(u, u.rootId)).sort(), ['a.txt', 'dir', 'h1', 'sl'], 'the root is complete: its rows are the listing');
  // What a crash can leave (journal.ts), or a hand, after that: a file, an empty and a full directory.
  writeFileSync(join(l.upper, 'stray-file'), 'junk');
  mkdirSync(join(l.upper, 'stray-empty'));
  mkdirSync(join(l.upper, 'stray-full/inner'), { recursive: true });
  writeFileSync(join(l.upper, 'stray-full/inner/x'), 'junk');
  t.same((await list(u, u.rootId)).sort(), ['a.txt', 'dir', 'h1', 'sl'], 'untracked: invisible');
  const how = { mode: 'guarded' as const, attrs: { mode: 0o640 } };
  for (const name of ['stray-file', 'stray-empty', 'stray-full']) {
    const made = await u.create(u.rootId, name, how, root);
    t.equal(made.attr.type, 'file', `${name}: a file now`);
    t.equal(made.attr.size, 0n);
    t.equal(statSync(join(l.upper, name)).isFile(), true);
  }
  writeFileSync(join(l.upper, 'stray-file-under-dir'), 'junk');
  const d2 = await u.mkdir(u.rootId, 'stray-file-under-dir', { mode: 0o755 }, root);
  t.equal(d2.attr.type, 'dir', 'a directory where an untracked file was');
  t.same(await u.check(), []);
  await u.close();
});
