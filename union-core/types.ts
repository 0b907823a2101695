/**
 * The public contract of union-core: the overlay engine. It knows nothing of NFS; the server maps
 * procedures onto these operations. Nodes are addressed by their stable fileid (a bigint that never
 * changes for a live object, never 0, shared by hard links) and names by strings.
 *
 * Every failure is a UnionError carrying a POSIX code; nothing else is thrown for file-system
 * conditions (a different throw is a bug and the server answers SERVERFAULT).
 */

export type ErrnoCode =
  | 'EPERM'
  | 'ENOENT'
  | 'EIO'
  | 'ENXIO'
  | 'EACCES'
  | 'EEXIST'
  | 'EXDEV'
  | 'ENODEV'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'EINVAL'
  | 'EFBIG'
  | 'ENOSPC'
  | 'EROFS'
  | 'EMLINK'
  | 'ENAMETOOLONG'
  | 'ENOTEMPTY'
  | 'EDQUOT'
  | 'ESTALE'
  | 'ENOTSUP'
  | 'ELOOP'
  | 'EBADF';

export class UnionError extends Error {
  constructor(
    readonly code: ErrnoCode,
    message?: string,
  ) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'UnionError';
  }
}

/** The caller's identity, from AUTH_SYS after squashing. uid 0 is root. */
export interface Caller {
  uid: number;
  gid: number;
  /** Supplementary groups. */
  groups: readonly number[];
}

export type NodeType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'socket' | 'fifo';

export interface Timespec {
  sec: number;
  nsec: number;
}

/** Attributes of the merged view of one object. */
export interface Attr {
  type: NodeType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: bigint;
  /** Bytes of storage used. */
  used: bigint;
  rdev: { major: number; minor: number };
  fileid: bigint;
  /** Changes when a fileid could ever be re-issued; part of file handles. */
  generation: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

/** Pre-operation attributes of a changed directory or file (RFC 1813 wcc_attr). */
export interface WccAttr {
  size: bigint;
  mtime: Timespec;
  ctime: Timespec;
}

/** Weak cache consistency of one object around a change. */
export interface Wcc {
  before?: WccAttr;
  after?: Attr;
}

/** 'server' = set to the server's current time (sattr3 SET_TO_SERVER_TIME). */
export type TimeSet = Timespec | 'server';

export interface SetAttrs {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: bigint;
  atime?: TimeSet;
  mtime?: TimeSet;
}

/** Data stability of a write, as asked or as achieved (RFC 1813 stable_how). */
export type Stability = 'unstable' | 'data-sync' | 'file-sync';

export type CreateHow =
  | { mode: 'unchecked'; attrs: SetAttrs }
  | { mode: 'guarded'; attrs: SetAttrs }
  /** Exclusive create: the 8-byte verifier is persisted; a retry with the same one succeeds. */
  | { mode: 'exclusive'; verifier: Buffer };

/** Access bits as in RFC 1813 ACCESS3_*. */
export const enum AccessBits {
  READ = 0x01,
  LOOKUP = 0x02,
  MODIFY = 0x04,
  EXTEND = 0x08,
  DELETE = 0x10,
  EXECUTE = 0x20,
}

export interface DirEntry {
  name: string;
  fileid: bigint;
  /** Opaque resume point; unique in the directory, never reused, always > 2. */
  cookie: bigint;
  type: NodeType;
  /** Present when attributes were asked for (READDIRPLUS). */
  attr?: Attr;
}

export interface ReaddirResult {
  entries: DirEntry[];
  /** True when the last entry returned is the last entry of the directory. */
  eof: boolean;
  /** The directory's attributes after listing. */
  dirAttr: Attr;
}

export interface StatFs {
  totalBytes: bigint;
  freeBytes: bigint;
  availBytes: bigint;
  totalFiles: bigint;
  freeFiles: bigint;
  availFiles: bigint;
}

/** One inconsistency found by `check`. */
export interface CheckProblem {
  kind: string;
  detail: string;
  /** Path in the merged namespace, when known. */
  path?: string;
}

export interface UnionOptions {
  /** Read-only lower directories, highest first. */
  lowers: string[];
  /** Writable upper directory. */
  upper: string;
  /** Work directory on the same file system as `upper` (temporaries and the metadata store). */
  work: string;
  /**
   * Apply owners/modes/device nodes for real (default: when running as root). When false they
   * are kept as overrides in the store.
   */
  privileged?: boolean;
  /**
   * How long an lstat of a lower object is reused, in ms (default 5000; 0 = stat every time).
   * Lowers are read-only; a lower changed underneath is noticed once its stat is taken again.
   */
  lowerStatTtlMs?: number;
  /**
   * Answer creations, removals and attribute changes once they are committed, without waiting
   * for stable storage (knfsd's `async` export option; default false). A power cut can then lose
   * the last few seconds of changes acknowledged (the upper file system's commit interval), but never the union's consistency: the
   * crash bookkeeping (journal.ts) still waits for the syncs, behind the answers. Renames,
   * copy-ups and file data keep their guarantees (WRITE stability and COMMIT as asked).
   */
  async?: boolean;
  /** Structured log sink; defaults to no logging. */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * The overlay engine. Obtain one with `Union.open(options)` (union-core/index.ts); it implements
 * this interface. All methods are async and durable on return: namespace changes and store rows are
 * on stable storage before the promise resolves (on an async union, UnionOptions.async, only
 * committed for creations, removals and attribute changes); file data per the requested stability.
 */
export interface ReaddirOptions {
  /** Each entry's attributes too (an entry whose object vanished underneath has none). */
  withAttrs: boolean;
  /**
   * Asked about each entry's name in cookie order: the listing ends before the first one refused
   * (and is then not at its end). A caller whose reply has room for fewer entries than `limit`
   * says so here, and the refused entries cost no node lookup or attributes.
   */
  fits?: (name: string) => boolean;
}

export interface UnionFs {
  /** fileid of the root directory (never changes). */
  readonly rootId: bigint;

  /**
   * Resolve a name in a directory; "." and ".." are allowed (the root's parent is the root).
   * Also gives the directory's attributes as the lookup saw them (NFS answers with both).
   */
  lookup(dir: bigint, name: string, caller: Caller): Promise<{ fileid: bigint; attr: Attr; dirAttr: Attr }>;
  getattr(id: bigint): Promise<Attr>;
  /** Apply attribute changes (metadata-only copy-up for lower files; size changes copy data). */
  setattr(id: bigint, attrs: SetAttrs, caller: Caller): Promise<Wcc>;
  /** Which of the asked AccessBits the caller has. */
  access(id: bigint, mask: number, caller: Caller): Promise<{ granted: number; attr: Attr }>;
  /** Read up to `count` bytes; into `into` (at least `count` long) when given, the data a view of it. */
  read(id: bigint, offset: bigint, count: number, caller: Caller, into?: Buffer): Promise<{ data: Buffer; eof: boolean; attr: Attr }>;
  write(
    id: bigint,
    offset: bigint,
    data: Buffer,
    stability: Stability,
    caller: Caller,
  ): Promise<{ count: number; committed: Stability; wcc: Wcc }>;
  /** Flush everything unstable of this file to stable storage. */
  commit(id: bigint): Promise<Wcc>;
  create(dir: bigint, name: string, how: CreateHow, caller: Caller): Promise<{ fileid: bigint; attr: Attr; dirWcc: Wcc }>;
  mkdir(dir: bigint, name: string, attrs: SetAttrs, caller: Caller): Promise<{ fileid: bigint; attr: Attr; dirWcc: Wcc }>;
  symlink(
    dir: bigint,
    name: string,
    target: string,
    attrs: SetAttrs,
    caller: Caller,
  ): Promise<{ fileid: bigint; attr: Attr; dirWcc: Wcc }>;
  readlink(id: bigint, caller: Caller): Promise<string>;
  mknod(
    dir: bigint,
    name: string,
    type: 'char' | 'block' | 'socket' | 'fifo',
    attrs: SetAttrs,
    rdev: { major: number; minor: number },
    caller: Caller,
  ): Promise<{ fileid: bigint; attr: Attr; dirWcc: Wcc }>;
  link(id: bigint, dir: bigint, name: string, caller: Caller): Promise<{ attr: Attr; dirWcc: Wcc }>;
  remove(dir: bigint, name: string, caller: Caller): Promise<{ dirWcc: Wcc }>;
  rmdir(dir: bigint, name: string, caller: Caller): Promise<{ dirWcc: Wcc }>;
  rename(
    fromDir: bigint,
    fromName: string,
    toDir: bigint,
    toName: string,
    caller: Caller,
  ): Promise<{ fromWcc: Wcc; toWcc: Wcc }>;
  /**
   * List a directory from `cookie` (0 = start), at most `limit` entries, in stable cookie order.
   * Never returns "." or "..". Cost is O(entries returned).
   */
  readdir(
    dir: bigint,
    cookie: bigint,
    limit: number,
    opts: ReaddirOptions,
    caller: Caller,
  ): Promise<ReaddirResult>;
  statfs(): Promise<StatFs>;
  /** Map a (fileid, generation) from a file handle back to a live object, or throw ESTALE. */
  resolve(fileid: bigint, generation: number): Promise<Attr>;
  /** Report inconsistencies between the store, the upper and the lowers. Changes nothing. */
  check(): Promise<CheckProblem[]>;
  /** Flush and close the store. */
  close(): Promise<void>;
}
