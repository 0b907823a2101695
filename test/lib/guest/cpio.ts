/**
 * A minimal writer for the cpio "newc" format, the only format the kernel's initramfs unpacker
 * reads. Written here so building the guest image needs no `cpio` binary and is byte-for-byte
 * reproducible (fixed mtimes and inode numbers).
 */

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer | string; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const TRAILER = 'TRAILER!!!';

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, path: string, data: Buffer): Buffer[] {
  const name = Buffer.from(`${path}\0`);
  const header =
    '070701' +
    hex8(ino) +
    hex8(mode) +
    hex8(0) + // uid
    hex8(0) + // gid
    hex8(mode & S_IFDIR ? 2 : 1) + // nlink
    hex8(0) + // mtime: fixed, so identical inputs give an identical archive
    hex8(data.length) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(0) + // rdevmajor
    hex8(0) + // rdevminor
    hex8(name.length) +
    hex8(0); // check (unused by newc)
  const headerAndName = Buffer.concat([Buffer.from(header, 'latin1'), name]);
  return [headerAndName, pad4(headerAndName.length), data, pad4(data.length)];
}

/** Serialises entries in order; parents must come before their children. */
export function buildCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, '');
    switch (entry.kind) {
      case 'dir':
        parts.push(...record(ino++, S_IFDIR | (entry.mode ?? 0o755), path, Buffer.alloc(0)));
        break;
      case 'file': {
        const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
        parts.push(...record(ino++, S_IFREG | (entry.mode ?? 0o644), path, data));
        break;
      }
      case 'symlink':
        parts.push(...record(ino++, S_IFLNK | 0o777, path, Buffer.from(entry.target)));
        break;
    }
  }
  parts.push(...record(0, 0, TRAILER, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
