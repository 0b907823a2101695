/**
 * The built `fallthru serve` end to end: it starts, prints the mount command with the ports it
 * bound, answers MOUNT and NFS, and exits 0 on SIGTERM with the union closed. A second server on
 * a busy port fails with one line naming the flag.
 */

import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Nfs3Proc, Nfsstat3 } from '../../protocol/nfs3/index.js';
import { NfsTestClient } from './lib/nfs-client.js';

const CLI = resolve(fileURLToPath(import.meta.url), '../../../server/cli.js');

const root = await mkdtemp(join(tmpdir(), 'fallthru-cli-serve-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const [lower, upper, work] = ['lower', 'upper', 'work'].map((d) => join(root, d));
await Promise.all([mkdir(lower), mkdir(upper), mkdir(work)]);
await writeFile(join(lower, 'hello.txt'), 'hello\n');

function serve(extra: string[], dirs = { upper, work }) {
  const child = spawn(process.execPath, [CLI, 'serve', '--lower', lower, '--upper', dirs.upper, '--work', dirs.work, '--portmap', 'none', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const ready = new Promise<{ nfsPort: number; mountPort: number }>((res, rej) => {
    child.stdout.on('data', () => {
      const m = /port=(\d+),mountport=(\d+)/.exec(stdout);
      if (m) res({ nfsPort: Number(m[1]), mountPort: Number(m[2]) });
    });
    void exited.then((code) => rej(new Error(`exited ${code}: ${stderr}`)));
  });
  ready.catch(() => undefined); // a test that expects the exit awaits `exited` instead
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

t.test('serves, then exits 0 on SIGTERM', async (t) => {
  const s = serve(['--nfs-port', '0', '--mount-port', '0']);
  const ports = await s.ready;
  t.match(s.output().stdout, /mount -t nfs -o vers=3,proto=tcp,port=\d+,mountport=\d+,mountproto=tcp,nolock 127\.0\.0\.1:\/union \/mnt/);
  const c = await NfsTestClient.connect(ports);
  const rootFh = await c.mount('/union');
  const r = await c.call(Nfs3Proc.LOOKUP, { dir: rootFh, name: 'hello.txt' });
  t.equal(r.status, Nfsstat3.NFS3_OK);

  const sameUnion = serve(['--nfs-port', '0', '--mount-port', '0']);
  t.equal(await sameUnion.exited, 1, 'a second server over the same union is refused');
  t.match(sameUnion.output().stderr.trim().split('\n').at(-1), /^fallthru: export \/union: .*in use by another fallthru process/);

  const other = { upper: join(root, 'upper2'), work: join(root, 'work2') };
  await Promise.all([mkdir(other.upper), mkdir(other.work)]);
  const busy = serve(['--nfs-port', String(ports.nfsPort), '--mount-port', '0'], other);
  t.equal(await busy.exited, 1, 'a busy port is a runtime failure');
  t.match(busy.output().stderr.trim().split('\n').at(-1), /^fallthru: --nfs-port \d+: .*already in use/);

  c.close();
  s.child.kill('SIGTERM');
  t.equal(await s.exited, 0);
  t.match(s.output().stderr, /fallthru: stopped/);
});
