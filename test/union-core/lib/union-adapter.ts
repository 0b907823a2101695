/**
 * FsUnderTest over union-core's UnionFs, as root. It plays the part of the VFS in front of an NFS
 * client: paths are resolved with `lookup` from `rootId`, and only the checks a client makes
 * locally before sending a call (the open() type checks, the shared no-follow rule) live here.
 * Everything else (EEXIST, ENOTEMPTY, EISDIR on remove, EINVAL on renaming into a subtree …)
 * is left for the engine to answer, because that is what is being tested.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Attr, Caller, UnionFs, UnionOptions } from '../../../union-core/types.js';
import {
  type Errno,
  type FsResult,
  type FsUnderTest,
  type ObjStat,
  type WriteOptions,
  OK,
  baseName,
  fail,
  ok,
  parentOf,
} from './fs-under-test.js';

export const ROOT: Caller = { uid: 0, gid: 0, groups: [] };

export type UnionOpener = (opts: UnionOptions) => Promise<UnionFs>;

/**
 * `Union.open` from the compiled engine, or undefined when the engine is not built yet. Loaded
 * at run time so the harness compiles and self-tests before union-core/index.ts exists.
 */
export async function loadUnionOpener(): Promise<UnionOpener | undefined> {
  const url = new URL('../../../union-core/index.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const mod = (await import(url.href)) as { Union?: { open?: UnionOpener } };
  const open = mod.Union?.open;
  return typeof open === 'function' ? (opts) => open.call(mod.Union, opts) : undefined;
}

/** A UnionError's code, or undefined when `err` is some other throw (an engine bug). */
function unionErrno(err: unknown): Errno | undefined {
  const e = err as { name?: unknown; code?: unknown };
  return e && e.name === 'UnionError' && typeof e.code === 'string' ? (e.code as Errno) : undefined;
}

async function attempt<T>(fn: () => Promise<FsResult<T>>): Promise<FsResult<T>> {
  try {
    return await fn();
  } catch (err) {
    const code = unionErrno(err);
    if (code !== undefined) return fail(code);
    throw err;
  }
}

interface Resolved {
  id: bigint;
  attr: Attr;
}

const READ_CHUNK = 64 * 1024;

export class UnionPathFs implements FsUnderTest {
  /** Contract breaches seen while listing (duplicate or reserved cookies, no progress). */
  readonly violations: string[] = [];

  constructor(
    readonly label: string,
    readonly union: UnionFs,
    /** Small pages make every listing resume from cookies several times. */
    private readonly readdirPage = 13,
  ) {}

  /** Resolve a whole path without following symlinks; ELOOP for a symlink in the middle. */
  private async walk(p: string): Promise<FsResult<Resolved>> {
    let cur: Resolved = { id: this.union.rootId, attr: await this.union.getattr(this.union.rootId) };
    if (p === '') return ok(cur);
    for (const name of p.split('/')) {
      if (cur.attr.type === 'symlink') return fail('ELOOP');
      const found = await this.union.lookup(cur.id, name, ROOT);
      cur = { id: found.fileid, attr: found.attr };
    }
    return ok(cur);
  }

  /** The directory that holds `p`, as an id, and the final name. */
  private async parent(p: string): Promise<FsResult<{ dir: bigint; name: string }>> {
    const dir = await this.walk(parentOf(p));
    if (!dir.ok) return dir;
    if (dir.value.attr.type === 'symlink') return fail('ELOOP');
    return ok({ dir: dir.value.id, name: baseName(p) });
  }

  mkdir(p: string, mode: number): Promise<FsResult> {
    return attempt(async () => {
      const at = await this.parent(p);
      if (!at.ok) return at;
      await this.union.mkdir(at.value.dir, at.value.name, { mode }, ROOT);
      return OK;
    });
  }

  write(p: string, offset: number, data: Buffer, opts: WriteOptions): Promise<FsResult> {
    return attempt(async () => {
      const at = await this.parent(p);
      if (!at.ok) return at;
      const { dir, name } = at.value;
      let id: bigint;
      if (opts.create && opts.exclusive) {
        // O_EXCL maps to a guarded CREATE: the engine must refuse an existing name.
        id = (await this.union.create(dir, name, { mode: 'guarded', attrs: { mode: opts.mode } }, ROOT)).fileid;
      } else {
        const existing = await attempt(async () => ok(await this.union.lookup(dir, name, ROOT)));
        if (existing.ok) {
          // The open() checks a client makes on the attributes it just looked up.
          if (existing.value.attr.type === 'dir') return fail('EISDIR');
          if (existing.value.attr.type === 'symlink') return fail('ELOOP');
          id = existing.value.fileid;
        } else if (existing.errno === 'ENOENT' && opts.create) {
          id = (await this.union.create(dir, name, { mode: 'unchecked', attrs: { mode: opts.mode } }, ROOT)).fileid;
        } else {
          return existing;
        }
      }
      await this.writeAll(id, offset, data);
      return OK;
    });
  }

  private async writeAll(id: bigint, offset: number, data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { count } = await this.union.write(id, BigInt(offset + done), data.subarray(done), 'file-sync', ROOT);
      if (count <= 0) throw new Error(`write of ${data.length - done} bytes at ${offset + done} made no progress`);
      done += count;
    }
  }

  /** Resolve `p` for a call that opens it: directories and symlinks cannot be opened for I/O. */
  private async openable(p: string, dirErrno: Errno): Promise<FsResult<Resolved>> {
    const r = await this.walk(p);
    if (!r.ok) return r;
    if (r.value.attr.type === 'dir') return fail(dirErrno);
    if (r.value.attr.type === 'symlink') return fail('ELOOP');
    return r;
  }

  truncate(p: string, size: number): Promise<FsResult> {
    return attempt(async () => {
      const r = await this.openable(p, 'EISDIR');
      if (!r.ok) return r;
      await this.union.setattr(r.value.id, { size: BigInt(size) }, ROOT);
      return OK;
    });
  }

  chmod(p: string, mode: number): Promise<FsResult> {
    return attempt(async () => {
      const r = await this.walk(p);
      if (!r.ok) return r;
      if (r.value.attr.type === 'symlink') return fail('ELOOP');
      await this.union.setattr(r.value.id, { mode }, ROOT);
      return OK;
    });
  }

  unlink(p: string): Promise<FsResult> {
    return attempt(async () => {
      const at = await this.parent(p);
      if (!at.ok) return at;
      await this.union.remove(at.value.dir, at.value.name, ROOT);
      return OK;
    });
  }

  rmdir(p: string): Promise<FsResult> {
    return attempt(async () => {
      const at = await this.parent(p);
      if (!at.ok) return at;
      await this.union.rmdir(at.value.dir, at.value.name, ROOT);
      return OK;
    });
  }

  rename(from: string, to: string): Promise<FsResult> {
    return attempt(async () => {
      const src = await this.parent(from);
      if (!src.ok) return src;
      const dst = await this.parent(to);
      if (!dst.ok) return dst;
      await this.union.rename(src.value.dir, src.value.name, dst.value.dir, dst.value.name, ROOT);
      return OK;
    });
  }

  symlink(target: string, p: string): Promise<FsResult> {
    return attempt(async () => {
      const at = await this.parent(p);
      if (!at.ok) return at;
      await this.union.symlink(at.value.dir, at.value.name, target, {}, ROOT);
      return OK;
    });
  }

  link(existing: string, newPath: string): Promise<FsResult> {
    return attempt(async () => {
      const src = await this.walk(existing);
      if (!src.ok) return src;
      const at = await this.parent(newPath);
      if (!at.ok) return at;
      await this.union.link(src.value.id, at.value.dir, at.value.name, ROOT);
      return OK;
    });
  }

  readdir(p: string): Promise<FsResult<string[]>> {
    return attempt(async () => {
      const r = await this.walk(p);
      if (!r.ok) return r;
      const entries = await this.listAll(r.value.id, p);
      return ok(entries.map((e) => e.name));
    });
  }

  /** Every entry of a directory, paging with the returned cookies; records contract breaches. */
  async listAll(dir: bigint, where: string): Promise<{ name: string; fileid: bigint }[]> {
    const out: { name: string; fileid: bigint }[] = [];
    const seenCookies = new Set<bigint>();
    let cookie = 0n;
    for (let page = 0; ; page++) {
      const res = await this.union.readdir(dir, cookie, this.readdirPage, { withAttrs: false }, ROOT);
      for (const e of res.entries) {
        if (e.cookie <= 2n) this.violations.push(`readdir ${where}: reserved cookie ${e.cookie} for ${e.name}`);
        if (seenCookies.has(e.cookie)) this.violations.push(`readdir ${where}: cookie ${e.cookie} repeated (${e.name})`);
        seenCookies.add(e.cookie);
        if (e.name === '.' || e.name === '..') this.violations.push(`readdir ${where}: returned ${e.name}`);
        out.push({ name: e.name, fileid: e.fileid });
      }
      if (res.eof) return out;
      if (res.entries.length === 0) throw new Error(`readdir ${where}: empty page without eof at cookie ${cookie}`);
      if (page > 1_000_000) throw new Error(`readdir ${where}: does not terminate`);
      cookie = res.entries[res.entries.length - 1].cookie;
    }
  }

  stat(p: string): Promise<FsResult<ObjStat>> {
    return attempt(async () => {
      const r = await this.walk(p);
      if (!r.ok) return r;
      return ok(objStatOfAttr(r.value.attr, r.value.id));
    });
  }

  readFile(p: string): Promise<FsResult<Buffer>> {
    return attempt(async () => {
      const r = await this.openable(p, 'EISDIR');
      if (!r.ok) return r;
      const chunks: Buffer[] = [];
      let offset = 0n;
      for (;;) {
        const { data, eof } = await this.union.read(r.value.id, offset, READ_CHUNK, ROOT);
        chunks.push(data);
        offset += BigInt(data.length);
        if (eof) return ok(Buffer.concat(chunks));
        if (data.length === 0) throw new Error(`read ${p}: no data and no eof at ${offset}`);
      }
    });
  }

  readlink(p: string): Promise<FsResult<string>> {
    return attempt(async () => {
      const r = await this.walk(p);
      if (!r.ok) return r;
      return ok(await this.union.readlink(r.value.id, ROOT));
    });
  }

  async close(): Promise<void> {
    await this.union.close();
  }
}

export function objStatOfAttr(attr: Attr, id: bigint): ObjStat {
  const type = attr.type === 'file' || attr.type === 'dir' || attr.type === 'symlink' ? attr.type : 'other';
  return {
    type,
    mode: attr.mode & 0o7777,
    nlink: attr.nlink,
    size: Number(attr.size),
    uid: attr.uid,
    gid: attr.gid,
    identity: id.toString(),
  };
}
