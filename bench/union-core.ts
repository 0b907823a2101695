/**
 * union-core benchmark: each union operation next to the plain file-system work it stands for,
 * measured in the same run on the same files (kernel caches warm for both), reported as a ratio.
 *
 * | measurement                                        | reference                              | goal     |
 * |----------------------------------------------------|----------------------------------------|----------|
 * | first listing of a 100,000-entry merged directory  | fs.readdir + lstat of every lower entry| ≤ 3×     |
 * |   (two lowers, 50,000 each; readdir with attrs,    |                                        |          |
 * |   200-entry pages ≈ 32 KiB READDIRPLUS replies)    |                                        |          |
 * | later listings of it (with and without reused      | the same                               | ≤ 1.5×   |
 * |   lower stats, see UnionOptions.lowerStatTtlMs)    |                                        |          |
 * | copy-up of a 1 GiB lower file (1-byte write)       | cp --reflink=auto of the file          | ≤ 1.3×   |
 * | chmod of a 1 GiB lower file (metadata-only)        | none: absolute                         | ≤ 5 ms   |
 * | lookup of a 10-deep lower path after reopen        | the lstat calls of its 10 prefixes     | ≤ 3×     |
 * Quick mode uses small sizes (2,000 entries, 16 MiB) so the whole run takes seconds.
 */

import { readdir, lstat, chmod as fsChmod, open } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { BenchOptions, BenchSuite, Row } from './lib/suite.js';
import type { UnionFs } from '../union-core/index.js';
import { BenchLayers, ROOT, median, timed, walk } from './lib/union-layers.js';

const run = promisify(execFile);
const MiB = 1 << 20;

interface Sizes {
  entries: number;
  fileBytes: number;
  rounds: number;
}

const FULL: Sizes = { entries: 100_000, fileBytes: 1024 * MiB, rounds: 3 };
const QUICK: Sizes = { entries: 2_000, fileBytes: 16 * MiB, rounds: 1 };
const PAGE = 200;
const DEPTH = 10;

function verdict(ratio: number, goal: number, unit = '×'): string {
  return `goal ≤ ${goal}${unit}: ${ratio <= goal ? 'met' : 'MISSED'}`;
}

function ratioRow(benchmark: string, result: number, reference: number, goal: number, note: string): Row {
  const ratio = result / reference;
  return { benchmark, result, unit: 'ms', reference, costVsCopy: ratio, note: `${verdict(ratio, goal)}; ${note}` };
}

/** The reference listing: what a plain program does to list and stat the lower directories. */
async function plainListing(dirs: string[]): Promise<number> {
  let n = 0;
  for (const dir of dirs) {
    const names = await readdir(dir);
    await Promise.all(names.map((name) => lstat(join(dir, name))));
    n += names.length;
  }
  return n;
}

async function unionListing(u: UnionFs, dir: bigint): Promise<number> {
  let n = 0;
  let cookie = 0n;
  for (;;) {
    const r = await u.readdir(dir, cookie, PAGE, { withAttrs: true }, ROOT);
    n += r.entries.length;
    if (r.eof) return n;
    cookie = r.entries[r.entries.length - 1].cookie;
  }
}

async function listingRows(s: Sizes): Promise<Row[]> {
  const layers = new BenchLayers(2);
  try {
    const half = s.entries / 2;
    const names = (tag: string) => Array.from({ length: half }, (_, i) => `${tag}-${String(i).padStart(6, '0')}.dat`);
    layers.files(0, 'big', names('top'));
    layers.files(1, 'big', names('base'));
    const lowerDirs = layers.lowers.map((l) => join(l, 'big'));
    const refs: number[] = [];
    const firsts: number[] = [];
    const laters: number[] = [];
    const uncached: number[] = [];
    const opens: number[] = [];
    for (let r = 0; r < s.rounds; r++) {
      const layout = layers.freshLayout();
      let u!: UnionFs;
      opens.push(await timed(async () => (u = await layers.open(layout))));
      const dir = await walk(u, 'big');
      refs.push(await timed(() => plainListing(lowerDirs)));
      let listed = 0;
      firsts.push(await timed(async () => (listed = await unionListing(u, dir))));
      if (listed !== s.entries) throw new Error(`listed ${listed} of ${s.entries} entries`);
      for (let k = 0; k < 3; k++) {
        refs.push(await timed(() => plainListing(lowerDirs)));
        laters.push(await timed(() => unionListing(u, dir)));
      }
      await u.close();
      // The same without reusing lower stats: what a listing costs once they are older than the TTL.
      u = await layers.open({ ...layout, lowerStatTtlMs: 0 });
      for (let k = 0; k < 3; k++) {
        refs.push(await timed(() => plainListing(lowerDirs)));
        uncached.push(await timed(() => unionListing(u, dir)));
      }
      await u.close();
      layers.dropLayout(layout);
    }
    const ref = median(refs);
    const n = s.entries.toLocaleString('en-US');
    return [
      ratioRow(`first listing of a ${n}-entry merged directory`, median(firsts), ref, 3, `${PAGE}-entry pages with attributes; records ${n} fallthrus`),
      ratioRow(`later listing of the ${n}-entry merged directory`, median(laters), ref, 1.5, `${PAGE}-entry pages with attributes; default options (a lower stat is reused for 5 s; under this run's load most had expired between listings)`),
      ratioRow(`later listing, lower stats not reused`, median(uncached), ref, 1.5, 'lowerStatTtlMs 0: one lstat per entry, as once the TTL has passed'),
      {
        benchmark: `first open (hard-link index of ${n} lower entries)`, result: median(opens), unit: 'ms', reference: ref,
        costVsCopy: median(opens) / ref, note: 'not a goal: once per union, walks every lower',
      },
    ];
  } finally {
    layers.remove();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  await fh.sync();
  await fh.close();
}

async function copyUpRows(s: Sizes): Promise<Row[]> {
  const layers = new BenchLayers(1);
  try {
    const src = layers.dataFile(0, 'big.dat', s.fileBytes);
    const size = `${s.fileBytes / MiB} MiB`;
    const cps: number[] = [];
    const cpSyncs: number[] = [];
    const ups: number[] = [];
    for (let r = 0; r < s.rounds; r++) {
      const dest = join(layers.base, 'cp.dat');
      cps.push(await timed(() => run('cp', ['--reflink=auto', src, dest])));
      await run('rm', ['-f', dest]);
      cpSyncs.push(await timed(async () => {
        await run('cp', ['--reflink=auto', src, dest]);
        await fsyncFile(dest);
      }));
      await run('rm', ['-f', dest]);
      const layout = layers.freshLayout();
      const u = await layers.open(layout);
      const id = await walk(u, 'big.dat');
      ups.push(await timed(() => u.write(id, 0n, Buffer.from('x'), 'unstable', ROOT)));
      await u.close();
      layers.dropLayout(layout);
    }
    return [
      ratioRow(`copy-up of a ${size} lower file (1-byte write)`, median(ups), median(cps), 1.3, 'reference: cp --reflink=auto (leaves the copy in the page cache)'),
      ratioRow(`copy-up of a ${size} lower file, vs cp + fsync`, median(ups), median(cpSyncs), 1.3, 'reference: cp --reflink=auto, then fsync of the copy (what a crash-safe copy-up must do)'),
    ];
  } finally {
    layers.remove();
  }
}

async function chmodRows(s: Sizes): Promise<Row[]> {
  const layers = new BenchLayers(1);
  try {
    const count = s.rounds * 5;
    for (let i = 0; i < count; i++) layers.sparseFile(0, `f${i}`, s.fileBytes);
    const layout = layers.freshLayout();
    const u = await layers.open(layout);
    const times: number[] = [];
    const refs: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = await walk(u, `f${i}`);
      times.push(await timed(() => u.setattr(id, { mode: 0o600 }, ROOT)));
      refs.push(await timed(() => fsChmod(join(layers.lowers[0], `f${i}`), 0o640)));
    }
    await u.close();
    const ms = median(times);
    const size = `${s.fileBytes / MiB} MiB`;
    return [{
      benchmark: `chmod of a ${size} lower file (metadata-only copy-up)`, result: ms, unit: 'ms', reference: median(refs),
      costVsCopy: ms / median(refs), note: `${verdict(ms, 5, ' ms')}; median of ${count}; reference: chmod(2) of the lower itself (no durability)`,
    }];
  } finally {
    layers.remove();
  }
}

async function lookupRows(s: Sizes): Promise<Row[]> {
  const layers = new BenchLayers(1);
  try {
    const parts = Array.from({ length: DEPTH }, (_, i) => `level${i}`);
    const rel = parts.join('/');
    layers.files(0, parts.slice(0, -1).join('/'), [parts[DEPTH - 1]]);
    const prefixes = parts.map((_, i) => join(layers.lowers[0], ...parts.slice(0, i + 1)));
    const plain = () => timed(async () => {
      for (const p of prefixes) await lstat(p);
    });
    const seen: number[] = [];
    const first: number[] = [];
    const refs: number[] = [];
    for (let r = 0; r < s.rounds * 3; r++) {
      const layout = layers.freshLayout();
      // First lookup ever, after a reopen: records a row per component.
      await (await layers.open(layout)).close();
      let u = await layers.open(layout);
      refs.push(await plain());
      first.push(await timed(() => walk(u, rel)));
      await u.close();
      // The same path after a reopen: rows exist, caches are cold.
      u = await layers.open(layout);
      refs.push(await plain());
      seen.push(await timed(() => walk(u, rel)));
      await u.close();
      layers.dropLayout(layout);
    }
    const ref = median(refs);
    return [
      ratioRow(`lookup of a ${DEPTH}-deep lower path after reopen`, median(seen), ref, 3, 'path looked up before the reopen: rows exist, caches cold'),
      ratioRow(`first lookup of a ${DEPTH}-deep lower path`, median(first), ref, 3, 'never looked up: each component is recorded durably before its answer'),
    ];
  } finally {
    layers.remove();
  }
}

export const unionCoreSuite: BenchSuite = {
  name: 'union-core',
  columns: { reference: 'Reference', ratio: 'Ratio' },
  async run(opts: BenchOptions): Promise<Row[]> {
    const s = opts.quick ? QUICK : FULL;
    return [...(await listingRows(s)), ...(await copyUpRows(s)), ...(await chmodRows(s)), ...(await lookupRows(s))];
  },
};
