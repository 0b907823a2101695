/**
 * Kernel overlayfs as the reference oracle. Options chosen to match what union-core promises:
 *   redirect_dir=on  directory renames across layers work instead of failing with EXDEV;
 *   index=on         lower hard links stay one file after copy-up.
 * metacopy=on and nfs_export=on change nothing a path-level observer can see, so they are off.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface OverlayLayout {
  /** Highest first. */
  lowers: string[];
  upper: string;
  work: string;
  mountpoint: string;
}

export async function mountOverlay(layout: OverlayLayout): Promise<void> {
  for (const dir of [layout.upper, layout.work, layout.mountpoint]) await fsp.mkdir(dir, { recursive: true });
  const options = [
    `lowerdir=${layout.lowers.join(':')}`,
    `upperdir=${layout.upper}`,
    `workdir=${layout.work}`,
    'redirect_dir=on',
    'index=on',
  ].join(',');
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', options, layout.mountpoint]);
}

/** Unmount, tolerating "not mounted" so teardown can always call it. */
export function unmountQuiet(mountpoint: string): void {
  try {
    execFileSync('umount', [mountpoint], { stdio: 'ignore' });
  } catch {
    // Not mounted (never got that far, or already unmounted).
  }
}

/** A fresh directory under the OS temp dir. */
export function makeTempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `fallthru-${prefix}-`));
}

/** Remove a temp dir after unmounting anything mounted below it. */
export async function removeTempDir(dir: string, mountpoints: string[]): Promise<void> {
  for (const mp of mountpoints) unmountQuiet(mp);
  await fsp.rm(dir, { recursive: true, force: true });
}
