/**
 * The directories a union is made of, checked once at open: lowers (read-only, highest first),
 * upper, and work (same file system as the upper, holding the store, temporaries and the index of
 * copied-up hard-linked files).
 */

import { stat, access, mkdir, realpath, constants } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { UnionError } from './types.js';

export interface Layers {
  lowers: readonly string[];
  upper: string;
  work: string;
  /** Where copy-ups are built before being renamed into place. */
  tmpDir: string;
  /** work/index/<fileid>: data of copied-up lower files with several names. */
  indexDir: string;
  storePath: string;
}

async function checkDir(role: string, dir: string, writable: boolean): Promise<string> {
  let real: string;
  try {
    real = await realpath(dir);
    const st = await stat(real);
    if (!st.isDirectory()) throw new UnionError('ENOTDIR', `${role} directory ${dir} is not a directory`);
    await access(real, constants.R_OK | constants.X_OK | (writable ? constants.W_OK : 0));
  } catch (e) {
    if (e instanceof UnionError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UnionError('ENOENT', `${role} directory ${dir} does not exist`);
    throw new UnionError('EACCES', `${role} directory ${dir} is not ${writable ? 'writable' : 'readable'}: ${code}`);
  }
  return real;
}

function inside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** Validate and resolve the layer directories; create work/tmp and work/index. */
export async function openLayers(opts: { lowers: string[]; upper: string; work: string }): Promise<Layers> {
  if (opts.lowers.length === 0) throw new UnionError('EINVAL', 'at least one lower directory is needed');
  const lowers: string[] = [];
  for (const [i, l] of opts.lowers.entries()) lowers.push(await checkDir(`lower ${i + 1}`, l, false));
  const upper = await checkDir('upper', opts.upper, true);
  const work = await checkDir('work', opts.work, true);

  for (const [i, l] of lowers.entries()) {
    if (inside(upper, l)) throw new UnionError('EINVAL', `upper ${opts.upper} is inside lower ${opts.lowers[i]}`);
    if (inside(l, upper)) throw new UnionError('EINVAL', `lower ${opts.lowers[i]} is inside upper ${opts.upper}`);
    if (inside(work, l) || inside(l, work)) {
      throw new UnionError('EINVAL', `work ${opts.work} and lower ${opts.lowers[i]} overlap`);
    }
  }
  if (inside(work, upper) || inside(upper, work)) {
    throw new UnionError('EINVAL', `work ${opts.work} and upper ${opts.upper} must not contain each other`);
  }
  const [upperSt, workSt] = await Promise.all([stat(upper), stat(work)]);
  if (upperSt.dev !== workSt.dev) {
    throw new UnionError('EXDEV', `work ${opts.work} is not on the same file system as upper ${opts.upper}`);
  }
  const tmpDir = join(work, 'tmp');
  const indexDir = join(work, 'index');
  await mkdir(tmpDir, { recursive: true });
  await mkdir(indexDir, { recursive: true });
  return { lowers, upper, work, tmpDir, indexDir, storePath: join(work, 'store.db') };
}

/** Absolute path of a union-relative path ('' = root) under a layer root. */
export function under(root: string, rel: string): string {
  return rel === '' ? root : join(root, rel);
}
