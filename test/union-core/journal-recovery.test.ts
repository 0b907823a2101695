/**
 * Recovery of interrupted creations whose temporary a power cut lost (journal.ts MadeEntry): a
 * creation's new object is built without an fsync of its own and moved in right after its commit,
 * so a crash may keep the committed intent and rows but neither the temporary nor the moved file.
 * SIGKILL (crash.test.ts) cannot produce that state — the page cache survives it — so it is made
 * here by hand: create for real, then put the store and the upper back as a power cut could leave
 * them (intent present, file gone).
 */

import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union } from '../../union-core/index.js';
import { MetadataStore } from '../../union-core/store.js';

const root = { uid: 0, gid: 0, groups: [] };

function layers(t: Test) {
  const base = mkdtempSync(join(tmpdir(), 'ft-journal-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(base, d));
  writeFileSync(join(base, 'lower', 'kept'), 'lower');
  return { lowers: [join(base, 'lower')], upper: join(base, 'upper'), work: join(base, 'work'), log: () => undefined };
}

/** Re-add the intent a creation of `name` in the root would have left, as the store would hold it. */
function replantIntent(work: string, upper: string, name: string, id: bigint, tmpName: string): void {
  const store = new MetadataStore(join(work, 'store.db'));
  store.transaction(() => {
    store.addIntent(JSON.stringify({
      renames: [{ from: join(work, 'tmp', tmpName), to: join(upper, name) }],
      made: { dir: '1', name, id: String(id) },
    }));
  });
  store.close();
}

t.test('a creation whose new object was lost is dropped at the next open', async (t) => {
  const opts = layers(t);
  let union = await Union.open(opts);
  const made = await union.create(union.rootId, 'lost', { mode: 'guarded', attrs: {} }, root);
  await union.close();
  // The power cut: the rows and the intent survived, the file (temporary or moved) did not.
  unlinkSync(join(opts.upper, 'lost'));
  replantIntent(opts.work, opts.upper, 'lost', made.fileid, 'new.000000000000');

  union = await Union.open(opts);
  t.teardown(() => union.close());
  await t.rejects(union.lookup(union.rootId, 'lost', root), { code: 'ENOENT' }, 'the name is gone');
  await t.rejects(union.resolve(made.fileid, made.attr.generation), { code: 'ESTALE' }, 'and so is the object');
  const names = (await union.readdir(union.rootId, 0n, 100, { withAttrs: false }, root)).entries.map((e) => e.name);
  t.same(names.sort(), ['kept'], 'the listing shows only what exists');
  t.same(await union.check(), [], 'the union is consistent');
});

t.test('a creation whose temporary survived is completed at the next open', async (t) => {
  const opts = layers(t);
  let union = await Union.open(opts);
  const made = await union.create(union.rootId, 'kept-new', { mode: 'guarded', attrs: { mode: 0o640 } }, root);
  await union.close();
  // The cut came after the commit, before the rename reached the disk: the file is still a temporary.
  const tmpName = 'new.0123456789ab';
  mkdirSync(join(opts.work, 'tmp'), { recursive: true });
  writeFileSync(join(opts.work, 'tmp', tmpName), '');
  unlinkSync(join(opts.upper, 'kept-new'));
  replantIntent(opts.work, opts.upper, 'kept-new', made.fileid, tmpName);

  union = await Union.open(opts);
  t.teardown(() => union.close());
  const found = await union.lookup(union.rootId, 'kept-new', root);
  t.equal(found.fileid, made.fileid, 'same object');
  t.ok(existsSync(join(opts.upper, 'kept-new')), 'moved into place');
  t.same(await union.check(), []);
});
