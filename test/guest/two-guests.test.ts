/**
 * Two kernel clients at once against one server with two exports, `/a` and `/b`, that share one
 * lower layer but have their own upper and work directories.
 *   - Separate exports: each guest changes its export at the same time as the other; each sees
 *     only its own changes, each upper holds only its own, the shared lower holds neither.
 *   - Same export: both guests mount `/a` with `noac` and see each other's creates, appends,
 *     renames, removes, copy-ups and new directory entries at once.
 */

import t from 'tap';
import { lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../../server/serve.js';
import { bootGuest, nfsMountCommand, skipUnlessGuestsCanRun, endWithTheTests, type Guest } from '../lib/guest/guest.js';
import { exportOf, makeLayers, removeLayers, serverConfigOf, treeSnapshot } from './lib/layers.js';

const unavailable = skipUnlessGuestsCanRun();

t.test('two guests, two exports over one lower, and one shared export', { skip: unavailable }, async (t) => {
  const layers = await makeLayers({ prefix: 'fallthru-two-guests-' });
  t.teardown(() => removeLayers(layers));
  const [lower] = layers.lowers;
  const a = { lowers: [lower], upper: join(layers.root, 'upper-a'), work: join(layers.root, 'work-a') };
  const b = { lowers: [lower], upper: join(layers.root, 'upper-b'), work: join(layers.root, 'work-b') };
  await Promise.all([a.upper, a.work, b.upper, b.work].map((dir) => mkdir(dir)));
  await mkdir(join(lower, 'dir'));
  for (const name of ['shared.txt', 'gone-in-a.txt', 'gone-in-b.txt', 'dir/lower.txt', 'copy-up.txt']) {
    await writeFile(join(lower, name), `lower ${name}\n`);
  }
  await mkdir(join(lower, 'race'));
  for (let i = 0; i < 16; i++) await writeFile(join(lower, `race/f${i}`), '.'.repeat(4 * 4096));
  const lowerBefore = await treeSnapshot(lower);

  const server = await startServer(serverConfigOf([exportOf('/a', a), exportOf('/b', b)]));
  t.teardown(() => server.close());
  const [alpha, beta] = await Promise.all([bootGuest({ name: 'alpha' }), bootGuest({ name: 'beta' })]);
  t.teardown(() => Promise.all([alpha.shutdown(), beta.shutdown()]));
  const ports = { port: server.nfsPort, mountPort: server.mountPort, extraOptions: ['noac'] };
  const sh = async (guest: Guest, script: string, timeoutMs = 120_000): Promise<string> =>
    (await guest.run(`set -e\n${script}`, { check: true, timeoutMs })).stdout;
  await Promise.all([
    sh(alpha, nfsMountCommand({ ...ports, exportPath: '/a', mountpoint: '/mnt/a' })),
    sh(beta, nfsMountCommand({ ...ports, exportPath: '/b', mountpoint: '/mnt/b' })),
  ]);

  t.test('each guest changes its own export at the same time as the other', async (t) => {
    const change = (guest: Guest, mine: 'a' | 'b'): Promise<string> =>
      sh(
        guest,
        `cd /mnt/${mine}
         echo "written through /${mine}" > shared.txt
         rm gone-in-${mine}.txt
         mkdir only-${mine}
         echo new > dir/new-in-${mine}.txt
         i=0; while [ $i -lt 300 ]; do : > only-${mine}/f$i; i=$((i + 1)); done
         ls -A | tr '\\n' ' '; echo
         ls -A dir | tr '\\n' ' '; echo
         ls only-${mine} | wc -l
         cat shared.txt`,
      );
    const [seenByAlpha, seenByBeta] = await Promise.all([change(alpha, 'a'), change(beta, 'b')]);
    t.equal(
      seenByAlpha,
      'copy-up.txt dir gone-in-b.txt only-a race shared.txt \nlower.txt new-in-a.txt \n300\nwritten through /a\n',
      'alpha sees its changes and none of beta\'s',
    );
    t.equal(
      seenByBeta,
      'copy-up.txt dir gone-in-a.txt only-b race shared.txt \nlower.txt new-in-b.txt \n300\nwritten through /b\n',
      'beta sees its changes and none of alpha\'s',
    );
    t.equal(await readFile(join(a.upper, 'shared.txt'), 'utf8'), 'written through /a\n');
    t.equal(await readFile(join(b.upper, 'shared.txt'), 'utf8'), 'written through /b\n');
    t.equal((await readdir(join(a.upper, 'only-a'))).length, 300);
    await t.rejects(lstat(join(a.upper, 'only-b')), { code: 'ENOENT' }, 'nothing of /b on the upper of /a');
    await t.rejects(lstat(join(b.upper, 'only-a')), { code: 'ENOENT' }, 'nothing of /a on the upper of /b');
  });

  t.test('one guest mounting both exports sees two different file systems', async (t) => {
    const out = await sh(
      beta,
      `${nfsMountCommand({ ...ports, exportPath: '/a', mountpoint: '/mnt/a' })}
       cat /mnt/a/shared.txt /mnt/b/shared.txt
       stat -c %d /mnt/a /mnt/b`,
    );
    const [contentA, contentB, deviceA, deviceB] = out.split('\n');
    t.same([contentA, contentB], ['written through /a', 'written through /b']);
    // Different root handles and fsids: the kernel keeps two superblocks, not one shared cache.
    t.not(deviceA, deviceB, `two devices (${deviceA}, ${deviceB})`);
  });

  t.test('two guests on the same export (noac) see each other\'s changes at once', async (t) => {
    // beta now has /a mounted at /mnt/a too.
    t.equal(await sh(alpha, 'cat /mnt/a/copy-up.txt'), 'lower copy-up.txt\n', 'alpha reads (and caches) the lower file');
    await sh(beta, 'echo "copied up by beta" > /mnt/a/copy-up.txt');
    t.equal(await sh(alpha, 'cat /mnt/a/copy-up.txt'), 'copied up by beta\n', 'alpha sees the copy-up through the handle it had');

    await sh(alpha, 'echo "from alpha" > /mnt/a/note');
    t.equal(await sh(beta, 'cat /mnt/a/note'), 'from alpha\n', 'create seen');
    await sh(beta, 'echo "appended by beta" >> /mnt/a/note');
    t.equal(await sh(alpha, 'cat /mnt/a/note'), 'from alpha\nappended by beta\n', 'append seen');
    await sh(beta, 'mv /mnt/a/note /mnt/a/dir/moved-note');
    t.equal(
      await sh(alpha, '[ -e /mnt/a/note ] && echo still-there; cat /mnt/a/dir/moved-note'),
      'from alpha\nappended by beta\n',
      'rename seen',
    );
    await sh(alpha, 'rm /mnt/a/dir/moved-note /mnt/a/dir/lower.txt');
    t.equal(await sh(beta, 'ls -A /mnt/a/dir | tr "\\n" " "'), 'new-in-a.txt ', 'removes (upper and lower names) seen');

    // New entries in a directory the other client has listed (its readdir cache must go).
    t.equal(await sh(alpha, 'ls /mnt/a/only-a | wc -l'), '300\n');
    await sh(beta, 'cd /mnt/a/only-a && i=0; while [ $i -lt 50 ]; do : > g$i; i=$((i + 1)); done; rm f0 f1');
    t.equal(await sh(alpha, 'ls /mnt/a/only-a | wc -l; ls /mnt/a/only-a | grep -c "^g"'), '348\n50\n', 'new names seen in a listed directory');
    await sh(alpha, 'mkdir /mnt/a/dir/sub && echo deep > /mnt/a/dir/sub/file');
    t.equal(await sh(beta, 'cat /mnt/a/dir/sub/file'), 'deep\n', 'new directory and file seen');
    await sh(beta, 'rm -r /mnt/a/dir/sub');
    t.equal(await sh(alpha, '[ -e /mnt/a/dir/sub ] || echo gone'), 'gone\n', 'recursive remove seen');
  });

  t.test('both guests write different blocks of the same lower files at once (racing copy-ups)', async (t) => {
    // Each guest patches its own 4 KiB block of 16 lower files, at the same moment: whichever
    // copy-up wins, neither write may be lost or fail. (This found the copy-up race fixed in
    // union-core: a WRITE or GETATTR arriving while the copy was renamed into place got ESTALE.)
    const patch = (guest: Guest, letter: string, block: number): Promise<string> =>
      sh(
        guest,
        `cd /mnt/a/race
         for i in $(seq 0 15); do
           (head -c 4096 /dev/zero | tr '\\0' ${letter} | dd of=f$i bs=4096 seek=${block} conv=notrunc,fsync 2> /tmp/dd$i.err || echo "f$i: $(tail -1 /tmp/dd$i.err)") &
         done
         wait; echo done`,
      );
    t.same(await Promise.all([patch(alpha, 'A', 0), patch(beta, 'B', 2)]), ['done\n', 'done\n']);
    for (let i = 0; i < 16; i++) {
      const data = await readFile(join(a.upper, `race/f${i}`));
      const blocks = [0, 1, 2, 3].map((k) => String.fromCharCode(data[k * 4096]) + String.fromCharCode(data[k * 4096 + 4095]));
      t.same(blocks, ['AA', '..', 'BB', '..'], `race/f${i} has both writes on the upper`);
    }
    const sums = await Promise.all([alpha, beta].map((g) => sh(g, 'cat /mnt/a/race/f* | md5sum')));
    t.equal(sums[0], sums[1], 'both guests read the same bytes');
  });

  t.test('the shared lower is unchanged', async (t) => {
    t.same(await treeSnapshot(lower), lowerBefore);
  });
});

endWithTheTests(t);
