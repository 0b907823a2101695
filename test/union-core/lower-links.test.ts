/**
 * Link counts of lower hard links are the names the union shows (union-core/lower-links.ts), not
 * the lower inode's st_nlink. Regression tests for the bug "lower hard-link counts include
 * shadowed names" (found by differential.test.ts, seed 1: hb37 showed nlink 3 with 2 names).
 *
 * Fixture (three lowers, highest first):
 *   lower0: /x (file, shadows lower2's /x), /e/.wh.z, /o/ with .wh..wh..opq, /m (file)
 *   lower1: /m/ (dir, hidden by lower0's file /m)
 *   lower2: one inode at /x, /d/y, /d/y2, /e/z, /o/w, /m/v, and /outside-of-root (a name outside the
 *           layer root: lower2 is a subdirectory of the file system that holds the name)
 *           -> st_nlink 7, visible names /d/y and /d/y2 only
 */
import t, { type Test } from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync, linkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union, type UnionFs } from '../../union-core/index.js';
import { walk } from './lib/union-fixture.js';

const root = { uid: 0, gid: 0, groups: [] };

function fixture(t: Test) {
  const base = mkdtempSync(join(tmpdir(), 'ft-links-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const [l0, l1, l2] = ['lower0', 'lower1', 'lower2/root'].map((d) => join(base, d));
  for (const d of ['lower0/e', 'lower0/o', 'lower1/m', 'lower2/root/d', 'lower2/root/e', 'lower2/root/o', 'lower2/root/m', 'upper', 'work']) {
    mkdirSync(join(base, d), { recursive: true });
  }
  writeFileSync(join(l0, 'x'), 'top x');
  writeFileSync(join(l0, 'e/.wh.z'), '');
  writeFileSync(join(l0, 'o/.wh..wh..opq'), '');
  writeFileSync(join(l0, 'm'), 'file over dir');
  writeFileSync(join(l2, 'x'), 'linked');
  for (const name of ['d/y', 'd/y2', 'e/z', 'o/w', 'm/v', '../outside-of-root']) linkSync(join(l2, 'x'), join(l2, name));
  return { lowers: [l0, l1, l2], upper: join(base, 'upper'), work: join(base, 'work') };
}

async function nlinkAt(u: UnionFs, path: string): Promise<number> {
  return (await u.getattr(await walk(u, path))).nlink;
}

t.test('a lower hard link counts only the names the union shows', async (t) => {
  const layout = fixture(t);
  const u = await Union.open(layout);
  t.equal(await nlinkAt(u, 'd/y'), 2, 'shadowed, whited-out, opaque-hidden, under a file, outside the root: not counted');
  t.equal(await walk(u, 'd/y'), await walk(u, 'd/y2'), 'one object');
  t.equal((await u.readdir(await walk(u, 'd'), 0n, 10, { withAttrs: true }, root)).entries[0].attr?.nlink, 2, 'readdir attrs agree');
  await u.close();
  const again = await Union.open(layout);
  t.equal(await nlinkAt(again, 'd/y2'), 2, 'after reopen');
  t.same(await again.check(), []);
  await again.close();
});

t.test('unlink, copy-up, link and rename adjust from the exact base', async (t) => {
  const layout = fixture(t);
  const u = await Union.open(layout);
  const d = await walk(u, 'd');
  const id = await walk(u, 'd/y');
  await u.link(id, u.rootId, 'n', root);
  t.equal((await u.getattr(id)).nlink, 3, 'link copies up to the index and adds one');
  await u.remove(d, 'y', root);
  t.equal((await u.getattr(id)).nlink, 2, 'unlink lowers it');
  await u.rename(d, 'y2', u.rootId, 'moved', root);
  t.equal((await u.getattr(id)).nlink, 2, 'rename keeps it');
  await u.remove(u.rootId, 'n', root);
  await u.remove(u.rootId, 'moved', root);
  await t.rejects(u.getattr(id), { code: 'ESTALE' }, 'gone with its last visible name');
  t.same(await u.check(), []);
  await u.close();
});

t.test('a lower hard link with one visible name is copied up in place with nlink 1', async (t) => {
  const layout = fixture(t);
  const u = await Union.open(layout);
  const d = await walk(u, 'd');
  await u.remove(d, 'y2', root);
  const id = await walk(u, 'd/y');
  t.equal((await u.getattr(id)).nlink, 1);
  await u.write(id, 0n, Buffer.from('L'), 'file-sync', root);
  t.equal((await u.getattr(id)).nlink, 1, 'after copy-up');
  await u.link(id, d, 'again', root);
  t.equal((await u.getattr(id)).nlink, 2, 'a real upper link counts');
  t.same(await u.check(), []);
  await u.close();
});
