/**
 * Regressions found by a concurrent workload (create, remove, link, write on a few names):
 *
 * 1. link racing the removal of the file's last name added an entry for a deleted object (a
 *    "dangling entry"); from then on operations on that directory failed with ESTALE. link now
 *    re-checks, in its commit, that the file still has a name (else ENOENT).
 * 2. A copy-up or link refused at commit (the file was removed meanwhile) left its temporary in
 *    work/tmp until the next open: for a copy-up, a whole copy of the file. Refused commits now
 *    discard their temporaries, and copy-up computes its destination at commit.
 * 3. An UNCHECKED create of an existing name whose file was removed between the create's two
 *    steps (create refused with EEXIST, then the lookup to open the existing file) failed with
 *    ENOENT: open(O_CREAT) reported "No such file or directory". It now creates the file.
 *
 * The racing calls are issued 0..SPACINGS event-loop turns apart, so some land in each window.
 */

import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union } from '../../union-core/index.js';

const root = { uid: 0, gid: 0, groups: [] };
const SPACINGS = 30;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await turn();
};
/** Errors a racing call may legitimately get: the name or the object is gone. */
const GONE = new Set(['ENOENT', 'ESTALE']);

t.test('link and write racing remove leave a consistent union and no temporaries', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'ft-link-remove-race-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(base, d));
  for (let i = 0; i < SPACINGS; i++) writeFileSync(join(base, 'lower', `lower-${i}`), Buffer.alloc(256 * 1024, 'l'));
  const union = await Union.open({ lowers: [join(base, 'lower')], upper: join(base, 'upper'), work: join(base, 'work'), log: () => undefined });
  t.teardown(() => union.close());
  const unexpected: string[] = [];
  const expectGone = (what: string) => (e: { code?: string }) => {
    if (!GONE.has(e.code ?? '')) unexpected.push(`${what}: ${e.code}`);
  };

  for (let spacing = 0; spacing < SPACINGS; spacing++) {
    // An upper file: link it to a new name while its only name is removed.
    const { fileid } = await union.create(union.rootId, `f${spacing}`, { mode: 'unchecked', attrs: {} }, root);
    const link = union.link(fileid, union.rootId, `g${spacing}`, root).catch(expectGone('link'));
    await turns(spacing);
    const remove = union.remove(union.rootId, `f${spacing}`, root).catch(expectGone('remove'));
    // A lower file: write to it (copy-up) while it is removed.
    const lower = (await union.lookup(union.rootId, `lower-${spacing}`, root)).fileid;
    const write = union.write(lower, 0n, Buffer.from('x'), 'unstable', root).catch(expectGone('write'));
    await turns(spacing);
    const removeLower = union.remove(union.rootId, `lower-${spacing}`, root).catch(expectGone('remove lower'));
    await Promise.all([link, remove, write, removeLower]);
  }
  t.same(unexpected, [], 'only "gone" errors');
  t.same(await union.check(), [], 'no dangling entry, no temporaries left');
  t.same(readdirSync(join(base, 'work', 'tmp')), [], 'work/tmp is empty');
  // Every listed name resolves (a dangling entry would fail with ESTALE).
  const listing = await union.readdir(union.rootId, 0n, 1000, { withAttrs: true }, root);
  t.ok(listing.entries.every((e) => e.name.startsWith('g')), 'only the links that won remain');
});

t.test('UNCHECKED create racing remove of the same name never fails', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'ft-create-remove-race-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(base, d));
  mkdirSync(join(base, 'lower', 'dir'));
  for (let i = 0; i < 4; i++) writeFileSync(join(base, 'lower', 'dir', `f${i}`), 'lower');
  const union = await Union.open({ lowers: [join(base, 'lower')], upper: join(base, 'upper'), work: join(base, 'work'), log: () => undefined });
  t.teardown(() => union.close());
  const dir = (await union.lookup(union.rootId, 'dir', root)).fileid;
  const failures: string[] = [];
  // Creates, removes and writes of a few names (lower files at first), up to 16 in flight,
  // in a fixed pseudo-random order.
  let seed = 12345;
  const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 8) % n;
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < 6000; i++) {
    const name = `f${next(4)}`;
    const kind = next(3);
    const call =
      kind === 0
        ? union.create(dir, name, { mode: 'unchecked', attrs: {} }, root).catch((e: { code?: string }) => failures.push(`create ${name}: ${e.code}`))
        : kind === 1
          ? union.remove(dir, name, root).catch(() => undefined)
          : union.lookup(dir, name, root).then((r) => union.write(r.fileid, 0n, Buffer.from('w'), 'unstable', root)).catch(() => undefined);
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
    if (inFlight.size >= 16) await Promise.race(inFlight);
    if (next(3) === 0) await turn();
  }
  await Promise.all(inFlight);
  t.same(failures, [], 'create either opened the existing file or made a new one');
  t.same(await union.check(), []);
});
