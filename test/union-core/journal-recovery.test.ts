/**
 * Recovery of interrupted creations whose temporary a power cut lost (journal.ts MadeEntry): a
 * creation's new object is built without an fsync of its own and moved in right after its commit,
 * so a crash may keep the committed intent and rows but neither the temporary nor the moved file.
 * SIGKILL (crash.test.ts) cannot produce that state — the page cache survives it — so it is made
 * here by hand: create for real, then put the store and the upper back as a power cut could leave
 * them (intent present, file gone).
 */

import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
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

/** Add an intent row as a creation in progress would have left it. */
function plantIntent(work: string, intent: unknown): void {
  const store = new MetadataStore(join(work, 'store.db'));
  store.transaction(() => store.addIntent(JSON.stringify(intent)));
  store.close();
}

t.test('a creation whose new object was lost is dropped at the next open', async (t) => {
  const opts = layers(t);
  let union = await Union.open(opts);
  const made = await union.create(union.rootId, 'lost', { mode: 'guarded', attrs: {} }, root);
  await union.close();
  // The power cut: the rows and the intent survived, the file (temporary or moved) did not.
  unlinkSync(join(opts.upper, 'lost'));
  plantIntent(opts.work, { renames: [], made: { dir: '1', name: 'lost', id: String(made.fileid), path: join(opts.upper, 'lost') } });

  union = await Union.open(opts);
  t.teardown(() => union.close());
  await t.rejects(union.lookup(union.rootId, 'lost', root), { code: 'ENOENT' }, 'the name is gone');
  await t.rejects(union.resolve(made.fileid, made.attr.generation), { code: 'ESTALE' }, 'and so is the object');
  const names = (await union.readdir(union.rootId, 0n, 100, { withAttrs: false }, root)).entries.map((e) => e.name);
  t.same(names.sort(), ['kept'], 'the listing shows only what exists');
  t.same(await union.check(), [], 'the union is consistent');
});

t.test('a creation whose object a power cut lost is dropped by its directory\'s sweep', async (t) => {
  const opts = layers(t);
  let union = await Union.open(opts);
  const dir = await union.mkdir(union.rootId, 'd', {}, root);
  const kept = await union.create(dir.fileid, 'kept', { mode: 'guarded', attrs: {} }, root);
  const made = await union.create(dir.fileid, 'lost', { mode: 'guarded', attrs: {} }, root);
  const linked = await union.create(dir.fileid, 'linked', { mode: 'guarded', attrs: {} }, root);
  await union.link(linked.fileid, dir.fileid, 'other-name', root);
  await union.close();
  // The power cut: the rows and the sweep intent survived, the new file did not (no intent of
  // its own records the creation any more).
  unlinkSync(join(opts.upper, 'd', 'lost'));
  plantIntent(opts.work, { renames: [], sweep: String(dir.fileid) });

  union = await Union.open(opts);
  t.teardown(() => union.close());
  await t.rejects(union.lookup(dir.fileid, 'lost', root), { code: 'ENOENT' }, 'the name is gone');
  await t.rejects(union.resolve(made.fileid, made.attr.generation), { code: 'ESTALE' }, 'and so is the object');
  t.equal((await union.lookup(dir.fileid, 'kept', root)).fileid, kept.fileid, 'the other rows stay');
  t.equal((await union.lookup(dir.fileid, 'other-name', root)).fileid, linked.fileid, 'hard links stay');
  const names = (await union.readdir(dir.fileid, 0n, 100, { withAttrs: false }, root)).entries.map((e) => e.name);
  t.same(names.sort(), ['kept', 'linked', 'other-name'], 'the listing shows only what exists');
  t.same(await union.check(), [], 'the union is consistent');
});

t.test('what creations built before their commit is removed at the next open', async (t) => {
  const opts = layers(t);
  let union = await Union.open(opts);
  const dir = await union.mkdir(union.rootId, 'd', {}, root);
  await union.create(dir.fileid, 'done', { mode: 'guarded', attrs: {} }, root);
  await union.close();
  // Killed between building and committing: objects at their names in a directory whose sweep
  // intent is recorded, no rows for them.
  writeFileSync(join(opts.upper, 'd', 'half'), '');
  mkdirSync(join(opts.upper, 'd', 'halfdir'));
  writeFileSync(join(opts.upper, 'd', 'halfdir', 'inner'), '');
  plantIntent(opts.work, { renames: [], sweep: String(dir.fileid) });
  // An older version's per-creation intent: its temporary and its destination.
  const temp = join(opts.upper, '.fallthru-new.0123456789ab');
  writeFileSync(temp, '');
  writeFileSync(join(opts.upper, 'half2'), '');
  plantIntent(opts.work, { renames: [], building: { temp, path: join(opts.upper, 'half2') } });

  union = await Union.open(opts);
  t.teardown(() => union.close());
  t.same(readdirSync(join(opts.upper, 'd')), ['done'], 'uncommitted objects removed, committed ones kept');
  t.notOk(existsSync(temp), 'older temporary removed');
  t.notOk(existsSync(join(opts.upper, 'half2')), 'older uncommitted object removed');
  await t.rejects(union.lookup(dir.fileid, 'half', root), { code: 'ENOENT' });
  t.ok(await union.lookup(dir.fileid, 'done', root), 'the committed file is still there');
  t.same(await union.check(), [], 'nothing untracked left');
});

t.test('a creation over an untracked leftover replaces it', async (t) => {
  const opts = layers(t);
  const union = await Union.open(opts);
  t.teardown(() => union.close());
  await union.create(union.rootId, 'first', { mode: 'guarded', attrs: {} }, root); // the root's rows are its listing now
  // What a power cut can leave: an object at a name, with neither row nor intent.
  mkdirSync(join(opts.upper, 'left'));
  writeFileSync(join(opts.upper, 'left', 'inside'), 'x');
  const made = await union.create(union.rootId, 'left', { mode: 'guarded', attrs: {} }, root);
  t.equal(made.attr.size, 0n, 'a new empty file');
  t.same(await union.check(), [], 'nothing untracked left');
});

t.test('creations and removals leave no intent behind once they are done, refused ones included', async (t) => {
  const opts = layers(t);
  const union = await Union.open(opts);
  const dir = await union.mkdir(union.rootId, 'd', {}, root);
  await Promise.all(Array.from({ length: 40 }, (_, i) => union.create(dir.fileid, `f${i % 30}`, { mode: 'guarded', attrs: {} }, root).catch((e) => e)));
  // Removals (some of names already gone) ride on the same directory sweep: no intent each.
  const removed = await Promise.all(Array.from({ length: 12 }, (_, i) => union.remove(dir.fileid, `f${i % 10}`, root).then(() => 'ok', (e) => e.code)));
  t.same(removed.filter((r) => r === 'ok').length, 10, 'each name removed once');
  await union.close();
  const store = new MetadataStore(join(opts.work, 'store.db'));
  t.teardown(() => store.close());
  t.same(store.intents(), [], 'no sweep, creation or removal intent left');
  t.same(readdirSync(join(opts.upper, 'd')).length, 20, 'each name built once and unlinked once; the refused duplicates removed nothing');
});

t.test('a removal cut short after its commit leaves its upper name to the sweep', async (t) => {
  const opts = layers(t);
  let union = await Union.open(opts);
  const dir = await union.mkdir(union.rootId, 'd', {}, root);
  await union.create(dir.fileid, 'gone', { mode: 'guarded', attrs: {} }, root);
  await union.remove(dir.fileid, 'gone', root);
  await union.close();
  // Killed between the commit (the row is gone) and the unlink: the name is still on the upper,
  // the directory's sweep intent still recorded.
  writeFileSync(join(opts.upper, 'd', 'gone'), 'data that must not come back');
  plantIntent(opts.work, { renames: [], sweep: String(dir.fileid) });

  union = await Union.open(opts);
  t.teardown(() => union.close());
  t.same(readdirSync(join(opts.upper, 'd')), [], 'the removed name is unlinked at the next open');
  await t.rejects(union.lookup(dir.fileid, 'gone', root), { code: 'ENOENT' });
  t.same(await union.check(), [], 'nothing untracked left');
});

t.test('an async union answers before syncing: a power cut right after the answers loses creations, never consistency', async (t) => {
  const opts = layers(t);
  // A child process opens the union async, creates, and is killed as soon as it was answered:
  // before the directory sweep's linger ends, as a power cut would find it.
  const script = `
    const { Union } = await import(${JSON.stringify(new URL('../../union-core/index.js', import.meta.url).href)});
    const root = { uid: 0, gid: 0, groups: [] };
    const u = await Union.open({ lowers: ${JSON.stringify(opts.lowers)}, upper: ${JSON.stringify(opts.upper)}, work: ${JSON.stringify(opts.work)}, async: true });
    const d = await u.mkdir(u.rootId, 'd', {}, root);
    for (const name of ['a', 'b', 'c']) await u.create(d.fileid, name, { mode: 'guarded', attrs: {} }, root);
    await u.remove(d.fileid, 'c', root);
    process.stdout.write(String(d.fileid) + '\\n');
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(child.signal, 'SIGKILL', `the child was killed after its answers ${child.stderr}`);
  const dirId = child.stdout.trim();
  const store = new MetadataStore(join(opts.work, 'store.db'));
  const sweeps = store.intents().map((i) => JSON.parse(i.steps).sweep);
  store.close();
  t.ok(sweeps.includes(dirId), 'the directory\'s sweep is still recorded: its changes were not synced yet');
  // The power cut kept the rows but not the directory's last entry.
  unlinkSync(join(opts.upper, 'd', 'b'));
  const union = await Union.open(opts);
  t.teardown(() => union.close());
  const names = (await union.readdir(BigInt(dirId), 0n, 100, { withAttrs: false }, root)).entries.map((e) => e.name);
  t.same(names, ['a'], 'the lost creation is dropped, the removal stays done');
  await t.rejects(union.lookup(BigInt(dirId), 'b', root), { code: 'ENOENT' });
  t.same(await union.check(), [], 'the union is consistent');
});

t.test('an async union leaves no intent behind once closed', async (t) => {
  const opts = layers(t);
  const union = await Union.open({ ...opts, async: true });
  const dir = await union.mkdir(union.rootId, 'd', {}, root);
  await Promise.all(Array.from({ length: 20 }, (_, i) => union.create(dir.fileid, `f${i}`, { mode: 'guarded', attrs: {} }, root)));
  await Promise.all(Array.from({ length: 10 }, (_, i) => union.remove(dir.fileid, `f${i}`, root)));
  await union.setattr(dir.fileid, { mode: 0o700 }, root);
  await union.close();
  const store = new MetadataStore(join(opts.work, 'store.db'));
  t.teardown(() => store.close());
  t.same(store.intents(), [], 'every sweep synced and forgotten at close');
  t.same(readdirSync(join(opts.upper, 'd')).length, 10, 'the remaining files are there');
});
