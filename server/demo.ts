/**
 * `fallthru demo`: a small generated lower tree and the defaults to serve it without root.
 *
 *   DIR/lower/   generated once, same bytes and times on every machine:
 *                  README.txt, docs/guide.txt, docs/notes/todo.txt, src/hello.sh (0755),
 *                  data/numbers.txt + data/numbers-link.txt (one file, two names),
 *                  guide -> docs/guide.txt (symlink), empty/
 *   DIR/upper/   what clients change
 *   DIR/work/    the union's store and temporaries
 *
 * An existing DIR/lower is reused as it is, so a second run serves the same union with the
 * changes made in the first; removing DIR starts over.
 */

import { chmod, link, lstat, mkdir, rename, rm, symlink, lutimes, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SERVER_DEFAULTS, type ServerSettings } from './config-values.js';

const GUIDE = `fallthru demo: a guided tour
============================

This directory is the merged view of a read-only lower layer and a writable upper layer.
Try, from the client:

  echo changed >> README.txt     the file is copied up; the lower copy stays untouched
  rm data/numbers-link.txt       a whiteout hides it; data/numbers.txt keeps its data
  mkdir scratch && touch scratch/a
  ls -l                          readdir merges both layers, with stable cookies

On the server, DIR/upper shows every change and DIR/lower never changes.
`;

/** Path (relative to lower/) → contents. Directories are created as needed. */
const FILES: ReadonlyArray<readonly [string, string]> = [
  ['README.txt', 'This file comes from the lower layer of the fallthru demo.\nSee docs/guide.txt.\n'],
  ['docs/guide.txt', GUIDE],
  ['docs/notes/todo.txt', '- copy-up on first write\n- whiteouts for deletions\n- redirects for renamed directories\n'],
  ['src/hello.sh', '#!/bin/sh\necho "hello from the lower layer"\n'],
  ['data/numbers.txt', Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join('')],
];
const EXECUTABLE = new Set(['src/hello.sh']);
const HARD_LINKS: ReadonlyArray<readonly [string, string]> = [['data/numbers.txt', 'data/numbers-link.txt']];
const SYMLINKS: ReadonlyArray<readonly [string, string]> = [['guide', 'docs/guide.txt']];
const EMPTY_DIRS = ['empty'];

/** Every generated object's atime and mtime, so two demo trees are identical to `ls -l`. */
const FIXED_TIME = new Date('2024-01-01T00:00:00Z');

/** Write the demo lower tree into `root` (an empty or missing directory). Throws fs errors. */
export async function writeDemoLower(root: string): Promise<void> {
  const dirs = new Set<string>(['', ...EMPTY_DIRS]);
  for (const [path] of FILES) for (let d = dirname(path); d !== '.'; d = dirname(d)) dirs.add(d);
  for (const d of dirs) await mkdir(join(root, d), { recursive: true });
  for (const [path, text] of FILES) {
    await writeFile(join(root, path), text);
    await chmod(join(root, path), EXECUTABLE.has(path) ? 0o755 : 0o644);
  }
  for (const [target, name] of HARD_LINKS) await link(join(root, target), join(root, name));
  for (const [name, target] of SYMLINKS) await symlink(target, join(root, name));

  for (const [path] of FILES) await utimes(join(root, path), FIXED_TIME, FIXED_TIME);
  for (const [name] of SYMLINKS) await lutimes(join(root, name), FIXED_TIME, FIXED_TIME);
  // Directories last, deepest first: creating an entry changes its parent's mtime.
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    await chmod(join(root, d), 0o755);
    await utimes(join(root, d), FIXED_TIME, FIXED_TIME);
  }
}

export interface DemoTree {
  lower: string;
  upper: string;
  work: string;
  /** False when DIR/lower already existed and was reused. */
  created: boolean;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Make DIR/lower (generated, unless it exists), DIR/upper and DIR/work. The lower tree is built
 * beside its final name and renamed into place, so an interrupted run leaves no half tree that a
 * later run would serve. Throws fs errors.
 */
export async function prepareDemoTree(dir: string): Promise<DemoTree> {
  const tree = { lower: join(dir, 'lower'), upper: join(dir, 'upper'), work: join(dir, 'work') };
  await mkdir(dir, { recursive: true });
  let created = false;
  if (!(await exists(tree.lower))) {
    const building = join(dir, `lower.building-${process.pid}`);
    try {
      await writeDemoLower(building);
      await rename(building, tree.lower);
      created = true;
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  }
  await mkdir(tree.upper, { recursive: true });
  await mkdir(tree.work, { recursive: true });
  return { ...tree, created };
}

/**
 * Server settings for the demo. As root: those of serve (standard ports, portmapper auto). Otherwise ports that
 * need no privilege and stay clear of a host NFS server (2049, 20048), and no portmapper: a
 * built-in one needs root for port 111, and rpcbind takes registrations sent to 127.0.0.1 only
 * from reserved ports.
 * The mount command printed at startup then carries the ports.
 */
export function demoDefaults(isRoot = process.getuid?.() === 0): ServerSettings {
  return isRoot ? { ...SERVER_DEFAULTS } : { ...SERVER_DEFAULTS, nfsPort: 12049, mountPort: 12048, portmap: 'none' };
}
