/**
 * The kernel NFSv3 client on the corners real workloads reach: permissions of a non-root user,
 * root squash, a read-only export, exclusive create, awkward names, 64-bit offsets, special
 * files, rename corner cases, `rm -rf` of a big merged directory while the listing changes under
 * it, tree copies, and `df`.
 *
 * Layers: one lower with perm/ names/ tree/ big-dir/ (2,000 names) and ren/, served three times
 * with separate uppers: /union (no squash), /squashed (root squash), /ro (read-only).
 */

import t from 'tap';
import { lstat, mkdir, readFile, readdir, writeFile, chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../../server/serve.js';
import { bootGuest, nfsMountCommand, skipUnlessGuestsCanRun, endWithTheTests } from '../lib/guest/guest.js';
import { exportOf, makeLayers, removeLayers, serverConfigOf, treeSnapshot } from './lib/layers.js';

const unavailable = skipUnlessGuestsCanRun();
/** busybox su, as user `u` (1000:1000, added to the guest's /etc/passwd below); quote the command. */
const AS_USER = 'su u -s /bin/sh -c';
const ADD_USER = "grep -q '^u:' /etc/passwd || { echo 'u:x:1000:1000::/tmp:/bin/sh' >> /etc/passwd; echo 'u:x:1000:' >> /etc/group; }";

t.test('kernel client edge cases', { skip: unavailable }, async (t) => {
  const layers = await makeLayers({ prefix: 'fallthru-kernel-edges-' });
  t.teardown(() => removeLayers(layers));
  const [lower] = layers.lowers;
  const put = async (rel: string, data: string, mode = 0o644): Promise<void> => {
    await mkdir(join(lower, rel, '..'), { recursive: true });
    await writeFile(join(lower, rel), data);
    await chmod(join(lower, rel), mode);
  };
  await put('perm/root-only.txt', 'root\n', 0o600);
  await put('perm/readable.txt', 'everyone reads\n', 0o644);
  await put('perm/user-file.txt', 'owned by 1000\n', 0o644);
  await chown(join(lower, 'perm/user-file.txt'), 1000, 1000);
  await mkdir(join(lower, 'perm/open'), { mode: 0o777 });
  await chmod(join(lower, 'perm/open'), 0o777);
  await mkdir(join(lower, 'perm/closed'), { mode: 0o755 });
  await put('names/plain.txt', 'plain\n');
  for (let i = 0; i < 20; i++) await put(`tree/d${i % 4}/f${i}.txt`, `tree file ${i}\n`.repeat(i * 50 + 1));
  await mkdir(join(lower, 'big-dir'));
  for (let i = 0; i < 2000; i++) await writeFile(join(lower, 'big-dir', `entry-${i}`), '');
  await put('ren/dir/inner.txt', 'inner\n');
  await mkdir(join(lower, 'ren/empty-target'));
  await put('ren/full-target/keep.txt', 'keep\n');
  const lowerBefore = await treeSnapshot(lower);

  // Two more exports of the same lower, each with its own upper and work: root squashed, and
  // read-only.
  const squashed = { lowers: [lower], upper: join(layers.root, 'upper-sq'), work: join(layers.root, 'work-sq') };
  const readOnly = { lowers: [lower], upper: join(layers.root, 'upper-ro'), work: join(layers.root, 'work-ro') };
  await Promise.all([squashed.upper, squashed.work, readOnly.upper, readOnly.work].map((dir) => mkdir(dir)));
  const server = await startServer(
    serverConfigOf([
      exportOf('/union', layers),
      exportOf('/squashed', squashed, { squash: 'root' }),
      exportOf('/ro', readOnly, { readOnly: true }),
    ]),
  );
  t.teardown(() => server.close());
  const guest = await bootGuest({ name: 'edges' });
  t.teardown(() => guest.shutdown());
  await guest.run(nfsMountCommand({ port: server.nfsPort, mountPort: server.mountPort, exportPath: '/union' }), { check: true });
  const run = (script: string, timeoutMs = 120_000) => guest.run(script, { timeoutMs });
  const sh = async (script: string, timeoutMs = 120_000): Promise<string> =>
    (await guest.run(`set -e\n${script}`, { check: true, timeoutMs })).stdout;

  t.test('a non-root user gets exactly the permissions the modes give', async (t) => {
    const r = await run(`${ADD_USER}
      cd /mnt/perm
      ${AS_USER} 'cat root-only.txt' 2>&1 | sed 's/^.*: //'
      ${AS_USER} 'cat readable.txt'
      ${AS_USER} 'echo x >> readable.txt' 2>&1 | sed 's/^.*: //'
      ${AS_USER} 'echo mine >> user-file.txt' && cat user-file.txt
      ${AS_USER} 'echo created > open/by-user.txt' && stat -c '%u %g' open/by-user.txt
      ${AS_USER} 'echo no > closed/nope.txt' 2>&1 | sed 's/^.*: //'
      ${AS_USER} 'chmod 600 readable.txt' 2>&1 | sed 's/^.*: //'
      ${AS_USER} 'rm -f readable.txt' 2>&1 | sed 's/^.*: //'
      ls`);
    t.equal(
      r.stdout,
      'Permission denied\neveryone reads\nPermission denied\nowned by 1000\nmine\n1000 1000\nPermission denied\n' +
        'Operation not permitted\nPermission denied\nclosed\nopen\nreadable.txt\nroot-only.txt\nuser-file.txt\n',
    );
    const created = await lstat(join(layers.upper, 'perm/open/by-user.txt'));
    t.same([created.uid, created.gid], [1000, 1000], 'the new file belongs to the user on the upper too');
  });

  // (busybox's `test -r/-w` decides from stat() and says yes to root, so it cannot show what the
  // server's ACCESS answers; the kernel's own ACCESS call on open is what refuses here.)
  t.test('root squash: the guest\'s root acts as nobody', async (t) => {
    const ports = { port: server.nfsPort, mountPort: server.mountPort };
    const r = await run(`${nfsMountCommand({ ...ports, exportPath: '/squashed', mountpoint: '/sq' })} || exit 1
      cd /sq/perm
      cat root-only.txt 2>&1 | sed 's/^.*: //'
      { echo x >> readable.txt; } 2>&1 | sed 's/^.*: //'
      echo mine > open/by-root.txt && stat -c '%u %g' open/by-root.txt
      chown 0:0 open/by-root.txt 2>&1 | sed 's/^.*: //'
      cd / && umount /sq`);
    t.equal(
      r.stdout,
      'Permission denied\nPermission denied\n65534 65534\nOperation not permitted\n',
    );
    const created = await lstat(join(squashed.upper, 'perm/open/by-root.txt'));
    t.same([created.uid, created.gid], [65534, 65534], 'owned by the anonymous ids on the upper');
  });

  t.test('read-only export: reads work, every change is refused', async (t) => {
    const ports = { port: server.nfsPort, mountPort: server.mountPort };
    const r = await run(`${nfsMountCommand({ ...ports, exportPath: '/ro', mountpoint: '/ro' })} || exit 1
      cat /ro/perm/readable.txt
      for op in 'echo x > /ro/new' 'echo x >> /ro/perm/readable.txt' 'mkdir /ro/d' 'rm /ro/names/plain.txt' 'mv /ro/tree /ro/t2' 'chmod 600 /ro/names/plain.txt' 'ln -s a /ro/l'; do
        { sh -c "$op"; } 2>&1 | sed 's/^.*: //'
      done
      umount /ro`);
    // Opening an existing file for writing fails in the client's ACCESS check, before any
    // change is attempted: EACCES, exactly as against a read-only knfsd export (ACCESS has no
    // ROFS status in RFC 1813; the server just leaves MODIFY and EXTEND out).
    t.equal(r.stdout, `everyone reads\nRead-only file system\nPermission denied\n${'Read-only file system\n'.repeat(5)}`);
    t.same(await readdir(readOnly.upper), [], 'nothing reached its upper');
  });

  t.test('exclusive create (O_EXCL): new file has a sane mtime, a second create fails', async (t) => {
    const r = await run(`cd /mnt/names
      set -C
      echo first > excl.txt && echo created
      echo second > excl.txt 2>/dev/null || echo refused
      echo second > plain.txt 2>/dev/null || echo refused-lower
      set +C
      cat excl.txt
      echo $(( $(date +%s) - $(stat -c %Y excl.txt) )) $(stat -c %a excl.txt)`);
    const lines = r.stdout.split('\n');
    t.same(lines.slice(0, 4), ['created', 'refused', 'refused-lower', 'first']);
    const [age, mode] = lines[4].split(' ');
    t.ok(Math.abs(Number(age)) < 120, `mtime is about now (${age} s ago), not the create verifier`);
    t.equal(mode, '644');
  });

  t.test('awkward names: spaces, UTF-8, 255 bytes; 256 bytes is refused', async (t) => {
    const long = 'L'.repeat(255);
    const r = await run(`cd /mnt/names
      echo sp > 'with space.txt'
      echo u > 'caf\u00e9-\u65e5\u672c.txt'
      echo n > "${long}"
      { echo too > "${long}M"; } 2>&1 | sed 's/^.*: //'
      cat 'with space.txt' 'caf\u00e9-\u65e5\u672c.txt' "${long}"`);
    const names = ['with space.txt', 'caf\u00e9-\u65e5\u672c.txt', long, 'plain.txt', 'excl.txt'];
    t.match(r.stdout, /^File name too long\n/);
    t.match(r.stdout, /\nsp\nu\nn\n$/);
    const onUpper = (await readdir(join(layers.upper, 'names'))).sort();
    t.same(onUpper, names.filter((n) => n !== 'plain.txt').sort(), 'the names reach the upper byte for byte');
  });

  t.test('64-bit offsets: a sparse 5 GiB file written near its end', async (t) => {
    const out = await sh(`cd /mnt
      truncate -s 5G sparse
      printf 'tail-bytes' | dd of=sparse bs=1 seek=$((5 * 1024 * 1024 * 1024 - 10)) conv=notrunc 2>/dev/null
      printf 'past-4GiB' | dd of=sparse bs=1 seek=$((4 * 1024 * 1024 * 1024 + 7)) conv=notrunc 2>/dev/null
      sync; echo 3 > /proc/sys/vm/drop_caches
      stat -c %s sparse
      dd if=sparse bs=1 skip=$((5 * 1024 * 1024 * 1024 - 10)) count=10 2>/dev/null; echo
      dd if=sparse bs=1 skip=$((4 * 1024 * 1024 * 1024 + 7)) count=9 2>/dev/null; echo`);
    t.equal(out, '5368709120\ntail-bytes\npast-4GiB\n');
    const st = await lstat(join(layers.upper, 'sparse'));
    t.equal(st.size, 5 * 2 ** 30);
    t.ok(st.blocks * 512 < 64 * 2 ** 20, `the upper file stays sparse (${st.blocks * 512} bytes allocated)`);
  });

  t.test('special files: fifo, and a symlink loop', async (t) => {
    const r = await run(`cd /mnt
      mkfifo fifo && stat -c %F fifo
      ln -s loop-b loop-a && ln -s loop-a loop-b
      cat loop-a 2>&1 | sed 's/^.*: //'`);
    t.equal(r.stdout, 'fifo\nToo many levels of symbolic links\n');
    // By design the upper holds an empty placeholder file; the store keeps the type.
    t.ok((await lstat(join(layers.upper, 'fifo'))).isFile(), 'a placeholder on the upper');
  });

  t.test('rename corner cases', async (t) => {
    // mv -T: busybox then calls rename(2) as is instead of moving into an existing directory.
    const r = await run(`cd /mnt/ren
      mv dir dir/sub 2>&1 | sed 's/^.*: //'
      mv -T dir empty-target && echo over-empty
      mv -T full-target empty-target 2>&1 | sed 's/^.*: //'
      cat empty-target/inner.txt
      mv -T empty-target back && mv -T back dir && cat dir/inner.txt
      ln dir/inner.txt dir/second-name && mv -T dir/inner.txt dir/second-name && ls dir | tr '\\n' ' ' && echo
      ls | tr '\\n' ' '`);
    t.equal(
      r.stdout,
      // The last rename is between two names of one file: rename(2) then does nothing at all.
      'Invalid argument\nover-empty\nDirectory not empty\ninner\ninner\ninner.txt second-name \ndir full-target ',
    );
  });

  t.test('cp -a of a lower tree, then compared', async (t) => {
    const out = await sh(`cd /mnt
      cp -a tree tree-copy
      sync; echo 3 > /proc/sys/vm/drop_caches
      (cd tree && find . -type f | sort | xargs md5sum) > /tmp/a
      (cd tree-copy && find . -type f | sort | xargs md5sum) > /tmp/b
      cmp /tmp/a /tmp/b && echo same
      wc -l < /tmp/b`);
    t.equal(out, 'same\n20\n');
    t.equal(await readFile(join(layers.upper, 'tree-copy/d3/f7.txt'), 'utf8'), 'tree file 7\n'.repeat(351));
  });

  t.test('rm -rf of a 2,000-entry lower directory with some entries copied up', async (t) => {
    const out = await sh(`cd /mnt/big-dir
      echo changed > entry-5
      echo new > extra-1
      chmod 600 entry-1500
      ls | wc -l
      cd /mnt && rm -rf big-dir && echo removed
      [ -e big-dir ] || echo gone`);
    t.equal(out, '2001\nremoved\ngone\n');
  });

  t.test('df asks FSSTAT', async (t) => {
    const out = await sh('df -k /mnt | tail -1');
    const [, total, used, available] = out.trim().split(/\s+/);
    t.ok(Number(total) > 0 && Number(available) >= 0 && Number(used) >= 0, `df: ${out.trim()}`);
  });

  t.test('the client logged no NFS complaints; the lower is unchanged', async (t) => {
    const log = await sh('dmesg | grep -iE "nfs|rpc" | grep -ivE "registered|fs-cache|installing" || true');
    t.notMatch(log, /fileid changed|readdir loop|stale|not responding|error/i, log || 'no NFS messages');
    t.same(await treeSnapshot(lower), lowerBefore);
  });
});

endWithTheTests(t);
