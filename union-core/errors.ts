/** Turning Node's fs errors into UnionError with a POSIX code, in one place. */

import { UnionError, type ErrnoCode } from './types.js';

const PASSED_THROUGH = new Set<string>([
  'EPERM', 'ENOENT', 'EIO', 'ENXIO', 'EACCES', 'EEXIST', 'ENODEV', 'ENOTDIR', 'EISDIR', 'EINVAL',
  'EFBIG', 'ENOSPC', 'EROFS', 'EMLINK', 'ENAMETOOLONG', 'ENOTEMPTY', 'EDQUOT', 'ESTALE', 'ELOOP',
  'EBADF',
]);

export function fail(code: ErrnoCode, message?: string): never {
  throw new UnionError(code, message);
}

/**
 * Map an error from the host file system to a UnionError. Codes with no POSIX twin in our set
 * become EIO (logged by the caller's caller), so a client never sees a raw Node error. EXDEV is
 * never passed through: the union promises renames across layers.
 */
export function fromFsError(e: unknown): UnionError {
  if (e instanceof UnionError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return new UnionError('ENOTSUP', String(e));
  if (code && PASSED_THROUGH.has(code)) return new UnionError(code as ErrnoCode, (e as Error).message);
  return new UnionError('EIO', (e as Error)?.message ?? String(e));
}

export function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === code;
}
