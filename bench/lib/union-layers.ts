/**
 * Scratch layers for the union-core benchmarks: one temp directory holding the lowers, and any
 * number of fresh upper/work pairs over them (a first listing or a copy-up happens once per union,
 * so each round needs its own).
 */

import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union } from '../../union-core/index.js';
import type { Caller, UnionFs, UnionOptions } from '../../union-core/index.js';

export const ROOT: Caller = { uid: 0, gid: 0, groups: [] };

export class BenchLayers {
  readonly base = mkdtempSync(join(tmpdir(), 'fallthru-bench-'));
  readonly lowers: string[];
  private unions = 0;

  constructor(lowerCount: number) {
    this.lowers = Array.from({ length: lowerCount }, (_, i) => join(this.base, `lower${i}`));
    for (const l of this.lowers) mkdirSync(l);
  }

  /** Empty files `names` in `rel` of lower `layer`. */
  files(layer: number, rel: string, names: string[]): void {
    const dir = join(this.lowers[layer], rel);
    mkdirSync(dir, { recursive: true });
    for (const n of names) closeSync(openSync(join(dir, n), 'w'));
  }

  /** A file of `bytes` real (non-zero, so nothing can skip it as a hole) data. */
  dataFile(layer: number, rel: string, bytes: number): string {
    const path = join(this.lowers[layer], rel);
    const chunk = Buffer.alloc(Math.min(bytes, 1 << 20));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + 7) & 0xff || 1;
    const fd = openSync(path, 'w');
    for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
    closeSync(fd);
    return path;
  }

  /** A sparse file of `bytes` (for metadata-only operations, where no data is read). */
  sparseFile(layer: number, rel: string, bytes: number): void {
    const fd = openSync(join(this.lowers[layer], rel), 'w');
    ftruncateSync(fd, bytes);
    closeSync(fd);
  }

  /** Directories for a new union over these lowers (a fresh upper and work each time). */
  freshLayout(): UnionOptions {
    const n = this.unions++;
    const upper = join(this.base, `upper${n}`);
    const work = join(this.base, `work${n}`);
    mkdirSync(upper);
    mkdirSync(work);
    return { lowers: this.lowers, upper, work };
  }

  /** Remove the upper and work of a layout (data of earlier rounds, e.g. a 1 GiB copy-up). */
  dropLayout(layout: UnionOptions): void {
    rmSync(layout.upper, { recursive: true, force: true });
    rmSync(layout.work, { recursive: true, force: true });
  }

  open(layout: UnionOptions): Promise<UnionFs> {
    return Union.open(layout);
  }

  remove(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** fileid of a path resolved by lookup from the root. */
export async function walk(u: UnionFs, path: string): Promise<bigint> {
  let id = u.rootId;
  for (const part of path.split('/')) id = (await u.lookup(id, part, ROOT)).fileid;
  return id;
}

/** Wall-clock milliseconds of one call. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
