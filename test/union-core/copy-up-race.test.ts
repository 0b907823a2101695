/**
 * Regression: operations racing a copy-up got ESTALE (and lost writes).
 *
 * A copy-up commits its row ("this file is on the upper now") and only then renames the copied
 * file into place (journal.ts). A GETATTR, or a WRITE's own attribute fetch, of the same file in
 * between found the row saying "upper" and no upper file, and failed with ESTALE; a write that
 * came through copyUp's "already upper" shortcut in that window opened a missing file. Found by
 * two kernel clients patching different blocks of one lower file at once
 * (test/guest/two-guests.test.ts): one client's write was lost.
 *
 * The test starts a copy-up and issues the racing calls 0..SPACINGS event-loop turns later, so
 * one of them lands in the window whatever the disk's fsync latency.
 */

import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union } from '../../union-core/index.js';

const root = { uid: 0, gid: 0, groups: [] };
const SPACINGS = 40;
const BLOCK = 4096;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function openUnion(t: Test, files: number) {
  const base = mkdtempSync(join(tmpdir(), 'ft-copy-up-race-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(base, d));
  for (let i = 0; i < files; i++) {
    writeFileSync(join(base, 'lower', `f${i}`), Buffer.alloc(4 * BLOCK, '.'));
    mkdirSync(join(base, 'lower', `d${i}`));
  }
  const union = await Union.open({ lowers: [join(base, 'lower')], upper: join(base, 'upper'), work: join(base, 'work'), log: () => undefined });
  t.teardown(() => union.close());
  return { union, upper: join(base, 'upper') };
}

t.test('getattr during a copy-up never fails', async (t) => {
  const { union } = await openUnion(t, SPACINGS);
  const failures: string[] = [];
  for (let i = 0; i < SPACINGS; i++) {
    const id = (await union.lookup(union.rootId, `f${i}`, root)).fileid;
    let done = false;
    const write = union.write(id, 0n, Buffer.alloc(BLOCK, 'A'), 'unstable', root).finally(() => (done = true));
    const probes: Promise<unknown>[] = [];
    while (!done) {
      probes.push(union.getattr(id).catch((e: { code?: string }) => failures.push(`f${i}: getattr ${e.code}`)));
      await turn();
    }
    await Promise.all([write, ...probes]);
  }
  t.same(failures, [], 'no ESTALE while the copy-up is being applied');
});

t.test('writes to different blocks racing one copy-up all land', async (t) => {
  const { union, upper } = await openUnion(t, SPACINGS);
  const failures: string[] = [];
  for (let spacing = 0; spacing < SPACINGS; spacing++) {
    const id = (await union.lookup(union.rootId, `f${spacing}`, root)).fileid;
    const writes: Promise<unknown>[] = [];
    for (let block = 0; block < 4; block++) {
      const data = Buffer.alloc(BLOCK, 'ABCD'[block]);
      writes.push(
        union.write(id, BigInt(block * BLOCK), data, 'unstable', root).catch((e: { code?: string }) => failures.push(`f${spacing} block ${block}: ${e.code}`)),
      );
      for (let k = 0; k < spacing; k++) await turn();
    }
    await Promise.all(writes);
    const content = readFileSync(join(upper, `f${spacing}`));
    const blocks = [0, 1, 2, 3].map((b) => String.fromCharCode(content[b * BLOCK])).join('');
    if (blocks !== 'ABCD') failures.push(`f${spacing}: blocks ${blocks}`);
  }
  t.same(failures, [], 'every write succeeded and is on the upper copy');
});

t.test('creates racing the copy-up of their lower directory all land', async (t) => {
  const { union } = await openUnion(t, SPACINGS);
  const failures: string[] = [];
  for (let spacing = 0; spacing < SPACINGS; spacing++) {
    const dir = (await union.lookup(union.rootId, `d${spacing}`, root)).fileid;
    const creates: Promise<unknown>[] = [];
    for (let k = 0; k < 4; k++) {
      creates.push(
        union.create(dir, `n${k}`, { mode: 'unchecked', attrs: {} }, root).catch((e: { code?: string }) => failures.push(`d${spacing}/n${k}: ${e.code}`)),
      );
      for (let j = 0; j < spacing; j++) await turn();
    }
    await Promise.all(creates);
  }
  t.same(failures, [], 'no create failed');
  t.same(await union.check(), [], 'the union is consistent');
});
