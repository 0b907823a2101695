/**
 * Remembered upper attributes (attr-cache.ts) never outlive a change: after every small change
 * (SETATTR, WRITE, CREATE, REMOVE, each forgetting only what it touched) and every wide one
 * (LINK, RENAME, MKDIR), GETATTR of each object agrees with an lstat of its backing file.
 */

import t from 'tap';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { Union, type Attr } from '../../union-core/index.js';
import { ROOT, scratchLayers } from './lib/union-fixture.js';

const create = { mode: 'guarded' as const, attrs: { mode: 0o644 } };

t.test('every getattr after a change agrees with the backing file', async (t) => {
  const l = scratchLayers(t, 1, 'ft-attrcache-');
  const u = await Union.open(l);
  t.teardown(() => u.close());
  const d = (await u.mkdir(u.rootId, 'd', { mode: 0o755 }, ROOT)).fileid;
  const paths = new Map<bigint, string>([[d, 'd']]);

  /** Compare every known object with its backing file (reading each twice: once cached). */
  async function agree(step: string): Promise<void> {
    for (const [id, rel] of paths) {
      const st = lstatSync(join(l.upper, rel), { bigint: true });
      for (const pass of ['first', 'second']) {
        const a: Attr = await u.getattr(id);
        const got = { mode: a.mode, size: a.size, nlink: a.nlink, mtimeNs: BigInt(a.mtime.sec) * 1_000_000_000n + BigInt(a.mtime.nsec), ctimeNs: BigInt(a.ctime.sec) * 1_000_000_000n + BigInt(a.ctime.nsec) };
        const want = { mode: Number(st.mode & 0o7777n), size: st.size, nlink: Number(st.nlink), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
        if (!t.same(got, want, `${step}: ${rel} (${pass} read)`)) return;
      }
    }
  }

  await agree('start');
  const files: bigint[] = [];
  for (const name of ['a', 'b', 'c']) {
    const f = await u.create(d, name, create, ROOT);
    files.push(f.fileid);
    paths.set(f.fileid, `d/${name}`);
    await agree(`create ${name}`);
  }
  t.equal((await u.setattr(files[0], { mode: 0o600 }, ROOT)).after?.mode, 0o600, 'the answer carries the new mode');
  await agree('chmod a');
  await u.setattr(files[1], { mtime: { sec: 1_000_000, nsec: 5 } }, ROOT);
  await agree('utimes b');
  t.equal((await u.write(files[2], 0n, Buffer.alloc(5000, 1), 'unstable', ROOT)).wcc.after?.size, 5000n);
  await agree('write c');
  await u.setattr(files[2], { size: 10n }, ROOT);
  await agree('truncate c');
  await u.link(files[0], d, 'a2', ROOT);
  await agree('link a as a2');
  const removed = await u.remove(d, 'a', ROOT);
  t.equal(removed.dirWcc.after?.mtime.sec, Number(lstatSync(join(l.upper, 'd'), { bigint: true }).mtimeNs / 1_000_000_000n));
  paths.set(files[0], 'd/a2');
  await agree('remove a (a2 remains, one link)');
  await u.rename(d, 'b', d, 'b2', ROOT);
  paths.set(files[1], 'd/b2');
  await agree('rename b');
  await u.remove(d, 'c', ROOT);
  paths.delete(files[2]);
  await agree('remove c');
  await t.rejects(u.getattr(files[2]), { code: 'ESTALE' }, 'the removed file is gone, not remembered');
});
