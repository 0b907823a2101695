/**
 * How a Linux client finds the server: through our built-in portmapper on port 111, with the plain
 * `mount -t nfs -o vers=3,nolock 10.0.2.2:/union /mnt` a user types, and without any portmapper
 * using the explicit `port=,mountport=,mountproto=tcp` options (what nfsMountCommand builds).
 *
 * Findings (Debian 6.1 kernel, busybox mount, no mount.nfs in the guest):
 *   - `addr=` is not needed: the kernel parses the numeric host itself.
 *   - `mountproto=tcp` is not needed: with proto=tcp (the default) the kernel asks the portmapper
 *     and calls MOUNT over TCP. `mountproto=udp` works too (portmapper and MOUNT over UDP), as
 *     does `mountvers=1`.
 *   - `nolock` is needed, but only because the guest has no rpcbind of its own: without it the
 *     kernel's lockd cannot register locally and the mount fails with "Connection refused".
 *   - `proto=udp` fails with EINVAL: Debian's kernel is built without NFS over UDP.
 *
 * This is the ONE guest test that binds the real port 111 on the host's 127.0.0.1 (the guest's
 * 10.0.2.2). The guest cannot be pointed at a private network namespace, so if another process
 * holds 111 the test fails with a message saying so; CI runs the suite on a clean machine.
 */

import t from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, LogFields } from '../../protocol/rpc/index.js';
import { startServer, type RunningServer } from '../../server/serve.js';
import { bootGuest, nfsMountCommand, skipUnlessGuestsCanRun, endWithTheTests } from '../lib/guest/guest.js';
import { exportOf, makeLayers, removeLayers, serverConfigOf } from './lib/layers.js';

const unavailable = skipUnlessGuestsCanRun();
const PORTMAP_PROGRAM = 100000;
const PLAIN_MOUNT = 'mkdir -p /mnt && mount -t nfs -o vers=3,nolock 10.0.2.2:/union /mnt';

/** Keeps the dispatcher's `call` traces: which programs and procedures were called. */
function callRecorder(): { logger: Logger; calls: { program: number; procedure: string }[] } {
  const calls: { program: number; procedure: string }[] = [];
  const logger: Logger = {
    log(level, msg, fields?: LogFields) {
      if (level === 'trace' && msg === 'call') calls.push({ program: Number(fields?.program), procedure: String(fields?.procedure) });
      else if (level === 'warn' || level === 'error') process.stderr.write(`server ${level}: ${msg} ${JSON.stringify(fields ?? {}, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`);
    },
  };
  return { logger, calls };
}

t.test('mounting through the built-in portmapper and with explicit ports', { skip: unavailable }, async (t) => {
  const layers = await makeLayers({ prefix: 'fallthru-portmap-mount-' });
  t.teardown(() => removeLayers(layers));
  await mkdir(join(layers.lowers[0], 'dir'));
  await writeFile(join(layers.lowers[0], 'dir/hello.txt'), 'hello through the portmapper\n');

  // The dispatchers read FALLTHRU_TRACE when they are built: trace the RPC calls of this server.
  const previousTrace = process.env.FALLTHRU_TRACE;
  process.env.FALLTHRU_TRACE = 'rpc';
  const recorder = callRecorder();
  let server: RunningServer;
  try {
    server = await startServer(serverConfigOf([exportOf('/union', layers)], { portmap: 'builtin', portmapPort: 111 }), { logger: recorder.logger });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    t.fail(
      `cannot serve the portmapper on 127.0.0.1:111 (${why}). This test needs port 111 on the host's loopback ` +
        'to itself (the guest reaches the host only there): stop whatever holds it, or run this test alone on a clean machine.',
    );
    return;
  } finally {
    if (previousTrace === undefined) delete process.env.FALLTHRU_TRACE;
    else process.env.FALLTHRU_TRACE = previousTrace;
  }
  t.teardown(() => server.close());
  t.equal(server.portmapMode, 'builtin');
  t.equal(server.mountCommand(), 'mount -t nfs -o vers=3,nolock 127.0.0.1:/union /mnt', 'the mount command we print is the plain one');

  const guest = await bootGuest({ name: 'portmap' });
  t.teardown(() => guest.shutdown());
  const sh = async (script: string): Promise<string> => (await guest.run(`set -e\n${script}`, { check: true, timeoutMs: 60_000 })).stdout;

  t.test('plain mount: the kernel asks the portmapper for MOUNT and NFS', async (t) => {
    const out = await sh(`${PLAIN_MOUNT}
      grep ' /mnt nfs ' /proc/mounts
      cat /mnt/dir/hello.txt
      echo written > /mnt/dir/new.txt
      umount /mnt`);
    const [mountLine, hello] = out.split('\n');
    t.match(mountLine, /vers=3,.*mountproto=tcp/, 'MOUNT went over TCP without being told to');
    t.notMatch(mountLine, /[,\s]port=|mountport=/, 'no ports given: the kernel looked them up');
    t.equal(hello, 'hello through the portmapper');
    t.equal(await readFile(join(layers.upper, 'dir/new.txt'), 'utf8'), 'written\n');
    const portmapCalls = recorder.calls.filter((c) => c.program === PORTMAP_PROGRAM).map((c) => c.procedure);
    t.ok(portmapCalls.length >= 2, `the portmapper was asked: ${portmapCalls.join(', ')}`);
    t.ok(recorder.calls.some((c) => c.program === 100005), 'then MOUNT was called');
    t.ok(recorder.calls.some((c) => c.program === 100003), 'then NFS was called');
  });

  t.test('plain mount with mountproto=udp: portmapper and MOUNT over UDP', async (t) => {
    const out = await sh(`mount -t nfs -o vers=3,nolock,mountproto=udp 10.0.2.2:/union /mnt
      grep ' /mnt nfs ' /proc/mounts
      cat /mnt/dir/new.txt
      umount /mnt`);
    t.match(out, /mountproto=udp.*\nwritten\n$/s);
  });

  t.test('without the nolock option the mount fails in the guest, not at the server', async (t) => {
    const r = await guest.run('mount -t nfs -o vers=3 10.0.2.2:/union /mnt; dmesg | grep -c "lockd_up"', { timeoutMs: 60_000 });
    t.match(r.stderr, /Connection refused/);
    t.not(r.stdout.trim(), '0', 'the kernel says lockd could not start (no rpcbind in the guest)');
  });

  t.test('portmap none: explicit port=, mountport=, mountproto=tcp', async (t) => {
    // Its own layers: two servers must never open one work directory at once.
    const other = await makeLayers({ prefix: 'fallthru-portmap-none-' });
    t.teardown(() => removeLayers(other));
    await writeFile(join(other.lowers[0], 'hello.txt'), 'hello with explicit ports\n');
    const plain = await startServer(serverConfigOf([exportOf('/union', other)]));
    t.teardown(() => plain.close());
    t.equal(plain.portmapMode, 'none');
    const out = await sh(`${nfsMountCommand({ port: plain.nfsPort, mountPort: plain.mountPort, exportPath: '/union' })}
      grep ' /mnt nfs ' /proc/mounts
      cat /mnt/hello.txt
      echo explicit > /mnt/new.txt
      umount /mnt`);
    t.match(out, new RegExp(`port=${plain.nfsPort},.*mountport=${plain.mountPort},mountproto=tcp`));
    t.match(out, /\nhello with explicit ports\n$/);
    t.equal(await readFile(join(other.upper, 'new.txt'), 'utf8'), 'explicit\n');
  });
});

endWithTheTests(t);
