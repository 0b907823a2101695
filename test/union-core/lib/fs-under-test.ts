/**
 * The one interface every side of the differential and crash tests implements: path-based
 * operations with POSIX-ish results. Paths are relative to the union root, '/'-separated, with
 * '' meaning the root itself.
 *
 * Harness rule shared by all adapters (so no adapter needs to follow symlinks): paths never
 * follow symlinks. A symlink as an intermediate component, or as the final component of an
 * operation that would open it (write, truncate, chmod, readFile), fails with ELOOP, exactly like
 * the kernel with O_NOFOLLOW / RESOLVE_NO_SYMLINKS.
 */
import type { ErrnoCode } from '../../../union-core/types.js';

/** Any errno an adapter may report; the union-core codes plus the few only the kernel uses. */
export type Errno = ErrnoCode | 'EBUSY';

export type FsResult<T = void> = { ok: true; value: T } | { ok: false; errno: Errno };

export type ObjType = 'file' | 'dir' | 'symlink' | 'other';

/** The visible attributes the harness compares (see the difference table in differential.test.ts). */
export interface ObjStat {
  type: ObjType;
  mode: number;
  nlink: number;
  size: number;
  uid: number;
  gid: number;
  /**
   * Opaque object identity (st_dev:st_ino, or fileid): never compared across sides, only used to
   * group the names of one object (hard links).
   */
  identity: string;
}

export interface WriteOptions {
  /** O_CREAT: create the file when missing. */
  create: boolean;
  /** O_EXCL: fail with EEXIST when the name exists. */
  exclusive: boolean;
  /** Mode of a newly created file. */
  mode: number;
}

export interface FsUnderTest {
  readonly label: string;
  mkdir(path: string, mode: number): Promise<FsResult>;
  /** open(O_WRONLY|O_NOFOLLOW[|O_CREAT][|O_EXCL]) then pwrite `data` at `offset` (if non-empty). */
  write(path: string, offset: number, data: Buffer, opts: WriteOptions): Promise<FsResult>;
  truncate(path: string, size: number): Promise<FsResult>;
  chmod(path: string, mode: number): Promise<FsResult>;
  unlink(path: string): Promise<FsResult>;
  rmdir(path: string): Promise<FsResult>;
  rename(from: string, to: string): Promise<FsResult>;
  symlink(target: string, path: string): Promise<FsResult>;
  link(existing: string, newPath: string): Promise<FsResult>;
  /** Names in the directory, in the order the side lists them, duplicates kept. */
  readdir(path: string): Promise<FsResult<string[]>>;
  /** lstat-like: never follows the final symlink. */
  stat(path: string): Promise<FsResult<ObjStat>>;
  readFile(path: string): Promise<FsResult<Buffer>>;
  readlink(path: string): Promise<FsResult<string>>;
  close(): Promise<void>;
}

export const ok = <T>(value: T): FsResult<T> => ({ ok: true, value });
export const OK: FsResult = { ok: true, value: undefined };
export const fail = (errno: Errno): { ok: false; errno: Errno } => ({ ok: false, errno });

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** True when `path` is `ancestor` or lies below it. */
export function isWithin(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}/`);
}
