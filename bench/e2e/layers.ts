/**
 * The layers both servers export, identical for both: read-only lower trees (built once per run
 * on the run's file system, bench-fs.ts, shared by every round) and per-round upper/work
 * directories (fresh each round, so a round never starts with the previous one's files or
 * metadata).
 *
 * - seed: one lower holding seed/ with a few small files, so every export is a real union.
 * - merged-E: two lowers whose merged/ directories overlap (lower 1 holds m[0, 0.6E), lower 2
 *   holds m[0.4E, E)), so listing merged/ through the export must merge them into E names, the
 *   200,000 (at E = 1M) present in both shown once.
 */

import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './proc.js';
import { unmountBelow } from './bench-fs.js';

export interface LowerSet {
  /** Lower directories, highest first. */
  lowers: string[];
  /** The names the lowers put in the export's root (each must be listed exactly once). */
  rootNames: string[];
}

/**
 * Build a tree once under `base`: `fill` writes into a temporary directory that is then renamed
 * into place.
 */
function built(base: string, name: string, fill: (dir: string) => void): string {
  const dir = join(base, name);
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(base, { recursive: true });
  const tmp = mkdtempSync(join(base, `.${name}-`));
  fill(tmp);
  writeFileSync(join(tmp, '.complete'), '');
  if (existsSync(dir)) renameSync(dir, `${dir}.stale-${process.pid}`); // an interrupted older build
  renameSync(tmp, dir);
  return dir;
}

/** Lower trees of a run: under `base`, on the file system the uppers are on. */
export function seedLayers(base: string): LowerSet {
  const dir = built(base, 'seed', (d) => {
    mkdirSync(join(d, 'lower', 'seed'), { recursive: true });
    for (let i = 0; i < 100; i++) writeFileSync(join(d, 'lower', 'seed', `s${String(i).padStart(3, '0')}`), `seed ${i}\n`);
  });
  return { lowers: [join(dir, 'lower')], rootNames: ['seed'] };
}

const mName = (i: number) => `m${String(i).padStart(7, '0')}`;

export function mergedLayers(base: string, entries: number): LowerSet {
  const dir = built(base, `merged-${entries}`, (d) => {
    const split = [Math.floor(entries * 0.6), Math.floor(entries * 0.4)];
    const ranges: Array<[string, number, number]> = [
      ['l1', 0, split[0]],
      ['l2', split[1], entries],
    ];
    for (const [layer, from, to] of ranges) {
      const m = join(d, layer, 'merged');
      mkdirSync(m, { recursive: true });
      for (let i = from; i < to; i++) closeSync(openSync(join(m, mName(i)), 'w'));
    }
  });
  return { lowers: [join(dir, 'l1'), join(dir, 'l2')], rootNames: ['merged'] };
}

export interface RoundDirs {
  root: string;
  upper: string;
  work: string;
  /** Where the kernel overlay is mounted (ganesha's export). */
  mnt: string;
  /** Configuration files, logs, pid files. */
  state: string;
}

/** Fresh directories for one server in one round, under the run's scratch directory. */
export function roundDirs(scratch: string, label: string): RoundDirs {
  const root = mkdtempSync(join(scratch, `${label}-`));
  const dirs = { root, upper: join(root, 'upper'), work: join(root, 'work'), mnt: join(root, 'mnt'), state: join(root, 'state') };
  for (const d of [dirs.upper, dirs.work, dirs.mnt, dirs.state]) mkdirSync(d);
  return dirs;
}

const SCRATCH_PREFIX = 'fallthru-e2e-';

/**
 * The run's scratch directory (its file system's image and mount point, or its layers), named
 * after our PID. Scratch left by runs that were killed (whose PID is gone) is unmounted and
 * removed first: a SIGKILLed run cannot clean up.
 */
export async function makeScratch(): Promise<string> {
  for (const name of readdirSync(tmpdir())) {
    const m = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    await unmountBelow(join(tmpdir(), name));
    await removeTree(join(tmpdir(), name)).catch(() => undefined);
  }
  return mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove a tree (rm -rf is much faster than fs.rm on a million files). */
export async function removeTree(dir: string, timeoutMs = 900_000): Promise<void> {
  await runCommand(`remove ${dir}`, 'rm', ['-rf', '--one-file-system', dir], timeoutMs);
}
