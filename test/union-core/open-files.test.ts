/**
 * Descriptors kept between data calls (open-files.ts) never serve the wrong file: a name made
 * again, a copy-up, a rename over the name each read what is there now, and a removed file's
 * descriptors are closed at once (its space comes back, `df` agrees with `ls`).
 */

import t from 'tap';
import { readdirSync, readlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Union } from '../../union-core/index.js';
import { ROOT, scratchLayers, walk } from './lib/union-fixture.js';

/** Descriptors of this process on deleted files under `dir`. */
function deletedOpen(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target.startsWith(dir) && target.endsWith(' (deleted)')) out.push(target);
  }
  return out;
}

const create = { mode: 'unchecked' as const, attrs: { mode: 0o644 } };

t.test('a name made again reads its new file, and a removed file is not held open', async (t) => {
  const l = scratchLayers(t, 1, 'ft-openfiles-');
  const u = await Union.open(l);
  t.teardown(() => u.close());
  const first = await u.create(u.rootId, 'f', create, ROOT);
  await u.write(first.fileid, 0n, Buffer.from('first'), 'unstable', ROOT);
  t.equal((await u.read(first.fileid, 0n, 100, ROOT)).data.toString(), 'first');
  await u.remove(u.rootId, 'f', ROOT);
  t.same(deletedOpen(l.upper), [], 'the removed file has no descriptor left');
  const second = await u.create(u.rootId, 'f', create, ROOT);
  await u.write(second.fileid, 0n, Buffer.from('second'), 'unstable', ROOT);
  t.equal((await u.read(second.fileid, 0n, 100, ROOT)).data.toString(), 'second');
  await u.rename(u.rootId, 'f', u.rootId, 'g', ROOT);
  t.equal((await u.read(second.fileid, 0n, 100, ROOT)).data.toString(), 'second', 'read through its new path');
});

t.test('copy-up and a rename over the name: reads follow the object, not an old descriptor', async (t) => {
  const l = scratchLayers(t, 1, 'ft-openfiles-');
  mkdirSync(join(l.lowers[0], 'd'));
  writeFileSync(join(l.lowers[0], 'd/lower'), 'from the lower');
  const u = await Union.open(l);
  t.teardown(() => u.close());
  const id = await walk(u, 'd/lower');
  t.equal((await u.read(id, 0n, 100, ROOT)).data.toString(), 'from the lower');
  await u.write(id, 0n, Buffer.from('FROM'), 'file-sync', ROOT);
  t.equal((await u.read(id, 0n, 100, ROOT)).data.toString(), 'FROM the lower', 'the copy, not the lower');
  const d = await walk(u, 'd');
  const other = await u.create(d, 'other', create, ROOT);
  await u.write(other.fileid, 0n, Buffer.from('other'), 'unstable', ROOT);
  await u.rename(d, 'other', d, 'lower', ROOT);
  t.equal((await u.read(await walk(u, 'd/lower'), 0n, 100, ROOT)).data.toString(), 'other');
  t.same(deletedOpen(l.upper), [], 'the replaced copy has no descriptor left');
  const commit = await u.commit(other.fileid);
  t.equal(commit.after?.size, 5n);
});
