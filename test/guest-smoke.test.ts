/**
 * Smoke test of the guest harness (test/lib/guest): the image builds and caches, a guest boots
 * with the NFS client loaded, runs scripts reliably, reaches the host's loopback, and the kernel's
 * NFS mount path works without any userspace helper. Timings are printed as TAP comments.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ChannelParser, encodeRunRequest } from './lib/guest/channel.js';
import {
  bootGuest,
  ensureGuestImage,
  GuestTimeoutError,
  skipUnlessGuestsCanRun,
  endWithTheTests,
  HOST_ADDRESS_FROM_GUEST,
  shellQuote,
} from './lib/guest/guest.js';
import { findKernel } from './lib/guest/kernel.js';
import { resolveModuleLoadOrder } from './lib/guest/modules.js';
import { nfsMountCommand } from './lib/guest/nfs-mount.js';
import { startStubNfsServer } from './lib/guest/stub-nfs-server.js';

const unavailable = skipUnlessGuestsCanRun();

/**
 * Each group of guest tests takes well under a minute here; a hang fails its own group at this
 * limit (the others still run) instead of the whole file at tap's file timeout.
 */
const GROUP_LIMIT_MS = 300_000;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('channel protocol (no guest needed)', async (t) => {
  const parser = new ChannelParser();
  t.same(parser.push('noise\n@@guest-ready\n'), [{ kind: 'ready', problems: [] }]);
  t.same(parser.push('@@guest-ready insmod:nfs eth0\n'), [{ kind: 'ready', problems: ['insmod:nfs', 'eth0'] }]);
  const out = Buffer.from('@@guest-end c1 0\n\u00e9\n').toString('base64');
  const frame = `@@guest-begin c1\n${out.slice(0, 5)}\n${out.slice(5)}\n@@guest-stderr c1\n\n@@guest-end c1 7\n`;
  // Fed one byte at a time: chunk boundaries must not matter.
  const events = [...frame].flatMap((ch) => parser.push(ch));
  t.equal(events.length, 1);
  const event = events[0]!;
  t.equal(event.kind, 'result');
  if (event.kind === 'result') {
    t.equal(event.result.code, 7);
    t.equal(event.result.stdout.toString(), '@@guest-end c1 0\n\u00e9\n', 'a marker inside output cannot end the frame');
    t.equal(event.result.stderr.length, 0);
  }
  t.match(encodeRunRequest('c9', 0.2, 'echo hi'), /^run c9 1 13\nZWNobyBoaQ==\n$/, 'timeouts round up to whole seconds');
  t.throws(() => encodeRunRequest('c 9', 1, ''), /bad command id/);
  t.equal(
    nfsMountCommand({ port: 2049 }),
    'mkdir -p /mnt && mount -t nfs -o addr=10.0.2.2,vers=3,proto=tcp,port=2049,mountport=2049,mountproto=tcp,nolock 10.0.2.2:/ /mnt',
  );
});

t.test('module load order comes from modules.dep', { skip: unavailable }, async (t) => {
  const order = resolveModuleLoadOrder(findKernel()!.modulesDir).map((m) => m.name);
  for (const [before, after] of [
    ['sunrpc', 'nfs'],
    ['lockd', 'nfs'],
    ['nfs', 'nfsv3'],
    ['virtio', 'virtio_net'],
    ['virtio_ring', 'virtio_pci'],
  ] as const) {
    t.ok(order.indexOf(before) >= 0 && order.indexOf(before) < order.indexOf(after), `${before} loads before ${after}`);
  }
  t.equal(order.at(-1), 'nfsv3');
});

t.test('image builds, then comes from the cache', { skip: unavailable }, async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'fallthru-guest-cache-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  let started = performance.now();
  const first = ensureGuestImage(scratch);
  const firstMs = performance.now() - started;
  started = performance.now();
  const second = ensureGuestImage(scratch);
  const cachedMs = performance.now() - started;
  t.notOk(first.cached, 'first build builds');
  t.ok(second.cached, 'second build is a cache hit');
  t.equal(second.initramfsPath, first.initramfsPath);
  t.comment(`image build: ${Math.round(firstMs)} ms cold, ${Math.round(cachedMs)} ms cached`);
});

t.test('a guest', { skip: unavailable, timeout: GROUP_LIMIT_MS }, async (t) => {
  const guest = await bootGuest({ hostForwards: [{ guestPort: 7000 }] });
  t.teardown(() => guest.shutdown());
  t.comment(`boot to ready: ${Math.round(guest.bootMs)} ms`);

  t.test('has the NFS client loaded', async (t) => {
    const { code, stdout } = await guest.run('grep -w nfs /proc/filesystems && lsmod');
    t.equal(code, 0);
    t.match(stdout, /\tnfs\n/);
    t.match(stdout, /^nfsv3 /m);
    t.match(stdout, /^virtio_net /m);
  });

  t.test('runs scripts: output, stderr, exit status', async (t) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await guest.run('echo hi');
      t.same([result.code, result.stdout, result.stderr], [0, 'hi\n', '']);
      times.push(result.durationMs);
    }
    t.comment(`run('echo hi') round trip: ${times.map((ms) => Math.round(ms)).join(', ')} ms`);

    const mixed = await guest.run('echo "@@guest-end c1 0"; echo oops >&2; seq 3 | wc -l; exit 3');
    t.same([mixed.code, mixed.stdout, mixed.stderr], [3, '@@guest-end c1 0\n3\n', 'oops\n']);

    // Several kilobytes of output with every byte value survive the serial line.
    const big = await guest.run('seq 1 20000 | md5sum; seq 1 20000 | wc -c');
    const [sum, bytes] = big.stdout.trim().split('\n');
    t.match(sum, /^[0-9a-f]{32}\s+-$/);
    t.equal(bytes, '108894');
    const wide = await guest.run('seq 1 20000');
    t.equal(wide.stdout.length, 108894, 'large stdout arrives intact');

    await t.rejects(guest.run('exit 4', { check: true }), /exited 4/, 'check: true rejects on failure');
    const awkward = "it's a \"name\" with $HOME, `x` and spaces";
    const quoted = await guest.run(`printf '%s' ${shellQuote(awkward)}`);
    t.equal(quoted.stdout, awkward, 'shellQuote survives the guest shell');
    const applets = 'sh ls cat cp mv rm ln mkdir dd md5sum sha256sum stat touch chmod chown mount umount sync find sleep head tail wc seq nc';
    const missing = await guest.run(`for a in ${applets}; do command -v $a >/dev/null || echo $a; done`);
    t.equal(missing.stdout, '', 'scenario applets are present');
  });

  t.test('a script that overruns its time limit is killed, and the guest stays usable', async (t) => {
    const started = performance.now();
    const error = await guest.run('echo started; sleep 300 & sleep 300', { timeoutMs: 1500 }).catch((e: unknown) => e);
    t.type(error, GuestTimeoutError);
    t.equal((error as GuestTimeoutError).stdout, 'started\n');
    t.ok(performance.now() - started < 10_000, 'timed out promptly');
    const after = await guest.run('ps | grep -c "[s]leep 300"');
    t.equal(after.stdout.trim(), '0', 'background jobs of the killed script are gone');
  });

  t.test('reaches the host loopback at 10.0.2.2', async (t) => {
    let received = '';
    let peer = { address: '', port: 0 };
    const server = createServer((socket) => {
      socket.once('data', (data) => {
        received = data.toString();
        peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
        socket.end('pong-from-host\n');
      });
    });
    const port = await listen(server);
    t.teardown(() => server.close());
    const result = await guest.run(`echo ping-from-guest | nc -w 10 ${HOST_ADDRESS_FROM_GUEST} ${port}`);
    t.equal(result.stdout, 'pong-from-host\n', 'the guest got the host\'s line');
    t.equal(received, 'ping-from-guest\n', 'the host got the guest\'s line');
    t.equal(peer.address, '127.0.0.1', 'guest traffic arrives from loopback');
    t.ok(peer.port >= 1024, 'guest source ports arrive unprivileged');
  });

  t.test('host forwards reach a listener in the guest', async (t) => {
    await guest.run('(echo from-guest | nc -l -p 7000) > /dev/null 2>&1 &', { check: true });
    const line = await readLineWithRetry(guest.forwardedPort(7000));
    t.equal(line, 'from-guest\n');
  });

  t.test('NFS mount against a closed port fails fast with ECONNREFUSED', async (t) => {
    const port = await closedPort();
    const result = await guest.run(nfsMountCommand({ port, exportPath: '/x' }), { timeoutMs: 30_000 });
    t.not(result.code, 0);
    t.match(result.stderr, /Connection refused/);
    t.ok(result.durationMs < 15_000, `failed in ${Math.round(result.durationMs)} ms`);
  });

  t.test('NFS mount speaks ONC RPC to the host: MOUNT v3 over TCP arrives', async (t) => {
    // A stand-in server that answers every call with PROG_UNAVAIL and records what it saw.
    const calls: { program: number; version: number; procedure: number; sourcePort: number }[] = [];
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', (record: Buffer) => {
        // Record marker (4), xid, msg_type, rpcvers, prog, vers, proc.
        calls.push({
          program: record.readUInt32BE(16),
          version: record.readUInt32BE(20),
          procedure: record.readUInt32BE(24),
          sourcePort: socket.remotePort ?? 0,
        });
        socket.write(progUnavailableReply(record.readUInt32BE(4)));
      });
    });
    const port = await listen(server);
    t.teardown(() => server.close());
    const result = await guest.run(nfsMountCommand({ port, exportPath: '/x' }), { timeoutMs: 30_000 });
    t.not(result.code, 0);
    t.match(result.stderr, /mount: mounting 10\.0\.2\.2:\/x on \/mnt failed/);
    t.ok(calls.length > 0, 'the kernel called the host');
    t.same(
      { program: calls[0]?.program, version: calls[0]?.version },
      { program: 100005, version: 3 },
      'first call is to MOUNT v3',
    );
    t.comment(`kernel's first RPC: ${JSON.stringify(calls[0])}; mount said: ${result.stderr.trim()}`);
  });

  t.test('the documented mount invocation mounts (against a stub server) and lists', async (t) => {
    const stub = await startStubNfsServer();
    t.teardown(() => stub.close());
    const result = await guest.run(
      `${nfsMountCommand({ port: stub.port, exportPath: '/x', extraOptions: ['lookupcache=positive'] })}
       grep ' /mnt nfs ' /proc/mounts
       ls -la /mnt && df /mnt | tail -1
       umount /mnt && echo unmounted`,
      { timeoutMs: 60_000, check: true },
    );
    t.match(result.stdout, /^10\.0\.2\.2:\/x \/mnt nfs rw,.*vers=3,.*nolock,proto=tcp,port=\d+,.*lookupcache=pos/m);
    t.match(result.stdout, /unmounted\n$/);
    const sequence = stub.calls.map((c) => `${c.program}/${c.version}/${c.procedure}`);
    t.same(sequence.slice(0, 2), ['100005/3/0', '100005/3/1'], 'MOUNT NULL, then MNT');
    t.ok(sequence.includes('100227/3/0'), 'the client probes NFSACL (and copes with PROG_UNAVAIL)');
    t.ok(stub.calls.every((c) => c.sourcePort >= 1024), 'all calls from unprivileged ports');
    t.comment(`client calls (program/version/procedure): ${sequence.join(' ')}`);
  });

  t.test('a script stuck on a vanished NFS server is killed at its time limit', async (t) => {
    const stub = await startStubNfsServer();
    await guest.run(nfsMountCommand({ port: stub.port, extraOptions: ['noac'] }), { check: true });
    await stub.close();
    const error = await guest.run('ls /mnt', { timeoutMs: 2000 }).catch((e: unknown) => e);
    t.type(error, GuestTimeoutError, 'the hard-mount wait is killable');
    const cleanup = await guest.run('umount -l /mnt && echo detached', { timeoutMs: 10_000 });
    t.equal(cleanup.stdout, 'detached\n', 'a lazy unmount detaches the dead mount');
  });

  t.test('several guests can run at once; kill() stops one at once', async (t) => {
    const second = await bootGuest({ name: 'second' });
    t.teardown(() => second.kill());
    const [a, b] = await Promise.all([guest.run('hostname'), second.run('hostname')]);
    t.equal(a.stdout, `${guest.name}\n`, 'guests are named');
    t.equal(b.stdout, 'second\n');
    second.kill();
    await second.waitForExit();
    t.notOk(second.alive);
    await t.rejects(second.run('true'), /not running/, 'a dead guest rejects run()');
    t.ok(guest.alive, 'the other guest is unaffected');
  });

  t.test('shutdown() powers the guest off', async (t) => {
    const started = performance.now();
    await guest.shutdown();
    t.notOk(guest.alive);
    t.comment(`shutdown: ${Math.round(performance.now() - started)} ms`);
  });
});

t.test('qemu dying fails boot and commands promptly', { skip: unavailable, timeout: GROUP_LIMIT_MS }, async (t) => {
  t.test('boot rejects when qemu exits before the guest is ready, with the console tail', async (t) => {
    // No init in the initramfs: the kernel panics and (panic=-1, -no-reboot) qemu exits.
    const started = performance.now();
    const error = await bootGuest({ name: 'panics', cmdline: 'rdinit=/nonexistent' }).catch((e: unknown) => e);
    const ms = performance.now() - started;
    t.type(error, Error);
    t.match((error as Error).message, /qemu has exited/);
    t.match((error as Error).message, /Kernel panic/, 'the message carries the panic from the console');
    t.ok(ms < 60_000, `rejected after ${Math.round(ms)} ms, well before the boot time limit`);
  });

  t.test('run rejects when qemu exits mid-command; later runs reject at once', async (t) => {
    const guest = await bootGuest({ name: 'dies' });
    t.teardown(() => guest.kill());
    const started = performance.now();
    const pending = guest.run('sleep 300', { timeoutMs: 600_000 });
    setTimeout(() => process.kill(guest.pid!, 'SIGKILL'), 500);
    await t.rejects(pending, /waiting for command c1: qemu has exited \(signal SIGKILL\)/);
    t.ok(performance.now() - started < 10_000, 'rejected promptly');
    await t.rejects(guest.run('true'), /not running/);
  });
});

endWithTheTests(t);

/** An accepted RPC reply (AUTH_NONE verifier) with accept_stat PROG_UNAVAIL, record-marked. */
function progUnavailableReply(xid: number): Buffer {
  const words = [xid, 1 /* REPLY */, 0 /* MSG_ACCEPTED */, 0 /* AUTH_NONE */, 0 /* verifier length */, 1 /* PROG_UNAVAIL */];
  const reply = Buffer.alloc(4 + words.length * 4);
  reply.writeUInt32BE((0x80000000 | (words.length * 4)) >>> 0, 0);
  words.forEach((word, i) => reply.writeUInt32BE(word, 4 + i * 4));
  return reply;
}

/** Connects to a forwarded port and reads one line; the guest listener may need a moment. */
async function readLineWithRetry(port: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const line = await new Promise<string>((resolve) => {
      let data = '';
      const socket = connect(port, '127.0.0.1');
      // qemu accepts at once and only then tries the guest: never wait on one attempt for long.
      socket.setTimeout(5000, () => socket.destroy());
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(''));
    });
    if (line || attempt >= 20) return line;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
