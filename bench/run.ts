/**
 * `npm run bench`: run every suite in order, print a Markdown table per suite and write it to
 * bench/results/<suite>.md. `--quick` is a few-seconds smoke run; naming suites runs only those
 * (`node dist/bench/run.js protocol --quick`).
 *
 * New suites register themselves in SUITES below.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './lib/markdown.js';
import type { BenchSuite } from './lib/suite.js';
import { protocolSuite } from './protocol.js';
import { unionCoreSuite } from './union-core.js';

const SUITES: readonly BenchSuite[] = [protocolSuite, unionCoreSuite];

/** bench/results in the source tree, whichever output directory this file was compiled to. */
function resultsDir(): string {
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
  for (const suite of suites) {
    const rows = await suite.run({ quick });
    const header =
      `## ${suite.name}${quick ? ' (quick)' : ''}\n\n` +
      `Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}\n`;
    const report = `${header}\n${markdownTable(rows, suite.columns)}\n`;
    process.stdout.write(`${report}\n`);
    writeFileSync(join(out, `${suite.name}.md`), report);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
