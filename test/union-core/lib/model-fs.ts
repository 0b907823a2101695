/**
 * An in-memory file system with the POSIX rules (and errno precedence) of Linux for the
 * operations the harness generates, under the shared no-follow rule of fs-under-test.ts.
 * It serves the op generator (what exists, of which type) and the crash test (what an
 * acknowledged sequence of operations must have produced). Its fidelity is itself tested against
 * kernel overlayfs in differential.test.ts.
 *
 * Content may be unknown (null) when the model was built without it; sizes are always tracked.
 */
import {
  type FsResult,
  type FsUnderTest,
  type ObjStat,
  type WriteOptions,
  OK,
  baseName,
  fail,
  isWithin,
  joinPath,
  ok,
  parentOf,
} from './fs-under-test.js';
import type { Snapshot } from './snapshot.js';

interface NodeBase {
  id: number;
  mode: number;
  uid: number;
  gid: number;
  /** Names referring to this node. */
  links: number;
}
export type ModelNode =
  | (NodeBase & { type: 'file'; size: number; content: Buffer | null })
  | (NodeBase & { type: 'symlink'; target: string })
  | (NodeBase & { type: 'dir'; children: Map<string, ModelNode> });
type DirNode = Extract<ModelNode, { type: 'dir' }>;

export class ModelFs implements FsUnderTest {
  private nextId = 1;
  readonly root: DirNode;

  constructor(readonly label = 'model') {
    this.root = this.newDir(0o755, 0, 0);
  }

  private newDir(mode: number, uid: number, gid: number): DirNode {
    return { id: this.nextId++, type: 'dir', mode, uid, gid, links: 1, children: new Map() };
  }

  /** A model equal to a snapshot (names of one object become one node). */
  static fromSnapshot(snap: Snapshot, label?: string): ModelFs {
    const m = new ModelFs(label);
    const byIdentity = new Map<string, ModelNode>();
    for (const [path, o] of snap) {
      if (!('stat' in o)) throw new Error(`fromSnapshot: ${path} is ${o.errno}`);
      const { stat } = o;
      if (path === '') {
        Object.assign(m.root, { mode: stat.mode, uid: stat.uid, gid: stat.gid });
        continue;
      }
      let node = byIdentity.get(stat.identity);
      if (node) node.links++;
      else {
        const base = { id: m.nextId++, mode: stat.mode, uid: stat.uid, gid: stat.gid, links: 1 };
        if (stat.type === 'dir') node = { ...base, type: 'dir', children: new Map() };
        else if (stat.type === 'symlink') node = { ...base, type: 'symlink', target: o.target ?? '' };
        else if (stat.type === 'file') node = { ...base, type: 'file', size: stat.size, content: o.content ?? null };
        else throw new Error(`fromSnapshot: ${path} has unsupported type ${stat.type}`);
        if (stat.type !== 'dir') byIdentity.set(stat.identity, node);
      }
      const parent = m.lookupPath(parentOf(path));
      if (!parent.ok || parent.value.type !== 'dir') throw new Error(`fromSnapshot: parent of ${path} missing`);
      parent.value.children.set(baseName(path), node);
    }
    return m;
  }

  /** Resolve without following symlinks; a symlink in the middle is ELOOP, a file ENOTDIR. */
  lookupPath(p: string): FsResult<ModelNode> {
    let cur: ModelNode = this.root;
    if (p === '') return ok(cur);
    for (const name of p.split('/')) {
      if (cur.type === 'symlink') return fail('ELOOP');
      if (cur.type !== 'dir') return fail('ENOTDIR');
      const next = cur.children.get(name);
      if (!next) return fail('ENOENT');
      cur = next;
    }
    return ok(cur);
  }

  private parentDir(p: string): FsResult<{ dir: DirNode; name: string }> {
    const r = this.lookupPath(parentOf(p));
    if (!r.ok) return r;
    if (r.value.type === 'symlink') return fail('ELOOP');
    if (r.value.type !== 'dir') return fail('ENOTDIR');
    return ok({ dir: r.value, name: baseName(p) });
  }

  /** Every path in the model, parents before children, with its node. */
  *walk(dir: DirNode = this.root, prefix = ''): Generator<[string, ModelNode]> {
    if (prefix === '') yield ['', dir];
    for (const [name, node] of dir.children) {
      const p = joinPath(prefix, name);
      yield [p, node];
      if (node.type === 'dir') yield* this.walk(node, p);
    }
  }

  async mkdir(p: string, mode: number): Promise<FsResult> {
    const at = this.parentDir(p);
    if (!at.ok) return at;
    if (at.value.dir.children.has(at.value.name)) return fail('EEXIST');
    at.value.dir.children.set(at.value.name, this.newDir(mode & 0o1777, 0, 0));
    return OK;
  }

  async write(p: string, offset: number, data: Buffer, opts: WriteOptions): Promise<FsResult> {
    const at = this.parentDir(p);
    if (!at.ok) return at;
    const { dir, name } = at.value;
    let node = dir.children.get(name);
    if (node) {
      if (opts.create && opts.exclusive) return fail('EEXIST');
      if (node.type === 'dir') return fail('EISDIR');
      if (node.type === 'symlink') return fail('ELOOP');
    } else {
      if (!opts.create) return fail('ENOENT');
      node = { id: this.nextId++, type: 'file', mode: opts.mode, uid: 0, gid: 0, links: 1, size: 0, content: Buffer.alloc(0) };
      dir.children.set(name, node);
    }
    if (data.length > 0) writeAt(node, offset, data);
    return OK;
  }

  async truncate(p: string, size: number): Promise<FsResult> {
    const r = this.lookupPath(p);
    if (!r.ok) return r;
    const node = r.value;
    if (node.type === 'dir') return fail('EISDIR');
    if (node.type === 'symlink') return fail('ELOOP');
    if (node.content) node.content = resize(node.content, size);
    node.size = size;
    return OK;
  }

  async chmod(p: string, mode: number): Promise<FsResult> {
    const r = this.lookupPath(p);
    if (!r.ok) return r;
    if (r.value.type === 'symlink') return fail('ELOOP');
    r.value.mode = mode;
    return OK;
  }

  async unlink(p: string): Promise<FsResult> {
    const at = this.parentDir(p);
    if (!at.ok) return at;
    const node = at.value.dir.children.get(at.value.name);
    if (!node) return fail('ENOENT');
    if (node.type === 'dir') return fail('EISDIR');
    at.value.dir.children.delete(at.value.name);
    node.links--;
    return OK;
  }

  async rmdir(p: string): Promise<FsResult> {
    const at = this.parentDir(p);
    if (!at.ok) return at;
    const node = at.value.dir.children.get(at.value.name);
    if (!node) return fail('ENOENT');
    if (node.type !== 'dir') return fail('ENOTDIR');
    if (node.children.size > 0) return fail('ENOTEMPTY');
    at.value.dir.children.delete(at.value.name);
    return OK;
  }

  /** Linux order: both parents, the source, the subtree traps, same-object no-op, target type, emptiness. */
  async rename(from: string, to: string): Promise<FsResult> {
    const src = this.parentDir(from);
    if (!src.ok) return src;
    const dst = this.parentDir(to);
    if (!dst.ok) return dst;
    const node = src.value.dir.children.get(src.value.name);
    if (!node) return fail('ENOENT');
    if (from === to) return OK;
    if (isWithin(to, from)) return fail('EINVAL');
    if (isWithin(from, to)) return fail('ENOTEMPTY');
    const victim = dst.value.dir.children.get(dst.value.name);
    if (victim === node) return OK; // two names of one file: POSIX says do nothing
    if (victim) {
      if (node.type === 'dir' && victim.type !== 'dir') return fail('ENOTDIR');
      if (node.type !== 'dir' && victim.type === 'dir') return fail('EISDIR');
      if (victim.type === 'dir' && victim.children.size > 0) return fail('ENOTEMPTY');
      victim.links--;
    }
    src.value.dir.children.delete(src.value.name);
    dst.value.dir.children.set(dst.value.name, node);
    return OK;
  }

  async symlink(target: string, p: string): Promise<FsResult> {
    const at = this.parentDir(p);
    if (!at.ok) return at;
    if (at.value.dir.children.has(at.value.name)) return fail('EEXIST');
    at.value.dir.children.set(at.value.name, { id: this.nextId++, type: 'symlink', mode: 0o777, uid: 0, gid: 0, links: 1, target });
    return OK;
  }

  async link(existing: string, newPath: string): Promise<FsResult> {
    const src = this.lookupPath(existing);
    if (!src.ok) return src;
    const at = this.parentDir(newPath);
    if (!at.ok) return at;
    if (at.value.dir.children.has(at.value.name)) return fail('EEXIST');
    if (src.value.type === 'dir') return fail('EPERM');
    src.value.links++;
    at.value.dir.children.set(at.value.name, src.value);
    return OK;
  }

  async readdir(p: string): Promise<FsResult<string[]>> {
    const r = this.lookupPath(p);
    if (!r.ok) return r;
    if (r.value.type !== 'dir') return fail('ENOTDIR');
    return ok([...r.value.children.keys()]);
  }

  async stat(p: string): Promise<FsResult<ObjStat>> {
    const r = this.lookupPath(p);
    if (!r.ok) return r;
    const n = r.value;
    const size = n.type === 'file' ? n.size : n.type === 'symlink' ? Buffer.byteLength(n.target) : 0;
    return ok({ type: n.type, mode: n.mode, nlink: n.links, size, uid: n.uid, gid: n.gid, identity: String(n.id) });
  }

  async readFile(p: string): Promise<FsResult<Buffer>> {
    const r = this.lookupPath(p);
    if (!r.ok) return r;
    const n = r.value;
    if (n.type === 'dir') return fail('EISDIR');
    if (n.type === 'symlink') return fail('ELOOP');
    if (!n.content) throw new Error(`model: content of ${p} is unknown`);
    return ok(n.content);
  }

  async readlink(p: string): Promise<FsResult<string>> {
    const r = this.lookupPath(p);
    if (!r.ok) return r;
    return r.value.type === 'symlink' ? ok(r.value.target) : fail('EINVAL');
  }

  async close(): Promise<void> {}
}

function writeAt(node: Extract<ModelNode, { type: 'file' }>, offset: number, data: Buffer): void {
  const end = offset + data.length;
  if (node.content) {
    const grown = resize(node.content, Math.max(node.content.length, end));
    data.copy(grown, offset);
    node.content = grown;
  }
  node.size = Math.max(node.size, end);
}

/** Cut or zero-extend (a hole reads as zeros). */
function resize(content: Buffer, size: number): Buffer {
  if (size <= content.length) return Buffer.from(content.subarray(0, size));
  const out = Buffer.alloc(size);
  content.copy(out);
  return out;
}
