/**
 * Regression: operations racing a rename of their directory failed, and creates were lost.
 *
 * Every operation computes the upper paths it touches from the rows before its own commit. A
 * create in `d/` racing `mv d e` renamed its new file to `upper/d/cN` after `d` had moved: the
 * create failed, the entry row stayed without a file, and its journal intent could never be
 * applied (check() reported pending intents). Reads, writes and getattrs of `d/f` in the window
 * opened `upper/e/f` before the move (ENOENT/ESTALE). Renames now run alone (NamespaceLock).
 *
 * One upper directory and one lower directory (moved by redirect) are renamed again and again
 * while calls on a file inside and creates inside are issued on every event-loop turn.
 */

import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union } from '../../union-core/index.js';

const root = { uid: 0, gid: 0, groups: [] };
const RENAMES = 25;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('calls and creates racing renames of their directory', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'ft-rename-race-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(base, d));
  mkdirSync(join(base, 'lower', 'lower-dir'));
  writeFileSync(join(base, 'lower', 'lower-dir', 'f'), 'lower');
  const union = await Union.open({ lowers: [join(base, 'lower')], upper: join(base, 'upper'), work: join(base, 'work'), log: () => undefined });
  t.teardown(() => union.close());

  const upperDir = (await union.mkdir(union.rootId, 'upper-dir', {}, root)).fileid;
  const upperFile = (await union.create(upperDir, 'f', { mode: 'unchecked', attrs: {} }, root)).fileid;
  const lowerDir = (await union.lookup(union.rootId, 'lower-dir', root)).fileid;
  const lowerFile = (await union.lookup(lowerDir, 'f', root)).fileid;
  const dirs = [
    { name: 'upper-dir', dir: upperDir, file: upperFile },
    { name: 'lower-dir', dir: lowerDir, file: lowerFile },
  ];
  const failures: string[] = [];
  const created: { dir: bigint; name: string }[] = [];
  for (let round = 1; round <= RENAMES; round++) {
    for (const d of dirs) {
      const to = `${d.name.split('.')[0]}.${round}`;
      let done = false;
      const renamed = union
        .rename(union.rootId, d.name, union.rootId, to, root)
        .then(() => (d.name = to))
        .catch((e: { code?: string }) => failures.push(`rename: ${e.code}`))
        .finally(() => (done = true));
      const calls: Promise<unknown>[] = [];
      for (let k = 0; !done; k++) {
        const note = (what: string) => (e: { code?: string }) => failures.push(`${what} in ${d.name}: ${e.code}`);
        calls.push(union.getattr(d.file).catch(note('getattr')));
        calls.push(union.read(d.file, 0n, 5, root).catch(note('read')));
        calls.push(union.write(d.file, 0n, Buffer.from('again'), 'unstable', root).catch(note('write')));
        const name = `c${round}-${k}`;
        created.push({ dir: d.dir, name });
        calls.push(union.create(d.dir, name, { mode: 'unchecked', attrs: {} }, root).catch(note('create')));
        await turn();
      }
      await Promise.all([renamed, ...calls]);
    }
  }
  t.same(failures, [], 'no call failed');
  const missing: string[] = [];
  for (const { dir, name } of created) await union.lookup(dir, name, root).catch(() => missing.push(name));
  t.same(missing, [], `all ${created.length} created names exist`);
  t.same(await union.check(), [], 'the union is consistent (no intent left unapplied)');
});
