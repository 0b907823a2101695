/**
 * Readdir cookie stability of union-core under change (RFC 1813 READDIR/READDIRPLUS resumes at a
 * cookie the server issued; a Linux client lists big directories in many such calls).
 *
 * Fixture: one merged directory `big` of 20,000 entries (entries names once each):
 *   lower0/big:  l0-00000 .. l0-06999, both-00000 .. both-00999 (shadow lower1's)
 *   lower1/big:  l1-00000 .. l1-06999, both-00000 .. both-00999
 *   upper/big:   up-00000 .. up-04999 put there by hand (adopted at first listing), and
 *                l1-00000 .. l1-00099 (shadow lower1's)
 * Guarantees checked for a listing in pages of 37 while entries are created and removed:
 *   every entry that exists for the whole listing appears exactly once; no name twice; no name
 *   removed before the listing started; nothing that never existed; cookies only grow.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { closeSync, linkSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Union, type DirEntry, type UnionFs, type UnionOptions } from '../../union-core/index.js';
import { Prng } from './lib/prng.js';
import { ROOT, listEntries, scratchLayers, walk } from './lib/union-fixture.js';

const PAGE = 37;
const name = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, '0')}`;
const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => name(prefix, i));

function touchAll(dir: string, names: string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const n of names) closeSync(openSync(join(dir, n), 'w'));
}

function bigFixture(t: Test): { layout: UnionOptions; initial: string[] } {
  const layout = scratchLayers(t, 2, 'ft-readdir-');
  touchAll(join(layout.lowers[0], 'big'), [...range('l0', 7000), ...range('both', 1000)]);
  touchAll(join(layout.lowers[1], 'big'), [...range('l1', 7000), ...range('both', 1000)]);
  touchAll(join(layout.upper, 'big'), [...range('up', 5000), ...range('l1', 100)]);
  const initial = [...range('l0', 7000), ...range('l1', 7000), ...range('both', 1000), ...range('up', 5000)];
  return { layout, initial };
}

/** What happened to the directory around one listing. */
class Changes {
  readonly removedBefore = new Set<string>();
  readonly removedDuring = new Set<string>();
  readonly createdDuring = new Set<string>();
  private created = 0;

  constructor(
    private readonly rng: Prng,
    /** Initial names not removed yet, in random order. */
    private readonly removable: string[],
  ) {}

  async removeBefore(u: UnionFs, dir: bigint, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const victim = this.removable.pop()!;
      await u.remove(dir, victim, ROOT);
      this.removedBefore.add(victim);
    }
  }

  /** One random change while the listing runs: create a name, remove an initial one, or remove a new one. */
  async step(u: UnionFs, dir: bigint): Promise<void> {
    const what = this.rng.weighted({ create: 4, removeInitial: 3, removeNew: 2 });
    const mine = [...this.createdDuring].filter((n) => !this.removedDuring.has(n));
    if (what === 'create' || (what === 'removeNew' && mine.length === 0)) {
      const n = name('new', this.created++);
      this.createdDuring.add(n);
      await u.create(dir, n, { mode: 'guarded', attrs: { mode: 0o644 } }, ROOT);
    } else {
      const victim = what === 'removeInitial' ? this.removable.pop()! : this.rng.pick(mine);
      this.removedDuring.add(victim);
      await u.remove(dir, victim, ROOT);
    }
  }

  /** Check one complete listing against the guarantees. */
  verify(t: Test, initial: string[], listed: DirEntry[]): void {
    const counts = new Map<string, number>();
    for (const e of listed) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
    t.same([...counts].filter(([, n]) => n > 1).map(([k]) => k), [], 'no name listed twice');
    const stable = initial.filter((n) => !this.removedBefore.has(n) && !this.removedDuring.has(n));
    t.same(stable.filter((n) => !counts.has(n)), [], `all ${stable.length} entries present throughout are listed`);
    t.same([...this.removedBefore].filter((n) => counts.has(n)), [], 'no name removed before the listing');
    const known = new Set([...initial, ...this.createdDuring]);
    t.same([...counts.keys()].filter((n) => !known.has(n)), [], 'nothing that never existed');
    t.ok(listed.every((e, i) => i === 0 || e.cookie > listed[i - 1].cookie), 'cookies only grow');
  }
}

t.test('a 20,000-entry merged directory listed in pages while entries come and go', async (t) => {
  const { layout, initial } = bigFixture(t);
  const rng = new Prng(3);
  const u = await Union.open(layout);
  t.teardown(() => u.close());
  const dir = await walk(u, 'big');
  const changes = new Changes(rng.fork('changes'), rng.fork('order').shuffle([...initial]));
  await changes.removeBefore(u, dir, 200);

  let listing = true;
  let steps = 0;
  const mutator = (async () => {
    while (listing) {
      await changes.step(u, dir);
      steps++;
    }
  })();
  const listed: DirEntry[] = [];
  let cookie = 0n;
  for (;;) {
    const r = await u.readdir(dir, cookie, PAGE, { withAttrs: true }, ROOT);
    listed.push(...r.entries);
    if (r.eof) break;
    cookie = r.entries[r.entries.length - 1].cookie;
    // Give the mutator a turn between pages, as a client's think time would.
    if (listed.length % (PAGE * 4) === 0) await new Promise((r) => setTimeout(r, 1));
  }
  listing = false;
  await mutator;
  t.ok(steps >= 50, `the directory changed during the listing (${steps} changes)`);
  changes.verify(t, initial, listed);
  t.same(await u.check(), [], 'check() finds nothing');
});

t.test('a listing resumes at its cookie across close and reopen of the union', async (t) => {
  const { layout, initial } = bigFixture(t);
  const rng = new Prng(4);
  let u = await Union.open(layout);
  const dir = await walk(u, 'big');
  const changes = new Changes(rng.fork('changes'), rng.fork('order').shuffle([...initial]));
  await changes.removeBefore(u, dir, 100);
  const listed: DirEntry[] = [];
  let cookie = 0n;
  let reopens = 0;
  for (let page = 1; ; page++) {
    const r = await u.readdir(dir, cookie, PAGE, { withAttrs: false }, ROOT);
    listed.push(...r.entries);
    if (r.eof) break;
    cookie = r.entries[r.entries.length - 1].cookie;
    await changes.step(u, dir);
    if (page % 50 === 0) {
      // A server restart between two READDIR calls: the client resumes with the cookie it has.
      await u.close();
      u = await Union.open(layout);
      reopens++;
    }
  }
  t.ok(reopens >= 5, `reopened ${reopens} times during the listing`);
  changes.verify(t, initial, listed);
  t.same(await u.check(), [], 'check() finds nothing');
  await u.close();
});

t.test('a directory with hard links lists every name: cookies are not fileids', async (t) => {
  // lower1/hl: f, f1..f9 (one inode)   lower0/hl: g, g1..g3 (one inode)   then link() adds n1, n2 to f
  const layout = scratchLayers(t, 2, 'ft-hardlinks-');
  const [l0, l1] = layout.lowers.map((l) => join(l, 'hl'));
  for (const d of [l0, l1]) mkdirSync(d);
  writeFileSync(join(l1, 'f'), 'f');
  for (let i = 1; i <= 9; i++) linkSync(join(l1, 'f'), join(l1, `f${i}`));
  writeFileSync(join(l0, 'g'), 'g');
  for (let i = 1; i <= 3; i++) linkSync(join(l0, 'g'), join(l0, `g${i}`));
  const u = await Union.open(layout);
  t.teardown(() => u.close());
  const dir = await walk(u, 'hl');
  const f = await walk(u, 'hl/f');
  for (const n of ['n1', 'n2']) await u.link(f, dir, n, ROOT);
  const expected = ['f', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'g', 'g1', 'g2', 'g3', 'n1', 'n2'];
  for (const page of [1, 3, 100]) {
    const entries = await listEntries(u, dir, page, true);
    const names = entries.map((e) => e.name).sort();
    t.same(names, expected, `page ${page}: every name`);
    t.equal(new Set(entries.map((e) => e.cookie)).size, entries.length, `page ${page}: one cookie per name`);
    t.equal(new Set(entries.map((e) => e.fileid)).size, 2, `page ${page}: two objects`);
    t.ok(entries.every((e) => e.attr?.fileid === e.fileid && e.attr.nlink === (e.name.startsWith('g') ? 4 : 12)), `page ${page}: attrs agree`);
  }
});

t.test('a merged directory recorded in chunks: whiteouts, shadowed names and rows from earlier lookups, each name once', async (t) => {
  // lower0/w: a-00000..a-02999, whiteouts of b-00000..b-00999 (a char 0/0 device for every tenth,
  //           a .wh. file for the rest)
  // lower1/w: b-00000..b-02999, a-00000..a-00499 (shadowed by lower0's)
  // Thousands of names: the completion records them in several chunks.
  const layout = scratchLayers(t, 2, 'ft-chunks-');
  const [l0, l1] = layout.lowers.map((l) => join(l, 'w'));
  touchAll(l0, range('a', 3000));
  for (const n of range('b', 1000)) {
    if (n.endsWith('0')) mknodWhiteout(join(l0, n));
    else writeFileSync(join(l0, `.wh.${n}`), '');
  }
  touchAll(l1, [...range('b', 3000), ...range('a', 500)]);
  const u = await Union.open(layout);
  t.teardown(() => u.close());
  const dir = await walk(u, 'w');
  // Rows made by lookups before the first listing (the directory is not complete yet).
  const looked = ['a-00005', 'a-02999', 'b-02500', 'b-01000'];
  for (const n of looked) await u.lookup(dir, n, ROOT);
  await t.rejects(u.lookup(dir, 'b-00003', ROOT), { code: 'ENOENT' }, 'a whited-out name is not found');
  const expected = [...range('a', 3000), ...range('b', 3000).slice(1000)].sort();
  const entries = await listEntries(u, dir, 500, true);
  t.same(entries.map((e) => e.name).sort(), expected, 'every visible name once, nothing hidden shown');
  t.equal(new Set(entries.map((e) => e.cookie)).size, entries.length, 'one cookie per name');
  const again = await listEntries(u, dir, 500);
  t.same(again.map((e) => [e.name, e.cookie]), entries.map((e) => [e.name, e.cookie]), 'a second listing: the same names at the same cookies');
});

function mknodWhiteout(path: string): void {
  execFileSync('mknod', [path, 'c', '0', '0']);
}

t.test('listing pages read a covering index; a store with the older index is migrated; check() reports a repeated cookie', async (t) => {
  const layout = scratchLayers(t, 1);
  let u = await Union.open(layout);
  for (const name of ['a', 'b']) await u.create(u.rootId, name, { mode: 'unchecked', attrs: {} }, ROOT);
  await u.close();
  const db = new Database(join(layout.work, 'store.db'));
  db.exec('DROP INDEX entry_by_cookie_id; CREATE UNIQUE INDEX entry_by_cookie ON entry (dir, cookie)'); // as schema 2 made it
  db.close();
  u = await Union.open(layout);
  t.same((await listEntries(u, u.rootId)).map((e) => e.name).sort(), ['a', 'b'], 'listed after the migration');
  t.same(await u.check(), []);
  await u.close();
  const raw = new Database(join(layout.work, 'store.db'));
  t.same(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entry' ORDER BY name").pluck().all(), ['entry_by_cookie_id', 'entry_by_id'], 'older index replaced');
  raw.prepare("UPDATE entry SET cookie = (SELECT cookie FROM entry WHERE name = 'a') WHERE name = 'b'").run();
  raw.close();
  u = await Union.open(layout);
  t.same((await u.check()).map((p) => p.kind), ['cookie-repeated']);
  await u.close();
});
