/**
 * The file system every layer of a run lives on: by default a fresh ext4, made for the run on a
 * sparse image in the scratch directory and loop-mounted (mkfs defaults, so with a journal, as
 * an admin's disk would be), and removed at the end.
 *
 * Why not the machine's own file system: creation costs there depended on the recent past. This
 * machine's root ext4 has no journal, and ext4 without one skips every inode freed in the last
 * minute or more when it allocates a new one. After a phase removed 30,000 files, each creation of
 * the next phase (or of the other server's next round) scanned past them: a third of a creation's
 * CPU, varying from round to round with what ran before. A file system of its own also keeps both
 * servers' layers, lowers included, on one device, as overlayfs expects (with layers on two file
 * systems, ganesha answered NFS3ERR_XDEV for upper files).
 *
 * `--fs=shared` keeps the old behaviour (layers in the machine's temporary directory); so does
 * a machine where the image cannot be made or mounted, and the report says so.
 */

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './proc.js';

export interface BenchFs {
  /** Where layers go: the mounted file system, or a directory on the machine's own one. */
  root: string;
  /** One phrase for the report. */
  description: string;
  /** Unmount and delete the image (nothing for a shared directory). */
  release(): Promise<void>;
}

/** Sparse: only what the run writes takes space (the 1 GiB file, the trees, the store). */
const IMAGE_BYTES = 64 * 2 ** 30;

/**
 * A fresh ext4 with room for `inodes` objects, mounted at `<scratch>/fs`; or, when that cannot be
 * made (`why` says), the directory `<scratch>/layers` on the machine's file system.
 */
export async function makeBenchFs(scratch: string, kind: 'ext4' | 'shared', inodes: number, log: (line: string) => void): Promise<BenchFs> {
  const shared = (why: string): BenchFs => {
    const root = join(scratch, 'layers');
    mkdirSync(root, { recursive: true });
    return { root, description: `the machine's own file system (${why})`, release: async () => undefined };
  };
  if (kind === 'shared') return shared('--fs=shared');
  const image = join(scratch, 'fs.img');
  const root = join(scratch, 'fs');
  try {
    await runCommand('truncate image', 'truncate', ['-s', String(IMAGE_BYTES), image], 30_000);
    // Inode tables and the journal are left to be zeroed lazily, and the mount does not zero them
    // behind our back either (noinit_itable): a scratch file system needs neither, and the
    // background zeroing would run during the measurements.
    await runCommand('mkfs.ext4', 'mkfs.ext4', ['-F', '-q', '-m', '0', '-N', String(inodes), '-E', 'lazy_itable_init=1,lazy_journal_init=1', image], 120_000);
    mkdirSync(root);
    await runCommand('mount bench fs', 'mount', ['-o', 'loop,noinit_itable', image, root], 60_000);
  } catch (e) {
    rmSync(image, { force: true });
    const why = `a fresh ext4 could not be made: ${String((e as Error).message ?? e).split('\n')[0]}`;
    log(`e2e: layers on the machine's own file system: ${why}`);
    return shared(why);
  }
  log(`e2e: layers on a fresh ext4 (${inodes.toLocaleString('en-US')} inodes) at ${root}`);
  return {
    root,
    description: `a fresh journalled ext4 made for the run (loop-mounted sparse image, mkfs defaults, ${inodes.toLocaleString('en-US')} inodes)`,
    release: async () => {
      await unmount(root);
      rmSync(image, { force: true });
    },
  };
}

async function unmount(dir: string): Promise<void> {
  try {
    await runCommand('unmount bench fs', 'umount', [dir], 120_000);
  } catch {
    // Something still holds it (a killed server's last file): detach it, the kernel frees it later.
    await runCommand('unmount bench fs (lazy)', 'umount', ['-l', dir], 30_000).catch(() => undefined);
  }
}

/** Unmount whatever is mounted at or below `dir` (left by a run that was killed), deepest first. */
export async function unmountBelow(dir: string): Promise<void> {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const p of points) await runCommand(`unmount ${p}`, 'umount', ['-l', p], 30_000).catch(() => undefined);
}
