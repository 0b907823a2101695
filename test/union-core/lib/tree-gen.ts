/**
 * Seeded generator of the lower layers: a spec (pure data, replayable from the seed) and a
 * materializer that writes one spec into as many directories as there are sides, so every side
 * starts from byte-identical layers (times and inode numbers aside, which are never compared).
 *
 * Shape of a generated stack (two lowers; lowers[0] is the highest, as in overlayfs lowerdir=):
 *   lowers[1] (base):   nested dirs several levels deep, files 0..~200 KiB, symlinks (some
 *                       dangling), hard links with 2–3 names in different dirs, empty dirs.
 *   lowers[0] (top):    re-uses many base directory paths (merged dirs), shadows some base files
 *                       with new content, puts a file where the base has a dir and a dir where it
 *                       has a file, and hides a few base names with overlayfs whiteouts (0/0 char
 *                       devices).
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Prng, deterministicBytes } from './prng.js';
import { joinPath, parentOf } from './fs-under-test.js';

export type TreeEntry =
  | { kind: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { kind: 'file'; path: string; mode: number; uid: number; gid: number; size: number; contentSeed: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'hardlink'; path: string; existing: string }
  /** overlayfs on-disk whiteout: a 0/0 character device hiding the name in lower layers. */
  | { kind: 'whiteout'; path: string };

export interface LayerSpec {
  /** Entries in creation order: parents before children, link targets before links. */
  entries: TreeEntry[];
}

export interface TreeShape {
  /** Approximate number of entries in the base layer. */
  baseEntries: number;
  /** Approximate number of entries in the top layer. */
  topEntries: number;
  maxDepth: number;
  /** Largest file size in bytes. */
  maxFileSize: number;
}

export const FULL_SHAPE: TreeShape = { baseEntries: 2200, topEntries: 1000, maxDepth: 5, maxFileSize: 200 * 1024 };

const FILE_MODES = [0o644, 0o644, 0o600, 0o755, 0o444, 0o640, 0o664, 0o700];
const DIR_MODES = [0o755, 0o755, 0o755, 0o700, 0o775, 0o1777, 0o555];
const OWNERS: readonly [number, number][] = [[0, 0], [0, 0], [0, 0], [1000, 1000], [1001, 100]];

/** File sizes skewed small, with a tail up to maxFileSize. */
function fileSize(rng: Prng, max: number): number {
  const bucket = rng.float();
  if (bucket < 0.08) return 0;
  if (bucket < 0.35) return rng.int(1, 64);
  if (bucket < 0.75) return rng.int(65, 4096);
  if (bucket < 0.95) return rng.int(4097, Math.min(32 * 1024, max));
  return rng.int(Math.min(32 * 1024, max), max);
}

/** Builds one layer's entries while tracking which paths exist, so links and shadowing are valid. */
class LayerBuilder {
  readonly entries: TreeEntry[] = [];
  readonly dirs: string[] = [''];
  readonly files: string[] = [];
  private readonly used = new Set<string>(['']);

  constructor(
    private readonly rng: Prng,
    private readonly shape: TreeShape,
    private readonly tag: string,
  ) {}

  has(p: string): boolean {
    return this.used.has(p);
  }

  private claim(p: string): void {
    this.used.add(p);
  }

  /** A fresh name in `dir` that this layer has not used. */
  freshName(dir: string, prefix: string): string {
    for (let n = this.rng.int(0, 40); ; n++) {
      const p = joinPath(dir, `${prefix}${this.tag}${n}`);
      if (!this.used.has(p)) return p;
    }
  }

  /** Ensure every ancestor of `p` exists as a directory in this layer. */
  ensureDirChain(p: string): void {
    if (p === '' || this.used.has(p)) return;
    this.ensureDirChain(parentOf(p));
    this.addDir(p);
  }

  addDir(p: string): void {
    const [uid, gid] = this.rng.pick(OWNERS);
    this.entries.push({ kind: 'dir', path: p, mode: this.rng.pick(DIR_MODES), uid, gid });
    this.dirs.push(p);
    this.claim(p);
  }

  addFile(p: string): void {
    const [uid, gid] = this.rng.pick(OWNERS);
    const size = fileSize(this.rng, this.shape.maxFileSize);
    this.entries.push({ kind: 'file', path: p, mode: this.rng.pick(FILE_MODES), uid, gid, size, contentSeed: this.rng.nextU32() });
    this.files.push(p);
    this.claim(p);
  }

  addSymlink(p: string): void {
    const rng = this.rng;
    let target: string;
    if (rng.chance(0.5) && this.files.length > 0) {
      // A relative target that resolves inside the layer (depth-relative '../' prefix).
      const depth = p.split('/').length - 1;
      target = '../'.repeat(depth) + rng.pick(this.files);
    } else if (rng.chance(0.6)) {
      target = `dangling/${rng.int(0, 9999)}`;
    } else {
      target = `/nonexistent/abs-${rng.int(0, 9999)}`;
    }
    this.entries.push({ kind: 'symlink', path: p, target });
    this.claim(p);
  }

  addHardlink(p: string, existing: string): void {
    this.entries.push({ kind: 'hardlink', path: p, existing });
    this.claim(p);
  }

  addWhiteout(p: string): void {
    this.entries.push({ kind: 'whiteout', path: p });
    this.claim(p);
  }

  /** Pick a directory with depth below maxDepth, favouring shallow ones slightly. */
  pickParent(): string {
    for (;;) {
      const d = this.rng.pick(this.dirs);
      const depth = d === '' ? 0 : d.split('/').length;
      if (depth < this.shape.maxDepth) return d;
    }
  }

  /** Add one random entry under a random directory. */
  addRandom(): void {
    const rng = this.rng;
    const parent = this.pickParent();
    const kind = rng.weighted({ dir: 14, file: 70, symlink: 8, hardlink: 8 });
    if (kind === 'dir') this.addDir(this.freshName(parent, 'd'));
    else if (kind === 'file' || this.files.length === 0) this.addFile(this.freshName(parent, 'f'));
    else if (kind === 'symlink') this.addSymlink(this.freshName(parent, 's'));
    else {
      // 2–3 names for one file, each in a (usually) different directory.
      const existing = rng.pick(this.files);
      const names = rng.int(1, 2);
      for (let i = 0; i < names; i++) this.addHardlink(this.freshName(this.pickParent(), 'h'), existing);
    }
  }
}

/** Generate both lower layers; returns them highest first (overlayfs lowerdir order). */
export function generateLowerSpecs(rng: Prng, shape: TreeShape = FULL_SHAPE): LayerSpec[] {
  const base = new LayerBuilder(rng.fork('base'), shape, 'b');
  while (base.entries.length < shape.baseEntries) base.addRandom();

  const topRng = rng.fork('top');
  const top = new LayerBuilder(topRng, shape, 't');
  const baseDirs = base.dirs.filter((d) => d !== '');
  const baseFiles = base.files;
  while (top.entries.length < shape.topEntries) {
    const what = topRng.weighted({ mergedDir: 30, shadowFile: 8, fileOverDir: 1, dirOverFile: 1, whiteout: 1, fresh: 30 });
    if (what === 'mergedDir') {
      // Same directory name in both layers: the union merges their entries.
      const d = topRng.pick(baseDirs);
      if (!canPlace(top, d) || (top.has(d) && !top.dirs.includes(d))) continue;
      top.ensureDirChain(d);
      if (topRng.chance(0.8)) top.addFile(top.freshName(d, 'f'));
      else top.addDir(top.freshName(d, 'd'));
    } else if (what === 'shadowFile') {
      const f = topRng.pick(baseFiles);
      if (top.has(f) || !canPlace(top, f)) continue;
      top.ensureDirChain(parentOf(f));
      top.addFile(f);
    } else if (what === 'fileOverDir') {
      const d = topRng.pick(baseDirs);
      if (top.has(d) || !canPlace(top, d)) continue;
      top.ensureDirChain(parentOf(d));
      top.addFile(d);
    } else if (what === 'dirOverFile') {
      const f = topRng.pick(baseFiles);
      if (top.has(f) || !canPlace(top, f)) continue;
      top.ensureDirChain(parentOf(f));
      top.addDir(f);
    } else if (what === 'whiteout') {
      const victim = topRng.pick(topRng.chance(0.5) ? baseFiles : baseDirs);
      if (top.has(victim) || !canPlace(top, victim)) continue;
      top.ensureDirChain(parentOf(victim));
      top.addWhiteout(victim);
    } else {
      top.addRandom();
    }
  }
  return [{ entries: top.entries }, { entries: base.entries }];
}

/** A path can be placed in a layer only if no ancestor of it is already a non-directory there. */
function canPlace(layer: LayerBuilder, p: string): boolean {
  for (let a = parentOf(p); a !== ''; a = parentOf(a)) {
    if (layer.has(a)) return layer.dirs.includes(a);
  }
  return true;
}

/** Write one layer spec into `root` (which must exist and be empty). */
export async function materializeLayer(spec: LayerSpec, root: string): Promise<void> {
  const dirModes: [string, number][] = [];
  for (const e of spec.entries) {
    const abs = path.join(root, e.path);
    switch (e.kind) {
      case 'dir':
        await fsp.mkdir(abs);
        await fsp.chown(abs, e.uid, e.gid);
        // Read-only dir modes are applied last so they never block creating children.
        dirModes.push([abs, e.mode]);
        break;
      case 'file':
        await fsp.writeFile(abs, deterministicBytes(e.contentSeed, e.size), { mode: 0o600 });
        await fsp.chown(abs, e.uid, e.gid);
        await fsp.chmod(abs, e.mode);
        break;
      case 'symlink':
        await fsp.symlink(e.target, abs);
        break;
      case 'hardlink':
        await fsp.link(path.join(root, e.existing), abs);
        break;
      case 'whiteout':
        execFileSync('mknod', [abs, 'c', '0', '0']);
        break;
    }
  }
  for (const [abs, mode] of dirModes.reverse()) await fsp.chmod(abs, mode);
}

/** Generate-once, materialize-many: the lowers of one side, highest first. */
export async function materializeLowers(specs: LayerSpec[], sideRoot: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < specs.length; i++) {
    const dir = path.join(sideRoot, `lower${i}`);
    await fsp.mkdir(dir, { recursive: true });
    // Fixed, so the merged root looks the same whatever the umask of the moment.
    await fsp.chmod(dir, 0o755);
    await materializeLayer(specs[i], dir);
    dirs.push(dir);
  }
  return dirs;
}
