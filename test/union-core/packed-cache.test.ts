/**
 * The packed caches (packed-cache.ts and its two users): what goes in comes back field for field,
 * 64-bit values above 2^63 included; the bound drops every other entry; rows are reused. And the
 * id map under them: ids of any size, pages emptied and refilled.
 */

import t from 'tap';
import { PackedCache } from '../../union-core/packed-cache.js';
import { IdMap } from '../../union-core/id-map.js';
import { LowerStatCache } from '../../union-core/lower-stat-cache.js';
import { UpperAttrCache } from '../../union-core/attr-cache.js';
import type { Attr } from '../../union-core/index.js';
import type { StatCore } from '../../union-core/attrs.js';

t.test('a bounded packed cache keeps every other entry when full and reuses rows', async (t) => {
  const c = new PackedCache(4000, 1, 1);
  for (let i = 0n; i < 4000n; i++) {
    const row = c.claim(i);
    c.nums[row] = Number(i);
    c.bigs[row] = i * 3n;
  }
  t.equal(c.size, 4000);
  t.equal(c.claim(7n), c.find(7n), 'claiming a present id gives its own row');
  c.claim(4000n); // over the bound: the odd ids go, old and recent alike
  t.equal(c.size, 2001);
  t.equal(c.find(1n), -1, 'an old id is gone');
  t.equal(c.find(3999n), -1, 'so is a recent one');
  for (const id of [0n, 1998n, 3998n]) {
    const row = c.find(id);
    t.equal(c.nums[row], Number(id), `id ${id}: its number`);
    t.equal(c.bigs[row], id * 3n, `id ${id}: its int64`);
  }
  const before = c.find(2500n);
  c.delete(2500n);
  t.equal(c.find(2500n), -1, 'deleted');
  t.equal(c.size, 2000, 'a forgotten entry no longer counts');
  t.equal(c.claim(5000n), before, "a forgotten entry's row is reused");
  for (let i = 5001n; i < 7000n; i++) c.claim(i);
  c.claim(7000n); // over the bound again: rows of dropped entries are reused
  t.ok(c.find(7000n) < 4000, 'a dropped row is reused');
  c.clear();
  t.equal(c.size, 0);
  t.equal(c.find(3000n), -1, 'cleared');
});

t.test('attributes and lower stats come back as they went in', async (t) => {
  const attr: Attr = {
    type: 'char', mode: 0o4755, nlink: 3, uid: 4_000_000_000, gid: 7, size: 2n ** 63n + 5n, used: 8192n,
    rdev: { major: 259, minor: 1_048_575 }, fileid: 2n ** 64n - 1n, generation: 12,
    atime: { sec: -5, nsec: 999_999_999 }, mtime: { sec: 1_700_000_000, nsec: 1 }, ctime: { sec: 2 ** 33, nsec: 0 },
  };
  const attrs = new UpperAttrCache();
  attrs.remember(1n, attr);
  t.same(attrs.get(1n), attr, 'attributes');
  attrs.forget(1n);
  t.equal(attrs.get(1n), undefined, 'forgotten');

  const st: StatCore = {
    ino: 2n ** 64n - 2n, mode: 0o100644n, nlink: 1n, uid: 0n, gid: 0n, rdev: 2n ** 40n + 3n, size: 12345n, blocks: 8n,
    atimeNs: -1_000_000_001n, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: 0n,
  };
  const lower = new LowerStatCache(10);
  lower.remember(5n, st, 42.5);
  t.same(lower.statAt(lower.find(5n)), st, 'lower stat');
  t.equal(lower.takenAt(lower.find(5n)), 42.5, 'when it was taken');
  t.equal(lower.find(6n), -1, 'unknown id');
});

t.test('an id map holds ids of any size, apart, and survives pages emptied over and over', async (t) => {
  const m = new IdMap<string>(100);
  const ids = [0n, 15n, 16n, 2n ** 48n + 7n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 2n ** 64n - 17n];
  for (const id of ids) m.set(id, `v${id}`);
  t.equal(m.size, ids.length);
  for (const id of ids) t.equal(m.get(id), `v${id}`, `id ${id}`);
  for (const id of [1n, 17n, 2n ** 53n + 2n, 2n ** 64n - 2n]) t.equal(m.get(id), undefined, `id ${id} absent`);
  m.set(16n, 'again');
  t.equal(m.size, ids.length, 'overwriting adds nothing');
  t.equal(m.get(16n), 'again');
  // One id alone in its page, forgotten and remembered many times, next to ids that come and go.
  for (let i = 0n; i < 10_000n; i++) {
    m.delete(15n);
    m.set(1000n + i, 'x');
    m.delete(1000n + i);
    m.set(15n, 'back');
  }
  t.equal(m.get(15n), 'back');
  t.equal(m.size, ids.length, 'only the ids set and not deleted count');
  m.delete(2n ** 64n - 1n);
  t.equal(m.get(2n ** 64n - 1n), undefined);
  t.equal(m.get(2n ** 64n - 17n), `v${2n ** 64n - 17n}`, 'its neighbour stays');
  const dropped: string[] = [];
  const b = new IdMap<number>(10, (v) => void dropped.push(String(v)));
  for (let i = 0; i < 11; i++) b.set(BigInt(i * 7), i);
  t.same(dropped, ['1', '3', '5', '7', '9'], 'full: every other entry in id order goes, each told');
  t.equal(b.size, 6);
  t.equal(b.get(70n), 10);
  m.clear();
  t.equal(m.size, 0);
  t.equal(m.get(0n), undefined, 'cleared');
});
