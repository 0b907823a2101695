/**
 * `npm run bench`: run every suite in order, print a Markdown table per suite and write it to
 * bench/results/<suite>.md. `--quick` is a few-seconds smoke run; naming suites runs only those
 * (`node dist/bench/run.js protocol --quick`); `--name=value` options go to the suites
 * (`npm run bench -- e2e --files=20000 --rounds=3`, see bench/e2e.ts).
 *
 * New suites register themselves in SUITES below.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './lib/markdown.js';
import type { BenchSuite } from './lib/suite.js';
import { e2eSuite } from './e2e.js';
import { protocolSuite } from './protocol.js';
import { unionCoreSuite } from './union-core.js';

const SUITES: readonly BenchSuite[] = [protocolSuite, unionCoreSuite, e2eSuite];

/** bench/results in the source tree, whichever output directory this file was compiled to. */
function resultsDir(): string {
  // Tests run the quick benchmarks without overwriting the committed results.
  if (process.env.FALLTHRU_BENCH_RESULTS) return resolve(process.env.FALLTHRU_BENCH_RESULTS);
  const here = dirname(fileURLToPath(import.meta.url)); // <out>/bench
  return resolve(here, '..', '..', 'bench', 'results');
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const wanted = argv.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length) throw new Error(`unknown suite(s): ${unknown.join(', ')}; have ${SUITES.map((s) => s.name).join(', ')}`);
  const suites = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;

  const out = resultsDir();
  mkdirSync(out, { recursive: true });
  const failures: string[] = [];
  for (const suite of suites) {
    const result = await suite.run({ quick, args: argv.filter((a) => a.startsWith('--') && a !== '--quick') });
    const header =
      `## ${suite.name}${quick ? ' (quick)' : ''}\n\n` +
      `Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}\n`;
    const body = Array.isArray(result) ? markdownTable(result, suite.columns) : result.markdown;
    const report = `${header}\n${body}\n`;
    process.stdout.write(`${report}\n`);
    writeFileSync(join(out, `${suite.name}.md`), report);
    if (!Array.isArray(result)) {
      for (const [name, content] of Object.entries(result.files ?? {})) writeFileSync(join(out, name), content);
      if (result.failure) failures.push(`${suite.name}: ${result.failure}`);
    }
  }
  if (failures.length) throw new Error(failures.join('\n'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Failures are meant to be read as they are (one line, or a usage text); BENCH_STACK=1 for more.
  const text = err instanceof Error ? (process.env.BENCH_STACK ? err.stack : `bench: ${err.message}`) : String(err);
  process.stderr.write(`${text}\n`);
  process.exitCode = 1;
});
