/**
 * The Linux kernel's NFSv3 client against our server, one scenario per union rule, each checked
 * on the host too: what landed on the upper, and (at the end) that neither lower changed at all.
 *
 * Layers (lower0 is the higher one):
 *   lower0  read/ write/ remove/ opaque/ rename/ links/ attrs/ many/n00000..n03999
 *   lower1  read/ (shadowed and own files)  opaque/dir/three.txt  rename/elsewhere/
 *           many/n03000..n06999 (1,000 names also in lower0)
 * The guest mounts with the kernel defaults (hard, attribute caching on); scenarios that must see
 * the server's answer rather than the client's cache drop the guest's caches first.
 */

import t from 'tap';
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readFile, readlink, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../../server/serve.js';
import { bootGuest, nfsMountCommand, skipUnlessGuestsCanRun, endWithTheTests, type Guest } from '../lib/guest/guest.js';
import { exportOf, makeLayers, md5File, removeLayers, serverConfigOf, treeSnapshot, type Layers } from './lib/layers.js';
import { createHash } from 'node:crypto';

const unavailable = skipUnlessGuestsCanRun();
const DROP_CACHES = 'sync; echo 3 > /proc/sys/vm/drop_caches';
const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');
const manyName = (i: number): string => `n${String(i).padStart(5, '0')}`;

async function prepareLowers([l0, l1]: string[]): Promise<{ randomMd5: string; partial: Buffer }> {
  const files: [string, string | Buffer][] = [
    [`${l0}/read/hello.txt`, 'hello from lower0\n'],
    [`${l0}/read/shadow.txt`, 'lower0 wins\n'],
    [`${l1}/read/shadow.txt`, 'lower1 is hidden\n'],
    [`${l1}/read/only-in-lower1.txt`, 'from lower1\n'],
    [`${l0}/read/random.bin`, randomBytes(1 << 20)],
    [`${l0}/write/overwrite.txt`, 'old content\n'],
    [`${l0}/write/append.txt`, 'line1\n'],
    [`${l0}/write/truncate.txt`, 'x'.repeat(10_000)],
    [`${l0}/write/partial.bin`, randomBytes(65_536)],
    [`${l0}/remove/file.txt`, 'remove me\n'],
    [`${l0}/remove/tree/a.txt`, 'a\n'],
    [`${l0}/remove/tree/sub/b.txt`, 'b\n'],
    [`${l0}/opaque/dir/one.txt`, '1\n'],
    [`${l0}/opaque/dir/two.txt`, '2\n'],
    [`${l1}/opaque/dir/three.txt`, '3\n'],
    [`${l0}/rename/file.txt`, 'rename me\n'],
    [`${l0}/rename/replacer.txt`, 'the replacement\n'],
    [`${l0}/rename/target.txt`, 'old target\n'],
    [`${l0}/rename/dir/x.txt`, 'x\n'],
    [`${l0}/rename/dir/sub/y.txt`, 'y\n'],
    [`${l0}/rename/moveme/z.txt`, 'z\n'],
    [`${l1}/rename/elsewhere/existing.txt`, 'already here\n'],
    [`${l0}/links/single.txt`, 'single\n'],
    [`${l0}/links/pair-a`, 'one file, two names\n'],
    [`${l0}/attrs/file.txt`, 'attrs\n'],
    [`${l0}/attrs/touched.txt`, 'touched\n'],
  ];
  for (const [path, data] of files) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, data, { mode: 0o644 });
  }
  await mkdir(`${l0}/remove/empty`);
  await mkdir(`${l0}/attrs/dir`, { mode: 0o755 });
  await link(`${l0}/links/pair-a`, `${l0}/links/pair-b`);
  await symlink('single.txt', `${l0}/links/sym`);
  await mkdir(`${l0}/many`);
  await mkdir(`${l1}/many`);
  for (let i = 0; i < 4000; i++) await writeFile(`${l0}/many/${manyName(i)}`, '');
  for (let i = 3000; i < 7000; i++) await writeFile(`${l1}/many/${manyName(i)}`, '');
  return { randomMd5: await md5File(`${l0}/read/random.bin`), partial: await readFile(`${l0}/write/partial.bin`) };
}

t.test('kernel NFSv3 client on a union export', { skip: unavailable }, async (t) => {
  const layers: Layers = await makeLayers({ lowers: 2, prefix: 'fallthru-kernel-client-' });
  t.teardown(() => removeLayers(layers));
  const { randomMd5, partial } = await prepareLowers(layers.lowers);
  const lowersBefore = await Promise.all(layers.lowers.map((l) => treeSnapshot(l)));
  // A second export, async (answers before syncing), over the same lowers with its own upper.
  const asyncLayers: Layers = { ...(await makeLayers({ lowers: 0, prefix: 'fallthru-kernel-async-' })), lowers: layers.lowers };
  t.teardown(() => removeLayers(asyncLayers));
  const server = await startServer(serverConfigOf([exportOf('/union', layers), exportOf('/async', asyncLayers, { async: true })]));
  t.teardown(() => server.close());
  const guest: Guest = await bootGuest({ name: 'kclient', memoryMb: 256 });
  t.teardown(() => guest.shutdown());
  t.comment(`guest booted in ${Math.round(guest.bootMs)} ms`);
  const mount = nfsMountCommand({ port: server.nfsPort, mountPort: server.mountPort, exportPath: '/union' });
  await guest.run(mount, { check: true, timeoutMs: 30_000 });
  const upper = (rel: string): string => join(layers.upper, rel);

  /** Runs a script that must succeed; returns its stdout. */
  const sh = async (script: string, timeoutMs = 60_000): Promise<string> =>
    (await guest.run(`set -e\n${script}`, { check: true, timeoutMs })).stdout;

  t.test('reads lower files: highest layer wins, lower-only files show, nothing copied up', async (t) => {
    const out = await sh(`cd /mnt/read
      cat hello.txt shadow.txt only-in-lower1.txt
      md5sum random.bin
      ls -A | tr '\\n' ' '`);
    t.equal(out, `hello from lower0\nlower0 wins\nfrom lower1\n${randomMd5}  random.bin\nhello.txt only-in-lower1.txt random.bin shadow.txt `);
    for (const name of ['hello.txt', 'shadow.txt', 'only-in-lower1.txt', 'random.bin']) {
      await t.rejects(lstat(upper(`read/${name}`)), { code: 'ENOENT' }, `reading ${name} copies nothing up`);
    }
  });

  t.test('write, append, truncate and patch lower files: the upper gets the copy', async (t) => {
    const before = await sh('stat -c %i /mnt/write/overwrite.txt /mnt/write/partial.bin');
    const out = await sh(`cd /mnt/write
      echo new > overwrite.txt
      echo line2 >> append.txt
      truncate -s 100 truncate.txt
      printf ABCD | dd of=partial.bin bs=1 seek=1000 conv=notrunc 2>/dev/null
      ${DROP_CACHES}
      cat overwrite.txt append.txt
      stat -c '%s' truncate.txt
      md5sum partial.bin
      stat -c %i overwrite.txt partial.bin`);
    const patched = Buffer.from(partial);
    patched.write('ABCD', 1000);
    t.equal(out, `new\nline1\nline2\n100\n${md5(patched)}  partial.bin\n${before}`, 'the guest sees the changes; fileids did not change');
    t.equal(await readFile(upper('write/overwrite.txt'), 'utf8'), 'new\n');
    t.equal(await readFile(upper('write/append.txt'), 'utf8'), 'line1\nline2\n');
    t.equal(await readFile(upper('write/truncate.txt'), 'utf8'), 'x'.repeat(100));
    t.equal(md5(await readFile(upper('write/partial.bin'))), md5(patched), 'a partial write copied the whole file up first');
  });

  t.test('remove lower files and directories: whiteouts hide them', async (t) => {
    const out = await sh(`cd /mnt/remove
      rm file.txt
      rm -r tree
      rmdir empty
      ${DROP_CACHES}
      ls -A | wc -l
      for n in file.txt tree empty; do [ -e $n ] && echo "$n still there"; done; true`);
    t.equal(out, '0\n');
    const missing = await guest.run('cat /mnt/remove/file.txt');
    t.match(missing.stderr, /No such file or directory/);
  });

  t.test('rmdir + mkdir of a merged lower directory makes it opaque', async (t) => {
    const out = await sh(`cd /mnt/opaque
      ls dir | tr '\\n' ' '; echo
      rm -r dir
      mkdir dir
      ${DROP_CACHES}
      ls -A dir | wc -l
      echo new > dir/new.txt
      ls -A dir`);
    t.equal(out, 'one.txt three.txt two.txt \n0\nnew.txt\n', 'names of both lowers before, none after');
    t.equal(await readFile(upper('opaque/dir/new.txt'), 'utf8'), 'new\n');
  });

  t.test('rename files and directories across layers', async (t) => {
    const out = await sh(`cd /mnt/rename
      ino=$(stat -c %i dir/sub/y.txt)
      mv file.txt renamed.txt
      mv replacer.txt target.txt
      mv dir dir2
      mv moveme elsewhere/moveme
      echo added > dir2/added.txt
      ${DROP_CACHES}
      cat renamed.txt target.txt dir2/x.txt dir2/sub/y.txt elsewhere/moveme/z.txt elsewhere/existing.txt dir2/added.txt
      find . | sort | tr '\\n' ' '; echo
      [ "$(stat -c %i dir2/sub/y.txt)" = "$ino" ] && echo same-fileid`);
    t.equal(
      out,
      'rename me\nthe replacement\nx\ny\nz\nalready here\nadded\n' +
        '. ./dir2 ./dir2/added.txt ./dir2/sub ./dir2/sub/y.txt ./dir2/x.txt ./elsewhere ./elsewhere/existing.txt ./elsewhere/moveme ./elsewhere/moveme/z.txt ./renamed.txt ./target.txt \n' +
        'same-fileid\n',
    );
    t.equal(await readFile(upper('rename/renamed.txt'), 'utf8'), 'rename me\n');
    t.equal(await readFile(upper('rename/target.txt'), 'utf8'), 'the replacement\n');
    t.equal(await readFile(upper('rename/dir2/added.txt'), 'utf8'), 'added\n');
  });

  t.test('hard links and symlinks', async (t) => {
    const out = await sh(`cd /mnt/links
      stat -c '%h' pair-a pair-b
      [ "$(stat -c %i pair-a)" = "$(stat -c %i pair-b)" ] && echo lower-pair-one-inode
      ln single.txt single-link.txt
      stat -c '%h' single.txt single-link.txt
      [ "$(stat -c %i single.txt)" = "$(stat -c %i single-link.txt)" ] && echo new-link-one-inode
      echo more >> single-link.txt
      echo changed > pair-a
      ${DROP_CACHES}
      cat single.txt pair-b
      stat -c '%h' pair-b
      rm pair-a
      ${DROP_CACHES}
      stat -c '%h' pair-b single.txt
      ln -s single.txt new-sym
      readlink sym; readlink new-sym
      cat sym new-sym`);
    t.equal(
      out,
      '2\n2\nlower-pair-one-inode\n2\n2\nnew-link-one-inode\nsingle\nmore\nchanged\n2\n1\n2\nsingle.txt\nsingle.txt\nsingle\nmore\nsingle\nmore\n',
    );
    t.equal(await readlink(upper('links/new-sym')), 'single.txt');
    t.equal(await readFile(upper('links/single-link.txt'), 'utf8'), 'single\nmore\n');
  });

  t.test('chmod, chown, touch', async (t) => {
    const out = await sh(`cd /mnt/attrs
      chmod 640 file.txt
      chown 1234:5678 file.txt
      touch -d '2001-02-03 04:05:06' file.txt
      chmod 700 dir
      chown 42:43 dir
      touch touched.txt
      ${DROP_CACHES}
      stat -c '%a %u %g %Y' file.txt
      stat -c '%a %u %g' dir
      cat file.txt
      echo $(( $(date +%s) - $(stat -c %Y touched.txt) ))`);
    const [file, dir, content, age] = out.split('\n');
    t.equal(file, `640 1234 5678 ${Date.UTC(2001, 1, 3, 4, 5, 6) / 1000}`);
    t.equal(dir, '700 42 43');
    t.equal(content, 'attrs');
    t.ok(Math.abs(Number(age)) < 120, `touch set the mtime to about now (${age} s ago)`);
  });

  t.test('a 200 MiB file written and read back after dropping caches', async (t) => {
    const started = performance.now();
    const written = await sh(
      `mkdir /mnt/big
       dd if=/dev/urandom of=/mnt/big/file bs=1M count=200 2>/dev/null
       md5sum /mnt/big/file | cut -d' ' -f1`,
      300_000,
    );
    const writeMs = performance.now() - started;
    t.equal((await lstat(upper('big/file'))).size, 200 * 1024 * 1024);
    const hostMd5 = await md5File(upper('big/file'));
    t.equal(written.trim(), hostMd5, 'the upper file has what the guest wrote');
    const readStarted = performance.now();
    const reread = await sh(`${DROP_CACHES}; md5sum /mnt/big/file | cut -d' ' -f1`, 300_000);
    t.equal(reread.trim(), hostMd5, 'read back from the server, the same bytes');
    t.comment(`200 MiB: write+md5 ${Math.round(writeMs)} ms, cold read+md5 ${Math.round(performance.now() - readStarted)} ms`);
  });

  t.test('a 10,000-entry merged directory lists each name exactly once', async (t) => {
    // 7,000 names from the lowers (1,000 of them in both), 3,000 created through the client.
    const created = await sh(
      `cd /mnt/many
       i=7000; while [ $i -lt 10000 ]; do : > n0$i; i=$((i + 1)); done
       echo done`,
      300_000,
    );
    t.equal(created, 'done\n');
    const all = Array.from({ length: 10_000 }, (_, i) => manyName(i));
    const expected = (names: string[]): string => `${names.length}\n0\n${md5(names.join('\n') + '\n')}\n`;
    const listing = `ls -1A /mnt/many > /tmp/names
      wc -l < /tmp/names
      sort /tmp/names | uniq -d | wc -l
      sort /tmp/names | md5sum | cut -d' ' -f1`;
    t.equal(await sh(listing, 120_000), expected(all), 'warm listing');
    t.equal(await sh(`${DROP_CACHES}\n${listing}`, 120_000), expected(all), 'listing after dropping caches');
    // Remove names from every source (lower0 only, both lowers, lower1 only, created).
    const gone = [0, 1, 3500, 3501, 6998, 6999, 7000, 9999].map(manyName);
    await sh(`cd /mnt/many && rm ${gone.join(' ')}`);
    t.equal(await sh(`${DROP_CACHES}\n${listing}`, 120_000), expected(all.filter((n) => !gone.includes(n))), 'after removing 8 names');
    const onUpper = (await readdir(upper('many'))).filter((n) => n >= 'n07000').length;
    t.equal(onUpper, 2998, 'the created names (less the removed ones) are files on the upper');
  });

  t.test('after a remount everything is as the client left it', async (t) => {
    const out = await sh(`umount /mnt
      ${mount}
      ls -A /mnt/remove | wc -l
      ls -A /mnt/opaque/dir
      cat /mnt/rename/dir2/sub/y.txt /mnt/write/append.txt
      stat -c '%a %u %g' /mnt/attrs/file.txt
      stat -c %h /mnt/links/pair-b /mnt/links/single.txt`);
    t.equal(out, '0\nnew.txt\ny\nline1\nline2\n640 1234 5678\n1\n2\n');
  });

  t.test('an async export: a tree made, changed, partly removed, as seen after a remount and on its upper', async (t) => {
    const asyncMount = nfsMountCommand({ port: server.nfsPort, mountPort: server.mountPort, exportPath: '/async', mountpoint: '/mnt-async' });
    const out = await sh(`${asyncMount}
      cd /mnt-async
      mkdir -p made/sub
      for i in $(seq 1 200); do echo "file $i" > made/f$i; done
      chmod 600 made/f1 && touch -d '2001-02-03 04:05:06' made/f2
      rm made/f1[0-9] && rmdir made/sub
      echo appended >> read/hello.txt && rm read/shadow.txt
      cd / && umount /mnt-async && ${asyncMount}
      ls /mnt-async/made | wc -l
      stat -c '%a' /mnt-async/made/f1; stat -c '%Y' /mnt-async/made/f2
      cat /mnt-async/made/f200 /mnt-async/read/hello.txt
      ls /mnt-async/read`);
    t.equal(out, `190\n600\n${Date.UTC(2001, 1, 3, 4, 5, 6) / 1000}\nfile 200\nhello from lower0\nappended\nhello.txt\nonly-in-lower1.txt\nrandom.bin\n`);
    t.equal((await readdir(join(asyncLayers.upper, 'made'))).length, 190, 'the files are on the async export\'s upper');
    t.equal(await readFile(join(asyncLayers.upper, 'read/hello.txt'), 'utf8'), 'hello from lower0\nappended\n', 'copied up there');
    await sh('umount /mnt-async');
  });

  t.test('the client logged no NFS complaints', async (t) => {
    const log = await sh('dmesg | grep -iE "nfs|rpc" | grep -ivE "registered|fs-cache|installing" || true');
    t.notMatch(log, /fileid changed|readdir loop|stale|server .* not responding|error/i, log || 'no NFS messages');
  });

  t.test('the lower layers are unchanged', async (t) => {
    for (const [i, lower] of layers.lowers.entries()) t.same(await treeSnapshot(lower), lowersBefore[i], `lower${i}`);
  });
});

endWithTheTests(t);
