/**
 * Seeded generator of operations, biased toward the cases where a union differs from a plain
 * file system: changes to lower objects (copy-up), writes past EOF, names that were whited out,
 * renames across layers and every rename error, links to lower files that already have links.
 *
 * It reads the current namespace from a ModelFs that the caller keeps in step with the reference
 * side (apply every op to it, resync it from a snapshot now and then). Generated paths never pass
 * through a symlink; a few deliberately pass through a file or a missing directory.
 */
import { Prng } from './prng.js';
import { joinPath, parentOf, isWithin } from './fs-under-test.js';
import type { ModelFs, ModelNode } from './model-fs.js';
import type { Op } from './ops.js';

const NEW_FILE_MODES = [0o644, 0o600, 0o755, 0o640, 0o444];
const NEW_DIR_MODES = [0o755, 0o700, 0o775, 0o1777];
const CHMOD_MODES = [0o644, 0o600, 0o755, 0o700, 0o444, 0o4755, 0o1777, 0o555, 0o000, 0o640];
/** Keep files from growing without bound through writes far past EOF. */
const MAX_FILE_END = 1024 * 1024;

/** The namespace as the generator sees it at one moment. */
interface Pools {
  dirs: string[]; // without the root
  files: string[];
  symlinks: string[];
  nodes: Map<string, ModelNode>;
}

export class OpGenerator {
  /** Paths present when the generator started: lower objects, as far as the generator knows. */
  private readonly lowerPaths: Set<string>;
  /** Names removed lately: recreating them exercises whiteouts and opaque directories. */
  private readonly removed: string[] = [];
  private serial = 0;
  private pools!: Pools;

  constructor(
    private readonly rng: Prng,
    private model: ModelFs,
  ) {
    this.lowerPaths = new Set([...model.walk()].map(([p]) => p));
  }

  /** Replace the model (after a resync from the reference side). */
  setModel(model: ModelFs): void {
    this.model = model;
  }

  /** Tell the generator an op succeeded on the reference side (it tracks removed names). */
  noteSuccess(op: Op): void {
    const gone = op.op === 'unlink' || op.op === 'rmdir' ? op.path : op.op === 'rename' ? op.from : undefined;
    if (gone === undefined) return;
    this.removed.push(gone);
    if (this.removed.length > 200) this.removed.shift();
  }

  next(): Op {
    this.pools = this.collectPools();
    const kind = this.rng.weighted({
      write: 14, truncate: 6, chmod: 5, mkdir: 8, unlink: 8, rmdir: 7, rename: 18,
      symlink: 4, link: 7, readdir: 6, stat: 4, readFile: 5, readlink: 3,
    });
    switch (kind) {
      case 'write': return this.genWrite();
      case 'truncate': return this.genTruncate();
      case 'chmod': return { op: 'chmod', path: this.anyPath(0.1), mode: this.rng.pick(CHMOD_MODES) };
      case 'mkdir': return this.genMkdir();
      case 'unlink': return this.genUnlink();
      case 'rmdir': return this.genRmdir();
      case 'rename': return this.genRename();
      case 'symlink': return this.genSymlink();
      case 'link': return this.genLink();
      case 'readdir': return { op: 'readdir', path: this.rng.chance(0.85) ? this.dirOrRoot() : this.anyPath(0.1) };
      case 'stat': return { op: 'stat', path: this.anyPath(0.15) };
      case 'readFile': return { op: 'readFile', path: this.rng.chance(0.85) ? this.existing('files', 0.6) : this.anyPath(0.1) };
      case 'readlink': return { op: 'readlink', path: this.rng.chance(0.8) ? this.existing('symlinks', 0.6) : this.anyPath(0.1) };
    }
  }

  private collectPools(): Pools {
    const pools: Pools = { dirs: [], files: [], symlinks: [], nodes: new Map() };
    for (const [p, node] of this.model.walk()) {
      pools.nodes.set(p, node);
      if (p === '') continue;
      if (node.type === 'dir') pools.dirs.push(p);
      else if (node.type === 'file') pools.files.push(p);
      else pools.symlinks.push(p);
    }
    return pools;
  }

  /** An existing path of one kind, preferring lower objects with probability `lowerBias`. */
  private existing(kind: 'dirs' | 'files' | 'symlinks', lowerBias: number): string {
    const list = this.pools[kind];
    if (list.length === 0) return this.missingPath();
    if (this.rng.chance(lowerBias)) {
      for (let tries = 0; tries < 8; tries++) {
        const p = this.rng.pick(list);
        if (this.lowerPaths.has(p)) return p;
      }
    }
    return this.rng.pick(list);
  }

  private dirOrRoot(): string {
    return this.rng.chance(0.05) ? '' : this.existing('dirs', 0.6);
  }

  /** Any existing path, or with probability `missing` one that does not resolve. */
  private anyPath(missing: number): string {
    if (this.rng.chance(missing)) return this.missingPath();
    const kind = this.rng.weighted({ files: 6, dirs: 3, symlinks: 1 });
    return this.existing(kind, 0.6);
  }

  /** A new name in an existing directory. */
  private freshPath(): string {
    return joinPath(this.dirOrRoot(), `n${this.serial++}`);
  }

  /** A path that does not resolve: missing leaf, missing parent, or a file used as a directory. */
  private missingPath(): string {
    const how = this.rng.weighted({ leaf: 5, parent: 3, throughFile: 2 });
    if (how === 'leaf') return this.freshPath();
    if (how === 'parent') return joinPath(this.freshPath(), 'x');
    const file = this.pools.files.length > 0 ? this.rng.pick(this.pools.files) : this.freshPath();
    return joinPath(file, 'x');
  }

  private childCount(p: string): number {
    const n = this.pools.nodes.get(p);
    return n?.type === 'dir' ? n.children.size : -1;
  }

  private sizeOf(p: string): number {
    const n = this.pools.nodes.get(p);
    return n?.type === 'file' ? n.size : 0;
  }

  private writeLength(): number {
    const r = this.rng.float();
    if (r < 0.1) return 0;
    if (r < 0.5) return this.rng.int(1, 512);
    if (r < 0.85) return this.rng.int(513, 16 * 1024);
    return this.rng.int(16 * 1024, 96 * 1024);
  }

  private genWrite(): Op {
    const rng = this.rng;
    const shape = rng.weighted({ newFile: 5, existingFile: 8, exclusiveOnExisting: 1, noCreateMissing: 1, onDir: 1, onSymlink: 1, missing: 1 });
    let path: string;
    let create = true;
    let exclusive = false;
    if (shape === 'newFile') {
      path = rng.chance(0.3) && this.removed.length > 0 ? rng.pick(this.removed) : this.freshPath();
      exclusive = rng.chance(0.5);
    } else if (shape === 'existingFile') path = this.existing('files', 0.7);
    else if (shape === 'exclusiveOnExisting') {
      path = this.anyPath(0);
      exclusive = true;
    } else if (shape === 'noCreateMissing') {
      path = this.freshPath();
      create = false;
    } else if (shape === 'onDir') path = this.existing('dirs', 0.5);
    else if (shape === 'onSymlink') path = this.existing('symlinks', 0.5);
    else path = this.missingPath();

    const size = this.sizeOf(path);
    const where = rng.weighted({ start: 3, inside: 3, atEof: 2, pastEof: 2 });
    let offset = where === 'start' ? 0 : where === 'inside' ? rng.int(0, size) : where === 'atEof' ? size : size + rng.int(1, 300 * 1024);
    const length = this.writeLength();
    if (offset + length > MAX_FILE_END) offset = rng.int(0, Math.max(0, MAX_FILE_END - length));
    return { op: 'write', path, offset, length, dataSeed: rng.nextU32(), create, exclusive, mode: rng.pick(NEW_FILE_MODES) };
  }

  private genTruncate(): Op {
    const path = this.rng.chance(0.85) ? this.existing('files', 0.7) : this.anyPath(0.3);
    const size = this.sizeOf(path);
    const how = this.rng.weighted({ zero: 2, down: 3, up: 3, same: 1 });
    const target = how === 'zero' ? 0 : how === 'down' ? this.rng.int(0, size) : how === 'up' ? size + this.rng.int(1, 200 * 1024) : size;
    return { op: 'truncate', path, size: Math.min(target, MAX_FILE_END) };
  }

  private genMkdir(): Op {
    const how = this.rng.weighted({ fresh: 4, whiteout: 4, existing: 1, missing: 1 });
    const mode = this.rng.pick(NEW_DIR_MODES);
    if (how === 'whiteout' && this.removed.length > 0) return { op: 'mkdir', path: this.rng.pick(this.removed), mode };
    if (how === 'existing') return { op: 'mkdir', path: this.anyPath(0), mode };
    if (how === 'missing') return { op: 'mkdir', path: this.missingPath(), mode };
    return { op: 'mkdir', path: this.freshPath(), mode };
  }

  private genUnlink(): Op {
    const how = this.rng.weighted({ file: 7, symlink: 2, drain: 3, dir: 1, missing: 1 });
    if (how === 'file') return { op: 'unlink', path: this.existing('files', 0.7) };
    if (how === 'symlink') return { op: 'unlink', path: this.existing('symlinks', 0.5) };
    if (how === 'drain') return this.drainStep();
    if (how === 'dir') return { op: 'unlink', path: this.existing('dirs', 0.5) };
    return { op: 'unlink', path: this.missingPath() };
  }

  private genRmdir(): Op {
    const how = this.rng.weighted({ empty: 3, nonEmpty: 2, drain: 4, file: 1, missing: 1 });
    if (how === 'empty') {
      const empty = this.pools.dirs.filter((d) => this.childCount(d) === 0);
      if (empty.length > 0) return { op: 'rmdir', path: this.rng.pick(empty) };
    }
    if (how === 'nonEmpty') return { op: 'rmdir', path: this.existing('dirs', 0.8) };
    if (how === 'drain') return this.drainStep();
    if (how === 'file') return { op: 'rmdir', path: this.existing('files', 0.5) };
    return { op: 'rmdir', path: this.missingPath() };
  }

  /**
   * One step of emptying a small lower directory so it can be removed: removes the deepest child
   * of the smallest of a few sampled lower dirs, or the dir itself once empty.
   */
  private drainStep(): Op {
    const lowerDirs = this.pools.dirs.filter((d) => this.lowerPaths.has(d));
    if (lowerDirs.length === 0) return { op: 'rmdir', path: this.missingPath() };
    let best = this.rng.pick(lowerDirs);
    for (let i = 0; i < 6; i++) {
      const d = this.rng.pick(lowerDirs);
      if (this.childCount(d) < this.childCount(best)) best = d;
    }
    let path = best;
    for (;;) {
      const node = this.pools.nodes.get(path);
      if (node?.type !== 'dir' || node.children.size === 0) break;
      path = joinPath(path, this.rng.pick([...node.children.keys()]));
    }
    return this.pools.nodes.get(path)?.type === 'dir' ? { op: 'rmdir', path } : { op: 'unlink', path };
  }

  private genRename(): Op {
    const rng = this.rng;
    const how = rng.weighted({
      fileToFresh: 6, fileOverFile: 3, fileOverDir: 1, dirToFresh: 5, dirOverEmptyDir: 2, dirOverNonEmpty: 1,
      dirIntoOwnSubtree: 1, dirOverFile: 1, dirOverAncestor: 1, hardlinkPair: 1, symlink: 1, toWhiteout: 2, missing: 1,
    });
    const file = () => this.existing('files', 0.7);
    const dir = () => this.existing('dirs', 0.7);
    switch (how) {
      case 'fileToFresh': return { op: 'rename', from: file(), to: this.freshPath() };
      case 'fileOverFile': return { op: 'rename', from: file(), to: file() };
      case 'fileOverDir': return { op: 'rename', from: file(), to: dir() };
      case 'dirToFresh': {
        const from = dir();
        let to = this.freshPath();
        if (isWithin(to, from)) to = `n${this.serial++}`;
        return { op: 'rename', from, to };
      }
      case 'dirOverEmptyDir': {
        const empty = this.pools.dirs.filter((d) => this.childCount(d) === 0);
        return { op: 'rename', from: dir(), to: empty.length > 0 ? rng.pick(empty) : this.freshPath() };
      }
      case 'dirOverNonEmpty': return { op: 'rename', from: dir(), to: dir() };
      case 'dirIntoOwnSubtree': {
        const from = dir();
        const below = this.pools.dirs.filter((d) => isWithin(d, from));
        return { op: 'rename', from, to: joinPath(rng.pick(below), `n${this.serial++}`) };
      }
      case 'dirOverFile': return { op: 'rename', from: dir(), to: file() };
      case 'dirOverAncestor': {
        const from = this.existing(rng.chance(0.5) ? 'dirs' : 'files', 0.5);
        const ancestors: string[] = [];
        for (let a = parentOf(parentOf(from)); a !== ''; a = parentOf(a)) ancestors.push(a);
        return { op: 'rename', from, to: ancestors.length > 0 ? rng.pick(ancestors) : parentOf(from) || this.freshPath() };
      }
      case 'hardlinkPair': {
        const pair = this.hardlinkPair();
        return pair ? { op: 'rename', from: pair[0], to: pair[1] } : { op: 'rename', from: file(), to: this.freshPath() };
      }
      case 'symlink': return { op: 'rename', from: this.existing('symlinks', 0.6), to: rng.chance(0.5) ? this.freshPath() : file() };
      case 'toWhiteout': {
        const to = this.removed.length > 0 ? rng.pick(this.removed) : this.freshPath();
        const from = rng.chance(0.5) ? file() : dir();
        return { op: 'rename', from, to: isWithin(to, from) ? this.freshPath() : to };
      }
      case 'missing': return rng.chance(0.5)
        ? { op: 'rename', from: this.missingPath(), to: this.freshPath() }
        : { op: 'rename', from: file(), to: this.missingPath() };
    }
  }

  /** Two names of one file, if any file has several. */
  private hardlinkPair(): [string, string] | undefined {
    const byNode = new Map<ModelNode, string[]>();
    for (const p of this.pools.files) {
      const n = this.pools.nodes.get(p)!;
      if (n.links < 2) continue;
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const groups = [...byNode.values()].filter((g) => g.length >= 2);
    if (groups.length === 0) return undefined;
    const g = this.rng.pick(groups);
    return [g[0], g[1]];
  }

  private genSymlink(): Op {
    const rng = this.rng;
    const target = rng.chance(0.5) ? this.anyPath(0.2) : `dangling/${rng.int(0, 999)}`;
    const path = rng.chance(0.85) ? this.freshPath() : this.anyPath(0.2);
    return { op: 'symlink', target, path };
  }

  private genLink(): Op {
    const rng = this.rng;
    const how = rng.weighted({ lowerFile: 4, linkedFile: 3, symlink: 1, dir: 1, overExisting: 1, missing: 1 });
    if (how === 'linkedFile') {
      const pair = this.hardlinkPair();
      if (pair) return { op: 'link', existing: pair[rng.int(0, 1)], path: this.freshPath() };
    }
    if (how === 'symlink') return { op: 'link', existing: this.existing('symlinks', 0.5), path: this.freshPath() };
    if (how === 'dir') return { op: 'link', existing: this.existing('dirs', 0.5), path: this.freshPath() };
    if (how === 'overExisting') return { op: 'link', existing: this.existing('files', 0.5), path: this.anyPath(0) };
    if (how === 'missing') return rng.chance(0.5)
      ? { op: 'link', existing: this.missingPath(), path: this.freshPath() }
      : { op: 'link', existing: this.existing('files', 0.5), path: this.missingPath() };
    return { op: 'link', existing: this.existing('files', 0.9), path: this.freshPath() };
  }
}
