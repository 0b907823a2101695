/**
 * One process per work directory: a second open of a union in use fails at once with a clear
 * error and changes nothing; after close (or the holder's death) it opens again.
 */

import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Union } from '../../union-core/index.js';

const root = await mkdtemp(join(tmpdir(), 'fallthru-lock-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const opts = { lowers: [join(root, 'lower')], upper: join(root, 'upper'), work: join(root, 'work') };
await Promise.all([mkdir(opts.lowers[0]), mkdir(opts.upper), mkdir(opts.work)]);

t.test('a second open in this process is refused until the first closes', async (t) => {
  const first = await Union.open(opts);
  await writeFile(join(opts.work, 'tmp', 'in-flight'), 'being built');
  await t.rejects(Union.open(opts), /in use by another fallthru process/);
  t.same(await readdir(join(opts.work, 'tmp')), ['in-flight'], 'the refused open did not empty work/tmp');
  await first.close();
  const again = await Union.open(opts);
  await again.close();
});

t.test('a killed holder leaves no stale lock', async (t) => {
  const unionJs = resolve(fileURLToPath(import.meta.url), '../../../union-core/index.js');
  const script = `import { Union } from ${JSON.stringify(unionJs)};
    await Union.open(${JSON.stringify(opts)}); process.stdout.write('open\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => child.stdout.once('data', () => res()));
  await t.rejects(Union.open(opts), /in use/);
  child.kill('SIGKILL');
  await new Promise((res) => child.once('exit', res));
  const u = await Union.open(opts);
  await u.close();
});
