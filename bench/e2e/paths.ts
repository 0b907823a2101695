/**
 * Where things are, whichever output directory this file was compiled to (<out>/bench/e2e):
 * sources and results in the source tree, the built load generator in the git-ignored cache.
 */

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const repoRoot = (): string => resolve(here, '..', '..', '..');
/** bench/e2e in the source tree (loadgen.c). */
export const sourceDir = (): string => join(repoRoot(), 'bench', 'e2e');
/** The compiled bench/e2e (fallthru-entry.js). */
export const compiledDir = (): string => here;
/** The built load generator (kept between runs). */
export const cacheDir = (): string => join(repoRoot(), '.cache', 'bench');
export const resultsDir = (): string => process.env.FALLTHRU_BENCH_RESULTS ?? join(repoRoot(), 'bench', 'results');
/** Raw per-round data and CPU profiles (git-ignored). */
export const rawDir = (): string => join(resultsDir(), 'raw');
