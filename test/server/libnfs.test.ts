/**
 * The second, independent client: libnfs (Debian's libnfs-utils: nfs-ls, nfs-cat, nfs-cp) lists,
 * reads and writes a merged export, so the server is checked against an NFS client that shares
 * no code with ours. Without the tools the tests skip, unless FALLTHRU_GUEST_REQUIRED=1.
 * Then MOUNT EXPORT with our client, and `showmount -e` (plus libnfs finding the services through
 * the portmapper) against the built-in portmapper inside private namespaces.
 */

import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MountProc } from '../../protocol/mount3/constants.js';
import type { Exportnode } from '../../protocol/mount3/codec.js';
import { Createmode3, Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import { missingTools, netnsUnavailableReason, runScenario, runTool, type ToolResult } from '../lib/portmap-netns.js';
import { lookupPath } from './lib/nfs-calls.js';
import { NfsTestClient } from './lib/nfs-client.js';
import { startFixture } from './lib/server-fixture.js';
import { snapshotTrees } from './lib/tree-snapshot.js';

const required = process.env.FALLTHRU_GUEST_REQUIRED === '1';
const missing = missingTools(['nfs-ls', 'nfs-cat', 'nfs-cp']);
if (missing && required) t.fail(`FALLTHRU_GUEST_REQUIRED=1 but libnfs-utils is missing (${missing})`);
const skip = missing ? `libnfs-utils ${missing} (apt-get install libnfs-utils)` : false;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Two lowers, so the directory under test is merged from three layers:
//   top lower    dir/a.txt "top a"   dir/b.txt
//   bottom lower dir/a.txt "bottom a" (hidden)  dir/c.txt  dir/d.txt
//   upper (via NFS before libnfs looks)  b.txt removed (whiteout), c.txt written (copy-up), e.txt new
const layers = await mkdtemp(join(tmpdir(), 'fallthru-libnfs-'));
t.teardown(() => rm(layers, { recursive: true, force: true }));
const top = join(layers, 'top');
const bottom = join(layers, 'bottom');
await mkdir(join(top, 'dir'), { recursive: true });
await mkdir(join(bottom, 'dir'), { recursive: true });
await writeFile(join(top, 'dir/a.txt'), 'top a\n');
await writeFile(join(top, 'dir/b.txt'), 'top b\n');
await writeFile(join(bottom, 'dir/a.txt'), 'bottom a\n');
await writeFile(join(bottom, 'dir/c.txt'), 'bottom c\n');
await writeFile(join(bottom, 'dir/d.txt'), 'bottom d\n');
await writeFile(join(bottom, 'readme.txt'), 'readme\n');

const fx = await startFixture({
  export: {
    lowers: [top, bottom],
    allow: [
      { spec: '127.0.0.1/32', address: '127.0.0.1', prefixLength: 32 },
      { spec: '10.20.0.0/16', address: '10.20.0.0', prefixLength: 16 },
    ],
  },
  moreExports: [{ path: '/other', readOnly: true }],
});
t.teardown(() => fx.close());
const client = await NfsTestClient.connect({ nfsPort: fx.server.nfsPort, mountPort: fx.server.mountPort });
t.teardown(() => client.close());
const root = await client.mount('/union');
const dir = await lookupPath(client, root, 'dir');
const rm1 = await client.call(Nfs3Proc.REMOVE, { object: { dir, name: 'b.txt' } });
const c = await lookupPath(client, dir, 'c.txt');
const w1 = await client.call(Nfs3Proc.WRITE, { file: c, offset: 0n, count: 5, stable: StableHow.FILE_SYNC, data: Buffer.from('upper') });
const cr1 = await client.call(Nfs3Proc.CREATE, { where: { dir, name: 'e.txt' }, how: { mode: Createmode3.GUARDED, objAttributes: { mode: 0o644 } } });
if (rm1.status !== Nfsstat3.NFS3_OK || w1.status !== Nfsstat3.NFS3_OK || cr1.status !== Nfsstat3.NFS3_OK) throw new Error('could not prepare the upper');

const url = (path: string) => `nfs://127.0.0.1/union${path}?version=3&nfsport=${fx.server.nfsPort}&mountport=${fx.server.mountPort}`;

async function run(t: Test, cmd: string, args: string[]): Promise<ToolResult> {
  const r = await runTool(cmd, args);
  t.equal(r.code, 0, `${cmd} ${args.map((a) => a.replace(/\?.*/, '')).join(' ')} exits 0${r.code ? ` (stderr: ${r.stderr.trim()})` : ''}`);
  return r;
}

/** Names from nfs-ls output (the last column; our fixture's names have no spaces). */
const lsNames = (out: string) =>
  out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter(Boolean);

t.test('libnfs lists, reads and writes the merged export', { skip }, async (t) => {
  const lowersBefore = await snapshotTrees([top, bottom]);

  const ls = await run(t, 'nfs-ls', [url('/dir')]);
  const names = lsNames(ls.stdout);
  t.same([...names].sort(), ['a.txt', 'c.txt', 'd.txt', 'e.txt'], 'nfs-ls of the merged directory: every name once, the removed one gone');
  t.notOk(names.some((n) => n.startsWith('.wh.')), 'no whiteout names');
  const rootLs = lsNames((await run(t, 'nfs-ls', [url('')])).stdout);
  t.same([...rootLs].sort(), ['dir', 'readme.txt'], 'nfs-ls of the export root');

  t.equal((await run(t, 'nfs-cat', [url('/dir/a.txt')])).stdout, 'top a\n', 'nfs-cat: the top lower hides the bottom one');
  t.equal((await run(t, 'nfs-cat', [url('/dir/d.txt')])).stdout, 'bottom d\n', 'nfs-cat: a bottom lower file');
  t.equal((await run(t, 'nfs-cat', [url('/dir/c.txt')])).stdout, 'upperm c\n', 'nfs-cat: a copied-up file shows the write');
  t.equal((await run(t, 'nfs-cat', [url('/readme.txt')])).stdout, 'readme\n', 'nfs-cat at the export root');
  const gone = await runTool('nfs-cat', [url('/dir/b.txt')]);
  t.not(gone.code, 0, 'nfs-cat of the removed file fails');

  // 5 MiB of random data in, then out again.
  const local = await mkdtemp(join(tmpdir(), 'fallthru-libnfs-local-'));
  t.teardown(() => rm(local, { recursive: true, force: true }));
  const data = randomBytes(5 * 1024 * 1024);
  await writeFile(join(local, 'big.bin'), data);
  await run(t, 'nfs-cp', [join(local, 'big.bin'), url('/dir/big.bin')]);
  t.equal(sha256(await readFile(join(fx.upper, 'dir/big.bin'))), sha256(data), 'nfs-cp in: the upper holds the same bytes');
  await run(t, 'nfs-cp', [url('/dir/big.bin'), join(local, 'back.bin')]);
  t.equal(sha256(await readFile(join(local, 'back.bin'))), sha256(data), 'nfs-cp out: the same bytes come back');
  const after = lsNames((await run(t, 'nfs-ls', [url('/dir')])).stdout);
  t.same([...after].sort(), ['a.txt', 'big.bin', 'c.txt', 'd.txt', 'e.txt'], 'nfs-ls shows the copied file, once');
  const big = (await run(t, 'nfs-ls', [url('/dir')])).stdout.split('\n').find((l) => l.endsWith(' big.bin'));
  t.match(big ?? '', /\s5242880\s/, 'with its size');

  // Onto an existing lower file: nfs-cp creates GUARDED, so EXIST (as from knfsd), and nothing moves.
  await writeFile(join(local, 'new-d.txt'), 'replaced d\n');
  const over = await runTool('nfs-cp', [join(local, 'new-d.txt'), url('/dir/d.txt')]);
  t.not(over.code, 0, 'nfs-cp onto an existing name fails');
  t.match(over.stderr, /NFS3ERR_EXIST/, 'with EXIST');
  t.equal((await run(t, 'nfs-cat', [url('/dir/d.txt')])).stdout, 'bottom d\n', 'the lower file still shows');
  t.same(await snapshotTrees([top, bottom]), lowersBefore, 'the lowers are untouched');

  // Through our client too: libnfs's writes are visible to another client.
  const bigFh = await lookupPath(client, dir, 'big.bin');
  const r = await client.call(Nfs3Proc.READ, { file: bigFh, offset: 1024n, count: 4096 });
  t.ok(r.status === Nfsstat3.NFS3_OK && r.data.equals(data.subarray(1024, 1024 + 4096)), 'our client reads what libnfs wrote');
});

t.test('libnfs against a read-only export and an unknown path', { skip }, async (t) => {
  const otherUrl = (p: string) => `nfs://127.0.0.1/other${p}?version=3&nfsport=${fx.server.nfsPort}&mountport=${fx.server.mountPort}`;
  t.equal((await run(t, 'nfs-ls', [otherUrl('')])).stdout.trim(), '', 'nfs-ls of the empty read-only export');
  const local = await mkdtemp(join(tmpdir(), 'fallthru-libnfs-ro-'));
  t.teardown(() => rm(local, { recursive: true, force: true }));
  await writeFile(join(local, 'f'), 'x');
  const cp = await runTool('nfs-cp', [join(local, 'f'), otherUrl('/f')]);
  t.not(cp.code, 0, 'nfs-cp into a read-only export fails');
  const none = await runTool('nfs-ls', [`nfs://127.0.0.1/nowhere?version=3&nfsport=${fx.server.nfsPort}&mountport=${fx.server.mountPort}`]);
  t.not(none.code, 0, 'nfs-ls of a path that is no export fails');
});

t.test('MOUNT EXPORT lists every export with its allow rules', async (t) => {
  const list = (await client.mountCall(MountProc.EXPORT, undefined)) as Exportnode[];
  t.same(list, [
    { dir: '/union', groups: ['127.0.0.1/32', '10.20.0.0/16'] },
    { dir: '/other', groups: [] },
  ]);
});

const scenario = fileURLToPath(new URL('./lib/showmount-scenario.js', import.meta.url));
const netnsSkip = netnsUnavailableReason() ?? missingTools(['showmount', 'nfs-ls', 'ip']);

t.test('showmount -e and libnfs through the built-in portmapper (private network namespace)', { skip: netnsSkip ?? false }, async (t) => {
  const r = await runScenario<{ portmapMode: string; showmount: ToolResult; nfsLs: ToolResult }>(scenario);
  t.equal(r.portmapMode, 'builtin');
  t.equal(r.showmount.code, 0, `showmount exits 0 (stderr: ${r.showmount.stderr.trim()})`);
  t.match(r.showmount.stdout, /^Export list for 127\.0\.0\.1:$/m);
  t.match(r.showmount.stdout, /^\/union\s+127\.0\.0\.1\/32,10\.20\.0\.0\/16$/m, '/union with its rules');
  t.match(r.showmount.stdout, /^\/other\s+\(everyone\)$/m, '/other open to everyone');
  t.equal(r.nfsLs.code, 0, `nfs-ls without ports exits 0 (stderr: ${r.nfsLs.stderr.trim()})`);
  t.match(r.nfsLs.stdout, /found-by-portmap\.txt/, 'libnfs found NFS and MOUNT through the portmapper');
});
