/**
 * Restart without ESTALE: the server runs in its own process and is SIGKILLed and started again
 * on the same ports, three times, while a guest keeps working in the mount:
 *   - two shells sit in deep directories (one only on the lower, one copied up) and list them
 *     every second through their working directory, i.e. through file handles taken before the
 *     kills;
 *   - a writer holds a file open (`exec 3>>log`) and appends a numbered line every second;
 *   - a loop lists a 3,000-entry lower directory after dropping the guest's caches, over and
 *     over, so kills land in the middle of READDIRPLUS sequences (cookies from before the kill);
 *   - before each kill the guest writes a file, closes it and syncs; one round kills the server in
 *     the middle of a 24 MiB copy.
 * Afterwards everything must go on with no "Stale file handle" anywhere: the waiting calls
 * complete (the mount is `hard`, the kernel default), the synced files are intact on the guest and
 * on the upper, the log holds every line exactly once, and the lower is unchanged.
 */

import t from 'tap';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootGuest, nfsMountCommand, skipUnlessGuestsCanRun, endWithTheTests } from '../lib/guest/guest.js';
import { ServerProcess } from '../lib/server-process.js';
import { exportOf, makeLayers, md5File, removeLayers, serverConfigOf, treeSnapshot } from './lib/layers.js';

const unavailable = skipUnlessGuestsCanRun();
const KILLS = 3;
/** How long the server stays dead: long enough for the client to notice and start retrying. */
const DOWN_MS = 2000;
const STALE = /stale file handle|ESTALE/i;
const BIG_BYTES = 24 << 20;
/** Entries of the lower directory a background loop lists (cold) again and again across kills. */
const LISTED = 3000;

/** Polls until the file has at least `bytes` bytes; returns the size seen. */
async function waitForSize(path: string, bytes: number, timeoutMs = 120_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const size = await stat(path).then((s) => s.size, () => 0);
    if (size >= bytes) return size;
    if (performance.now() > deadline) throw new Error(`${path} never reached ${bytes} bytes (${size})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

t.test('SIGKILL and restart of the server: no ESTALE, synced data intact', { skip: unavailable }, async (t) => {
  const layers = await makeLayers({ prefix: 'fallthru-restart-' });
  t.teardown(() => removeLayers(layers));
  const [lower] = layers.lowers;
  await mkdir(join(lower, 'a/b/c/d'), { recursive: true });
  await mkdir(join(lower, 'x/y/z'), { recursive: true });
  await writeFile(join(lower, 'a/b/c/d/lower.txt'), 'deep in the lower\n');
  await writeFile(join(lower, 'x/y/z/only-lower.txt'), 'never copied up\n');
  await mkdir(join(lower, 'many'));
  for (let i = 0; i < LISTED; i++) await writeFile(join(lower, `many/entry-${i}`), '');
  const lowerBefore = await treeSnapshot(lower);

  const server = new ServerProcess(serverConfigOf([exportOf('/union', layers)]));
  t.teardown(() => server.stop());
  await server.start();
  const guest = await bootGuest({ name: 'restart' });
  t.teardown(() => guest.shutdown());
  const sh = async (script: string, timeoutMs = 120_000): Promise<string> => {
    const r = await guest.run(`set -e\n${script}`, { timeoutMs });
    if (STALE.test(r.stdout + r.stderr)) throw new Error(`stale file handle in the guest\n${script}\n--- stderr ---\n${r.stderr}`);
    if (r.code !== 0) throw new Error(`guest script exited ${r.code}\n${script}\n--- stderr ---\n${r.stderr}\n--- server log ---\n${server.log()}`);
    return r.stdout;
  };

  await sh(nfsMountCommand({ port: server.nfsPort, mountPort: server.mountPort, exportPath: '/union' }));
  // The probers and the writer report failures into files under /tmp (guest RAM), never to the
  // channel; each records its pid for the end of the test.
  await sh(`
    (cd /mnt/x/y/z && while :; do ls . > /dev/null 2>> /tmp/probe-lower.err || echo "ls failed $?" >> /tmp/probe-lower.err; sleep 1; done) < /dev/null > /dev/null 2>&1 &
    echo $! > /tmp/probe-lower.pid
    mkdir -p /mnt/a/b/c/d/sub
    (cd /mnt/a/b/c/d/sub && while :; do ls .. > /dev/null 2>> /tmp/probe-upper.err || echo "ls failed $?" >> /tmp/probe-upper.err; cat ../lower.txt > /dev/null 2>> /tmp/probe-upper.err; sleep 1; done) < /dev/null > /dev/null 2>&1 &
    echo $! > /tmp/probe-upper.pid
    (exec 3>> /mnt/a/b/c/d/log; i=0; while :; do i=$((i + 1)); echo "line $i" >&3 || echo "write $i failed" >> /tmp/writer.err; sleep 1; done) < /dev/null > /dev/null 2>> /tmp/writer.err &
    echo $! > /tmp/writer.pid
    (while [ ! -e /tmp/stop-lister ]; do echo 3 > /proc/sys/vm/drop_caches; ls /mnt/many 2>> /tmp/lister.err | wc -l >> /tmp/lister.counts; done) < /dev/null > /dev/null 2>&1 &
    head -c ${BIG_BYTES} /dev/urandom > /tmp/big.src
    md5sum < /tmp/big.src | cut -d' ' -f1 > /tmp/big.md5
    sleep 2`);

  for (let round = 1; round <= KILLS; round++) {
    t.test(`kill ${round} of ${KILLS}`, async (t) => {
      const content = `written and synced before kill ${round}\n`;
      await sh(`echo '${content.trim()}' > /mnt/a/b/c/d/before-${round}; sync`);
      if (round === 3) {
        // Handles whose paths changed before the kill: the lower directory holding a prober's
        // working directory is renamed (a redirect), and a file held open by a reader is removed
        // (the client renames it to .nfsXXXX, "silly rename", and keeps using its handle).
        const silly = await sh(`echo 'held open across the kill' > /mnt/a/b/c/d/held
          (exec 4< /mnt/a/b/c/d/held; while [ ! -e /tmp/go ]; do sleep 0.2; done; cat <&4 > /tmp/held.out 2> /tmp/held.err) < /dev/null > /dev/null 2>&1 &
          sleep 1
          rm /mnt/a/b/c/d/held
          mv /mnt/x /mnt/x-renamed
          ls -A /mnt/a/b/c/d | grep -c '^.nfs'`);
        t.equal(silly, '1\n', 'the client silly-renamed the open file');
      }
      let copy: Promise<unknown> | undefined;
      if (round === 2) {
        // Kill in the middle of a copy: unstable writes the dead server never committed must be
        // sent again (the write verifier changes with the restart). run() calls are queued per
        // guest, so this one runs while the host kills the server.
        copy = guest.run('cp /tmp/big.src /mnt/a/b/c/d/big && sync && echo copied', { timeoutMs: 300_000 });
        const sizeAtKill = await waitForSize(join(layers.upper, 'a/b/c/d/big'), 4 << 20);
        t.ok(sizeAtKill < BIG_BYTES, `killed mid-copy, with ${(sizeAtKill / 2 ** 20).toFixed(1)} MiB of 24 on the upper`);
      }
      const killedAt = performance.now();
      await server.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
      await server.start();
      if (copy) {
        const r = (await copy) as { code: number; stdout: string; stderr: string };
        t.same([r.code, r.stdout, r.stderr], [0, 'copied\n', ''], 'the copy survived the kill');
      }
      const out = await sh(`cd /mnt/a/b/c/d
        cat lower.txt before-${round}
        echo after > after-${round}
        cat after-${round}
        ls | grep -c .`);
      t.match(out, new RegExp(`^deep in the lower\n${content}after\n\\d+\n$`));
      if (round === 3) {
        const held = await sh(`touch /tmp/go; sleep 2; cat /tmp/held.out /tmp/held.err
          cat /mnt/x-renamed/y/z/only-lower.txt`);
        t.equal(held, 'held open across the kill\nnever copied up\n', 'the removed-but-open file and the renamed directory still work');
      }
      t.comment(`kill ${round}: the guest went on ${Math.round(performance.now() - killedAt)} ms after the kill`);
      t.equal(await readFile(join(layers.upper, `a/b/c/d/before-${round}`), 'utf8'), content, 'synced file intact on the upper');
      if (round === 2) {
        const sums = await sh(`sync; echo 3 > /proc/sys/vm/drop_caches
          cat /tmp/big.md5
          md5sum < /mnt/a/b/c/d/big | cut -d' ' -f1`);
        const [source, copied] = sums.trim().split('\n');
        t.equal(copied, source, 'the copy reads back intact');
        t.equal(await md5File(join(layers.upper, 'a/b/c/d/big')), source, 'and is intact on the upper');
      }
      // Let the writer and probers run against the new server for a while.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    });
  }

  t.test('the long-running processes went on without errors', async (t) => {
    const out = await sh(`
      kill $(cat /tmp/writer.pid) $(cat /tmp/probe-lower.pid) $(cat /tmp/probe-upper.pid)
      touch /tmp/stop-lister
      sleep 3
      sort /tmp/lister.counts | uniq -c | sed 's/^ *//' > /tmp/lister.summary
      sync
      cat /tmp/writer.err /tmp/probe-lower.err /tmp/probe-upper.err /tmp/lister.err 2> /dev/null || true
      echo ---
      echo 3 > /proc/sys/vm/drop_caches
      cd /mnt/x-renamed/y/z && cat only-lower.txt
      cd /mnt/a/b/c/d/sub && cat ../lower.txt
      echo ---
      dmesg | grep -iE 'nfs|rpc' | grep -ivE 'registered|fs-cache|installing' || true`);
    const [errors, reads, kernel] = out.split('---\n');
    t.equal(errors, '', 'no failed ls, cat or write in the background processes');
    t.equal(reads, 'never copied up\ndeep in the lower\n', 'the shells\' working directories still work');
    t.notMatch(kernel, /stale|fileid changed|readdir loop/i, `kernel log: ${kernel.trim() || '(nothing)'}`);

    const summary = (await sh('cat /tmp/lister.summary')).trim().split('\n');
    t.equal(summary.length, 1, `every cold listing across the kills had the same length: ${summary.join(', ')}`);
    const [listings, entries] = summary[0].split(' ');
    t.equal(entries, String(LISTED), `each of the ${listings} listings saw all ${LISTED} entries, once`);
    const log = await readFile(join(layers.upper, 'a/b/c/d/log'), 'utf8');
    const lines = log.split('\n').filter(Boolean);
    t.ok(lines.length >= 10, `the writer wrote ${lines.length} lines`);
    t.same(lines, lines.map((_, i) => `line ${i + 1}`), 'every appended line is there exactly once, in order');
    const guestLog = await sh('md5sum < /mnt/a/b/c/d/log | cut -d" " -f1; wc -l < /mnt/a/b/c/d/log');
    t.equal(guestLog.split('\n')[0], await md5File(join(layers.upper, 'a/b/c/d/log')), 'the guest reads the same log');
  });

  t.test('the server was restarted each time and the lower is unchanged', async (t) => {
    t.equal(server.starts, KILLS + 1);
    t.same(await treeSnapshot(lower), lowerBefore);
  });
});

endWithTheTests(t);
