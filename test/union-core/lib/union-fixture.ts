/**
 * Small helpers for union-core tests that drive UnionFs directly: scratch layers removed at
 * teardown, path walks by lookup, and whole listings paged by cookie.
 */
import type { Test } from 'tap';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirEntry, UnionFs, UnionOptions } from '../../../union-core/index.js';
import { ROOT } from './union-adapter.js';

export { ROOT };

/** Scratch directories `lower0..lower{n-1}`, `upper`, `work` under one temp dir, removed at teardown. */
export function scratchLayers(t: Test, lowers: number, prefix = 'ft-'): UnionOptions & { base: string } {
  const base = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const names = [...Array.from({ length: lowers }, (_, i) => `lower${i}`), 'upper', 'work'];
  for (const d of names) mkdirSync(join(base, d));
  return { base, lowers: names.slice(0, lowers).map((d) => join(base, d)), upper: join(base, 'upper'), work: join(base, 'work') };
}

/** fileid of a path ('a/b/c') resolved by lookup from the root. */
export async function walk(u: UnionFs, path: string): Promise<bigint> {
  let id = u.rootId;
  for (const part of path.split('/').filter(Boolean)) id = (await u.lookup(id, part, ROOT)).fileid;
  return id;
}

/** Every entry of a directory, `page` entries per call, resuming at the last cookie returned. */
export async function listEntries(u: UnionFs, dir: bigint, page = 2, withAttrs = false): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  let cookie = 0n;
  for (;;) {
    const r = await u.readdir(dir, cookie, page, { withAttrs }, ROOT);
    out.push(...r.entries);
    if (r.eof) return out;
    cookie = r.entries[r.entries.length - 1].cookie;
  }
}

/** The names of a directory, paged as `listEntries`. */
export async function listNames(u: UnionFs, dir: bigint, page = 2): Promise<string[]> {
  return (await listEntries(u, dir, page)).map((e) => e.name);
}
