/**
 * The listing cache (listing-cache.ts): listings served from memory say exactly what the store
 * says. Through the store: a snapshot built by one listing serves the next; every write of an
 * entry of its directory, and every undone transaction, drops it. Through a union: a directory
 * listed twice, then changed in every way (create, remove, rename in, out and within, link), lists
 * as the change left it, with unchanged entries on their old cookies.
 */

import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListingCache } from '../../union-core/listing-cache.js';
import { MetadataStore, blankNode, type ListedEntry } from '../../union-core/store.js';
import { Union } from '../../union-core/index.js';
import { ROOT, listEntries, scratchLayers } from './lib/union-fixture.js';

const DIR = 5n;

function freshStore(t: Test): MetadataStore {
  const dir = mkdtempSync(join(tmpdir(), 'fallthru-listing-'));
  const store = new MetadataStore(join(dir, 'meta.sqlite'));
  t.teardown(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** Every entry of DIR, page by page as a listing reads them. */
function listAll(store: MetadataStore, page: number): string[] {
  const names: string[] = [];
  for (let after = 0n; ; ) {
    const rows = store.entryPage(DIR, after, page);
    names.push(...rows.map((r) => r.name));
    if (rows.length < page) return names;
    after = rows[rows.length - 1].cookie;
  }
}

const rowsOf = (n: number, from = 0): ListedEntry[] =>
  Array.from({ length: n }, (_, i) => ({ name: `n${from + i}`, id: BigInt(100 + from + i), cookie: BigInt(3 + from + i) }));

t.test('a snapshot starts at the beginning, grows with the pages that continue it, and serves once complete', async (t) => {
  const c = new ListingCache(1000);
  const all = rowsOf(10);
  t.equal(c.page(DIR, 0n, 4), undefined, 'nothing kept yet');
  c.offer(DIR, 5n, 4, all.slice(3, 7), true);
  t.equal(c.page(DIR, 5n, 4), undefined, 'a page from the middle starts nothing');
  c.offer(DIR, 0n, 5, all.slice(0, 5), true);
  t.same(c.page(DIR, 0n, 3), all.slice(0, 3), 'a partial snapshot serves what it covers');
  t.equal(c.page(DIR, 4n, 5), undefined, 'but not past its end');
  // The next page overlaps the last (a listing asks one row more than it answers).
  c.offer(DIR, 6n, 5, all.slice(4, 9), true);
  c.offer(DIR, 11n, 5, all.slice(9), true);
  t.same(c.page(DIR, 0n, 100), all, 'complete: the whole directory, each entry once');
  t.same(c.page(DIR, 7n, 2), all.slice(5, 7), 'any page of it');
  t.same(c.page(DIR, 12n, 2), [], 'past the end: nothing');
  c.forget(DIR);
  t.equal(c.page(DIR, 0n, 3), undefined, 'forgotten');

  c.offer(DIR, 0n, 20, all, false);
  t.equal(c.page(DIR, 0n, 20), undefined, 'a directory still being completed is never complete');

  const high = [{ name: 'lower-of-a-high-layer', id: 2n ** 64n - 1n, cookie: 3n }];
  c.offer(7n, 0n, 5, high, true);
  t.same(c.page(7n, 0n, 5), high, 'ids above 2^63 come back whole');
});

t.test('the cache stays within its bound, least recently used first', async (t) => {
  const c = new ListingCache(35);
  for (const dir of [1n, 2n, 3n]) c.offer(dir, 0n, 20, rowsOf(10), true);
  t.ok(c.page(1n, 0n, 1), 'the oldest was used again');
  c.offer(4n, 0n, 20, rowsOf(10), true);
  t.ok(c.page(1n, 0n, 1), 'the recently used one stays');
  t.ok(c.page(4n, 0n, 1), 'the new one stays');
  t.equal(c.page(2n, 0n, 1), undefined, 'the least recently used went');
});

t.test('a directory too big to keep is not kept, and costs the bound nothing', async (t) => {
  const c = new ListingCache(100_000);
  const page = 10_000;
  const all = rowsOf(70_000);
  for (let from = 0; from < all.length; from += page) c.offer(DIR, from === 0 ? 0n : all[from - 1].cookie, page, all.slice(from, from + page), true);
  t.equal(c.page(DIR, 0n, 1), undefined, 'past 65,536 entries: dropped');
  c.offer(1n, 0n, 100_000, rowsOf(90_000), true);
  t.equal(c.page(1n, 0n, 90_000)?.length, undefined, 'one too big in a single page: not kept either');
  c.offer(2n, 0n, 60_000, rowsOf(50_000), true);
  t.equal(c.page(2n, 0n, 60_000)?.length, 50_000, 'what the big ones held was given back: a 50,000-entry one fits');
});

t.test('through the store: writes of a listed directory and undone transactions drop what was kept', async (t) => {
  const store = freshStore(t);
  store.transaction(() => {
    store.putNode({ ...blankNode(DIR, 'dir'), upper: true, complete: true });
    for (let i = 0; i < 50; i++) store.putEntry({ dir: DIR, name: `e${i}`, id: BigInt(100 + i), cookie: BigInt(3 + i) });
  });
  const first = listAll(store, 7);
  t.equal(first.length, 50);
  t.same(listAll(store, 7), first, 'the second listing (kept) says the same');

  store.transaction(() => store.putEntry({ dir: DIR, name: 'new', id: 200n, cookie: 60n }));
  t.same(listAll(store, 7), [...first, 'new'], 'an added entry shows');
  store.transaction(() => store.deleteEntry(DIR, 'e3'));
  t.notOk(listAll(store, 7).includes('e3'), 'a removed one is gone');

  listAll(store, 7);
  t.throws(() =>
    store.transaction(() => {
      store.putEntry({ dir: DIR, name: 'undone', id: 201n, cookie: 61n });
      t.ok(listAll(store, 7).includes('undone'), 'visible inside its transaction');
      throw new Error('refused');
    }),
  );
  t.notOk(listAll(store, 7).includes('undone'), 'gone with the transaction that wrote it');

  store.transaction(() => store.deleteEntriesOf(DIR));
  t.same(listAll(store, 7), [], 'a directory emptied at once lists empty');
});

t.test('through a union: a directory listed twice, then changed, lists as changed', async (t) => {
  const layout = scratchLayers(t, 1, 'ft-listing-');
  const u = await Union.open(layout);
  t.teardown(() => u.close());
  const a = (await u.mkdir(u.rootId, 'a', { mode: 0o755 }, ROOT)).fileid;
  const b = (await u.mkdir(u.rootId, 'b', { mode: 0o755 }, ROOT)).fileid;
  for (let i = 0; i < 300; i++) await u.create(a, `f${i}`, { mode: 'unchecked', attrs: { mode: 0o644 } }, ROOT);
  await u.create(b, 'from-b', { mode: 'unchecked', attrs: { mode: 0o644 } }, ROOT);
  const before = await listEntries(u, a, 64, true);
  t.same(await listEntries(u, a, 64, true), before, 'listed again: the same entries, cookies and attributes');

  await u.remove(a, 'f0', ROOT);
  await u.create(a, 'g', { mode: 'unchecked', attrs: { mode: 0o644 } }, ROOT);
  await u.rename(a, 'f1', a, 'f1-renamed', ROOT);
  await u.rename(a, 'f2', b, 'f2-moved', ROOT);
  await u.rename(b, 'from-b', a, 'from-b', ROOT);
  await u.link((await u.lookup(a, 'f3', ROOT)).fileid, a, 'f3-link', ROOT);
  await u.setattr((await u.lookup(a, 'f4', ROOT)).fileid, { mode: 0o600 }, ROOT);

  const after = await listEntries(u, a, 64, true);
  const expected = new Set(before.map((e) => e.name));
  for (const gone of ['f0', 'f1', 'f2']) expected.delete(gone);
  for (const added of ['g', 'f1-renamed', 'from-b', 'f3-link']) expected.add(added);
  t.same(new Set(after.map((e) => e.name)), expected, 'every change shows, nothing else');
  t.equal(after.length, expected.size, 'each name once');
  const cookieOf = new Map(before.map((e) => [e.name, e.cookie]));
  t.ok(after.every((e) => !cookieOf.has(e.name) || cookieOf.get(e.name) === e.cookie), 'unchanged entries keep their cookies');
  t.equal(after.find((e) => e.name === 'f4')?.attr?.mode, 0o600, 'and their attributes are current');
  t.same((await listEntries(u, b, 64)).map((e) => e.name), ['f2-moved'], 'the other directory too');
});
