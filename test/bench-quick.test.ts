/**
 * `npm run bench -- --quick` runs every suite at small sizes, so the benchmark harness (the
 * libnfs load generator, ganesha in a namespace, the union-core and protocol suites) never rots.
 * Results go to a temporary directory, not over the committed ones. Numbers are not asserted:
 * speed goals are judged from full runs, never in tests.
 */

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN = resolve(fileURLToPath(import.meta.url), '../../bench/run.js');

t.test('every bench suite runs in quick mode', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'fallthru-bench-quick-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [RUN, '--quick'], {
    env: { ...process.env, FALLTHRU_BENCH_RESULTS: out },
    encoding: 'utf8',
    timeout: 600_000,
  });
  t.equal(r.status, 0, `bench --quick exits 0\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  const written = readdirSync(out);
  t.ok(written.includes('protocol.md'), 'protocol results written');
  t.ok(written.includes('union-core.md'), 'union-core results written');
  t.ok(written.includes('e2e.md'), 'e2e results written');
});
