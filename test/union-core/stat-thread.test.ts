/**
 * The stat thread (stat-thread.ts): a batch of lstats says what lstat says, field for field, and
 * nothing where lstat finds nothing; a listing beyond the caches (a freshly opened union) takes
 * its entries' attributes through it and lists the same attributes GETATTR gives. The process
 * exiting at the end of this file shows that an idle thread keeps nobody alive.
 */

import t from 'tap';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lstatMany } from '../../union-core/stat-thread.js';
import { Union } from '../../union-core/index.js';
import { ROOT, listEntries, scratchLayers } from './lib/union-fixture.js';

t.test('a batch of lstats: each as lstat says, nothing where it finds nothing', async (t) => {
  const layout = scratchLayers(t, 1, 'ft-statthread-');
  const file = join(layout.upper, 'file');
  writeFileSync(file, 'twelve bytes');
  mkdirSync(join(layout.upper, 'dir'));
  const paths = [file, join(layout.upper, 'dir'), '/dev/null', join(layout.upper, 'missing'), join(file, 'under-a-file')];
  const stats = await lstatMany(paths);
  t.equal(stats.length, paths.length);
  for (const [i, path] of paths.slice(0, 3).entries()) {
    const want = lstatSync(path, { bigint: true });
    const got = stats[i]!;
    for (const f of ['ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blocks', 'atimeNs', 'mtimeNs', 'ctimeNs'] as const) {
      t.equal(got[f], want[f], `${path}: ${f}`);
    }
  }
  t.equal(stats[3], undefined, 'missing');
  t.equal(stats[4], undefined, 'a path through a file');
  t.same(await lstatMany([]), [], 'an empty batch');
});

t.test('a listing beyond the caches lists what GETATTR says', async (t) => {
  const layout = scratchLayers(t, 1, 'ft-statthread-');
  for (let i = 0; i < 40; i++) writeFileSync(join(layout.lowers[0], `low${i}`), 'x'.repeat(i));
  let u = await Union.open(layout);
  for (let i = 0; i < 100; i++) await u.create(u.rootId, `up${i}`, { mode: 'unchecked', attrs: { mode: 0o600 + (i % 64), size: BigInt(i) } }, ROOT);
  await u.close();
  u = await Union.open(layout); // nothing remembered: every entry's lstat goes to the thread
  t.teardown(() => u.close());
  const listed = await listEntries(u, u.rootId, 200, true);
  t.equal(listed.length, 140);
  for (const e of listed) t.same(e.attr, await u.getattr(e.fileid), `${e.name}: as GETATTR says`);
});
