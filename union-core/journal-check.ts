/**
 * Whether the upper is on an ext4 without a journal. A sync union's durability leans on ordered
 * journal commits: one fsync (of a directory, or of the object changed last) carries earlier
 * metadata changes with it. ext4 made without a journal (`mkfs.ext4 -O ^has_journal`, common on
 * VM images and scratch disks) writes each inode on its own, so after a power loss an answered
 * change can be missing. The union still works there; it says so once, at open.
 *
 * Linux only: ext2/3/4 share statfs magic 0xEF53; the kernel lists every mounted ext4 under
 * /proc/fs/ext4/<device> and each journal under /proc/fs/jbd2/<device>-<inode 8>. The device name
 * comes from the upper's st_dev through /sys/dev/block (a mount's source may be a /dev/mapper or
 * /dev/disk alias, the kernel's name is not).
 */

import { existsSync, readlinkSync, statfsSync, statSync } from 'node:fs';
import { basename } from 'node:path';

const EXT_SUPER_MAGIC = 0xef53;

/** The ext4 device `path` is on when it is one without a journal, else undefined. */
export function journalLessExt4(path: string): string | undefined {
  try {
    if (statfsSync(path).type !== EXT_SUPER_MAGIC) return undefined;
    const dev = statSync(path).dev;
    // Linux's encoding of a dev_t in st_dev (new_encode_dev).
    const major = (dev >> 8) & 0xfff;
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    const device = basename(readlinkSync(`/sys/dev/block/${major}:${minor}`));
    if (!existsSync(`/proc/fs/ext4/${device}`)) return undefined; // ext2/3, or not told
    return existsSync(`/proc/fs/jbd2/${device}-8`) ? undefined : device;
  } catch {
    return undefined; // not Linux, or nothing to tell: no claim either way
  }
}
