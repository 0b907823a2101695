/**
 * Stable identities (union-core/identity.ts): a fileid never changes for a live object, whatever
 * the union does to it, and a (fileid, generation) pair from a file handle resolves until the
 * object is gone, then is ESTALE. NFS clients key their caches on fileids and compare READDIRPLUS
 * fileids with GETATTR ones.
 *
 * Fixture (two lowers, highest first):
 *   lower0: /m/top, /m/sub/t2, /solo (file), /ren/a
 *   lower1: /m/base, /m/sub/b2, /d/x, /d/deep/y, /h1 + /d/h2 (one inode), /meta
 */
import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { Union, type UnionFs, type UnionOptions } from '../../union-core/index.js';
import { ROOT, listEntries, scratchLayers, walk } from './lib/union-fixture.js';

const PATHS = ['m', 'm/top', 'm/sub', 'm/sub/t2', 'm/sub/b2', 'm/base', 'solo', 'ren', 'ren/a', 'd', 'd/x', 'd/deep', 'd/deep/y', 'h1', 'd/h2', 'meta'];

function fixture(t: Test): UnionOptions {
  const layout = scratchLayers(t, 2, 'ft-identity-');
  const [l0, l1] = layout.lowers;
  for (const d of ['m/sub', 'ren']) mkdirSync(join(l0, d), { recursive: true });
  for (const d of ['m/sub', 'd/deep']) mkdirSync(join(l1, d), { recursive: true });
  for (const f of ['m/top', 'm/sub/t2', 'solo', 'ren/a']) writeFileSync(join(l0, f), f);
  for (const f of ['m/base', 'm/sub/b2', 'd/x', 'd/deep/y', 'h1', 'meta']) writeFileSync(join(l1, f), f);
  linkSync(join(l1, 'h1'), join(l1, 'd/h2'));
  return layout;
}

async function idsOf(u: UnionFs, paths: string[]): Promise<Map<string, bigint>> {
  const ids = new Map<string, bigint>();
  for (const p of paths) ids.set(p, await walk(u, p));
  return ids;
}

t.test('fileids survive copy-up, rename, link and reopen; never 0', async (t) => {
  const layout = fixture(t);
  let u = await Union.open(layout);
  const ids = await idsOf(u, PATHS);
  t.ok([...ids.values()].every((id) => id !== 0n), 'no fileid is 0');
  t.equal(new Set(ids.values()).size, PATHS.length - 1, 'distinct objects, one id for both hard-link names');
  t.equal(ids.get('h1'), ids.get('d/h2'));

  await u.write(ids.get('solo')!, 0n, Buffer.from('S'), 'file-sync', ROOT);
  t.equal(await walk(u, 'solo'), ids.get('solo'), 'data copy-up');
  await u.setattr(ids.get('meta')!, { mode: 0o600 }, ROOT);
  t.equal(await walk(u, 'meta'), ids.get('meta'), 'metadata-only copy-up');
  await u.write(ids.get('h1')!, 0n, Buffer.from('H'), 'file-sync', ROOT);
  t.equal(await walk(u, 'd/h2'), ids.get('h1'), 'copy-up of a hard link (index)');

  await u.rename(await walk(u, 'm'), 'base', await walk(u, 'ren'), 'base-moved', ROOT);
  t.equal(await walk(u, 'ren/base-moved'), ids.get('m/base'), 'file renamed from lower1 into a lower0 directory');
  await u.rename(u.rootId, 'd', await walk(u, 'm/sub'), 'd-moved', ROOT);
  t.equal(await walk(u, 'm/sub/d-moved'), ids.get('d'), 'lower directory renamed into a merged one');
  t.equal(await walk(u, 'm/sub/d-moved/deep/y'), ids.get('d/deep/y'), 'content below a renamed directory, looked up after the move');
  t.equal(await walk(u, 'm/sub/d-moved/x'), ids.get('d/x'));
  await u.rename(u.rootId, 'm', u.rootId, 'm2', ROOT);
  t.equal(await walk(u, 'm2'), ids.get('m'), 'merged directory renamed');
  t.equal(await walk(u, 'm2/sub/t2'), ids.get('m/sub/t2'));
  await u.link(ids.get('ren/a')!, u.rootId, 'a-link', ROOT);
  t.equal(await walk(u, 'a-link'), ids.get('ren/a'), 'link');

  const now = new Map([
    ['m2', 'm'], ['m2/top', 'm/top'], ['m2/sub', 'm/sub'], ['m2/sub/t2', 'm/sub/t2'], ['m2/sub/b2', 'm/sub/b2'],
    ['ren/base-moved', 'm/base'], ['solo', 'solo'], ['ren', 'ren'], ['ren/a', 'ren/a'], ['a-link', 'ren/a'],
    ['m2/sub/d-moved', 'd'], ['m2/sub/d-moved/x', 'd/x'], ['m2/sub/d-moved/deep', 'd/deep'], ['m2/sub/d-moved/deep/y', 'd/deep/y'],
    ['h1', 'h1'], ['m2/sub/d-moved/h2', 'd/h2'], ['meta', 'meta'],
  ]);
  const check = async (u: UnionFs, when: string) => {
    for (const [path, was] of now) t.equal(await walk(u, path), ids.get(was), `${when}: ${path}`);
    for (const e of await listEntries(u, await walk(u, 'm2/sub'), 2, true)) {
      t.ok(e.fileid !== 0n && e.attr?.fileid === e.fileid, `${when}: readdir fileid of ${e.name} is its getattr fileid`);
    }
  };
  await check(u, 'before reopen');
  await u.close();
  u = await Union.open(layout);
  await check(u, 'after reopen');
  t.same(await u.check(), []);
  await u.close();
});

t.test('resolve(fileid, generation) after reopen, ESTALE after removal or from another union', async (t) => {
  const layout = fixture(t);
  let u = await Union.open(layout);
  const x = await u.lookup(await walk(u, 'd'), 'x', ROOT);
  const deep = await walk(u, 'd/deep');
  const gen = x.attr.generation;
  await u.close();
  u = await Union.open(layout);
  t.equal((await u.resolve(x.fileid, gen)).fileid, x.fileid, 'a lower file after reopen');
  t.equal((await u.resolve(deep, gen)).type, 'dir', 'a lower directory after reopen');
  t.equal((await u.resolve(u.rootId, gen)).fileid, u.rootId, 'the root');
  await t.rejects(u.resolve(x.fileid, gen + 1), { code: 'ESTALE' }, 'another generation');
  await u.remove(await walk(u, 'd'), 'x', ROOT);
  await t.rejects(u.resolve(x.fileid, gen), { code: 'ESTALE' }, 'after removal');
  await u.close();
  u = await Union.open(layout);
  await t.rejects(u.resolve(x.fileid, gen), { code: 'ESTALE' }, 'after removal and reopen');
  await t.rejects(u.resolve(123456789n, gen), { code: 'ESTALE' }, 'never issued');
  await u.close();
});

t.test('regression: a copied-up hard link kept its data and handle when the only looked-up name was removed', async (t) => {
  // h1 and d/h2 are one lower inode; only h1 is looked up, written (copy-up to the index), removed.
  // The bug: the index copy was deleted with h1's row, and d/h2 showed the old lower data again.
  const layout = fixture(t);
  const u = await Union.open(layout);
  const h1 = await u.lookup(u.rootId, 'h1', ROOT);
  await u.write(h1.fileid, 0n, Buffer.from('NEW'), 'file-sync', ROOT);
  await u.remove(u.rootId, 'h1', ROOT);
  t.equal((await u.resolve(h1.fileid, h1.attr.generation)).nlink, 1, 'the handle still resolves: d/h2 keeps the object alive');
  const h2 = await walk(u, 'd/h2');
  t.equal(h2, h1.fileid, 'same object');
  t.equal((await u.read(h2, 0n, 10, ROOT)).data.toString(), 'NEW', 'the written data');
  await u.remove(await walk(u, 'd'), 'h2', ROOT);
  await t.rejects(u.resolve(h1.fileid, h1.attr.generation), { code: 'ESTALE' }, 'stale after the last name');
  t.same(await u.check(), []);
  await u.close();
});
