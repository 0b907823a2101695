/**
 * FsUnderTest over a real directory through node:fs: used on a kernel overlayfs mount point (the
 * oracle) and, in self-tests, on a second mount built from separate copies of the same layers.
 */
import { constants as C, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  type Errno,
  type FsResult,
  type FsUnderTest,
  type ObjStat,
  type ObjType,
  type WriteOptions,
  OK,
  fail,
  ok,
  parentOf,
} from './fs-under-test.js';

const KNOWN_ERRNOS = new Set<string>([
  'EPERM', 'ENOENT', 'EIO', 'ENXIO', 'EACCES', 'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR',
  'EINVAL', 'EFBIG', 'ENOSPC', 'EROFS', 'EMLINK', 'ENAMETOOLONG', 'ENOTEMPTY', 'EDQUOT', 'ESTALE',
  'ENOTSUP', 'ELOOP', 'EBADF', 'EBUSY',
]);

/** Turn a node:fs rejection into an errno result; anything that is not an errno is a harness bug. */
async function attempt<T>(fn: () => Promise<T>): Promise<FsResult<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EOPNOTSUPP') return fail('ENOTSUP');
    if (code !== undefined && KNOWN_ERRNOS.has(code)) return fail(code as Errno);
    throw err;
  }
}

export function objTypeOfMode(mode: number): ObjType {
  switch (mode & C.S_IFMT) {
    case C.S_IFREG: return 'file';
    case C.S_IFDIR: return 'dir';
    case C.S_IFLNK: return 'symlink';
    default: return 'other';
  }
}

export class KernelFs implements FsUnderTest {
  constructor(
    readonly label: string,
    private readonly root: string,
  ) {
    // Modes passed to mkdir/create are the modes wanted, as in an NFS CREATE's attributes; the
    // process umask would otherwise clear group/other bits on this side only.
    process.umask(0);
  }

  private abs(p: string): string {
    return p === '' ? this.root : path.join(this.root, p);
  }

  /**
   * The shared no-follow rule: ELOOP when an ancestor of `p` is a symlink. Returns 'broken' when
   * the chain stops at a missing or non-directory component (the real call reports that error).
   */
  private async ancestorCheck(p: string): Promise<'ok' | 'broken' | 'symlink'> {
    const parts = parentOf(p) === '' ? [] : parentOf(p).split('/');
    let cur = '';
    for (const part of parts) {
      cur = cur === '' ? part : `${cur}/${part}`;
      let st;
      try {
        st = await fsp.lstat(this.abs(cur));
      } catch {
        return 'broken';
      }
      if (st.isSymbolicLink()) return 'symlink';
      if (!st.isDirectory()) return 'broken';
    }
    return 'ok';
  }

  /** Run `op` unless one of the paths (checked in order, like the kernel resolves them) crosses a symlink. */
  private async unlessSymlinkAncestor<T>(paths: string[], op: () => Promise<FsResult<T>>): Promise<FsResult<T>> {
    for (const p of paths) {
      const chain = await this.ancestorCheck(p);
      if (chain === 'symlink') return fail('ELOOP');
      if (chain === 'broken') break;
    }
    return op();
  }

  private guarded<T>(paths: string[], call: () => Promise<T>): Promise<FsResult<T>> {
    return this.unlessSymlinkAncestor(paths, () => attempt(call));
  }

  private async exists(p: string): Promise<boolean> {
    try {
      await fsp.lstat(this.abs(p));
      return true;
    } catch {
      return false;
    }
  }

  /** For the calls node cannot make no-follow: is the final component a symlink? */
  private async finalIsSymlink(p: string): Promise<boolean> {
    try {
      return (await fsp.lstat(this.abs(p))).isSymbolicLink();
    } catch {
      return false;
    }
  }

  mkdir(p: string, mode: number): Promise<FsResult> {
    return this.guarded([p], () => fsp.mkdir(this.abs(p), { mode }));
  }

  write(p: string, offset: number, data: Buffer, opts: WriteOptions): Promise<FsResult> {
    let flags = C.O_WRONLY | C.O_NOFOLLOW;
    if (opts.create) flags |= C.O_CREAT;
    if (opts.exclusive) flags |= C.O_EXCL;
    return this.guarded([p], async () => {
      const fh = await fsp.open(this.abs(p), flags, opts.mode);
      try {
        if (data.length > 0) await fh.write(data, 0, data.length, offset);
      } finally {
        await fh.close();
      }
    });
  }

  truncate(p: string, size: number): Promise<FsResult> {
    return this.guarded([p], async () => {
      const fh = await fsp.open(this.abs(p), C.O_WRONLY | C.O_NOFOLLOW);
      try {
        await fh.truncate(size);
      } finally {
        await fh.close();
      }
    });
  }

  chmod(p: string, mode: number): Promise<FsResult> {
    return this.unlessSymlinkAncestor([p], async () =>
      (await this.finalIsSymlink(p)) ? fail('ELOOP') : attempt(() => fsp.chmod(this.abs(p), mode)),
    );
  }

  unlink(p: string): Promise<FsResult> {
    return this.guarded([p], () => fsp.unlink(this.abs(p)));
  }

  rmdir(p: string): Promise<FsResult> {
    return this.guarded([p], () => fsp.rmdir(this.abs(p)));
  }

  rename(from: string, to: string): Promise<FsResult> {
    return this.guarded([from, to], () => fsp.rename(this.abs(from), this.abs(to)));
  }

  symlink(target: string, p: string): Promise<FsResult> {
    return this.guarded([p], () => fsp.symlink(target, this.abs(p)));
  }

  link(existing: string, newPath: string): Promise<FsResult> {
    // link(2) resolves the existing name completely before the new one's parent: a missing
    // source is ENOENT whatever the new path crosses.
    const call = () => attempt(() => fsp.link(this.abs(existing), this.abs(newPath)));
    return this.unlessSymlinkAncestor([existing], async () =>
      (await this.exists(existing)) ? this.unlessSymlinkAncestor([newPath], call) : call(),
    );
  }

  readdir(p: string): Promise<FsResult<string[]>> {
    // A symlink is not a directory under the no-follow rule.
    return this.unlessSymlinkAncestor([p], async () =>
      (await this.finalIsSymlink(p)) ? fail('ENOTDIR') : attempt(() => fsp.readdir(this.abs(p))),
    );
  }

  stat(p: string): Promise<FsResult<ObjStat>> {
    return this.guarded([p], async () => {
      const st = await fsp.lstat(this.abs(p));
      return {
        type: objTypeOfMode(st.mode),
        mode: st.mode & 0o7777,
        nlink: st.nlink,
        size: st.size,
        uid: st.uid,
        gid: st.gid,
        identity: `${st.dev}:${st.ino}`,
      };
    });
  }

  readFile(p: string): Promise<FsResult<Buffer>> {
    return this.guarded([p], async () => {
      const fh = await fsp.open(this.abs(p), C.O_RDONLY | C.O_NOFOLLOW);
      try {
        return await fh.readFile();
      } finally {
        await fh.close();
      }
    });
  }

  readlink(p: string): Promise<FsResult<string>> {
    return this.guarded([p], () => fsp.readlink(this.abs(p)));
  }

  async close(): Promise<void> {}
}
