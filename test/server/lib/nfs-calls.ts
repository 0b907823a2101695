/**
 * Calls shared by the server's security and cache tests: path walks, and one call of each
 * procedure that changes the export (for "every mutating procedure is refused" checks).
 */

import { Createmode3, Ftype3, Nfs3Proc, Nfsstat3, StableHow } from '../../../protocol/nfs3/index.js';
import type { NfsTestClient } from './nfs-client.js';

export async function lookupPath(client: NfsTestClient, from: Buffer, path: string): Promise<Buffer> {
  let fh = from;
  for (const name of path.split('/').filter(Boolean)) {
    const r = await client.call(Nfs3Proc.LOOKUP, { dir: fh, name });
    if (r.status !== Nfsstat3.NFS3_OK) throw new Error(`LOOKUP ${name}: status ${r.status}`);
    fh = r.object;
  }
  return fh;
}

/** Every name of a directory, READDIR in pages (the dots included). */
export async function listNames(client: NfsTestClient, dir: Buffer): Promise<string[]> {
  const names: string[] = [];
  let cookie = 0n;
  for (;;) {
    const r = await client.call(Nfs3Proc.READDIR, { dir, cookie, cookieverf: Buffer.alloc(8), count: 4096 });
    if (r.status !== Nfsstat3.NFS3_OK) throw new Error(`READDIR: status ${r.status}`);
    for (const e of r.entries) names.push(e.name);
    if (r.eof) return names;
    cookie = r.entries[r.entries.length - 1].cookie;
  }
}

export interface MutationTargets {
  /** A regular file (SETATTR, WRITE, LINK source). */
  file: Buffer;
  /** A directory holding `victim` (a file) and `victimDir` (an empty directory). */
  dir: Buffer;
  victim: string;
  victimDir: string;
}

/**
 * One call of each of the ten procedures that change an export, aimed so that each would succeed
 * on a writable export with a permitted caller.
 */
export function mutatingCalls(client: NfsTestClient, t: MutationTargets): Array<[string, () => Promise<{ status: Nfsstat3 }>]> {
  const { file, dir } = t;
  return [
    ['SETATTR', () => client.call(Nfs3Proc.SETATTR, { object: file, newAttributes: { mode: 0o777 } })],
    ['WRITE', () => client.call(Nfs3Proc.WRITE, { file, offset: 0n, count: 4, stable: StableHow.FILE_SYNC, data: Buffer.from('EVIL') })],
    ['CREATE', () => client.call(Nfs3Proc.CREATE, { where: { dir, name: 'new-file' }, how: { mode: Createmode3.UNCHECKED, objAttributes: {} } })],
    ['MKDIR', () => client.call(Nfs3Proc.MKDIR, { where: { dir, name: 'new-dir' }, attributes: {} })],
    ['SYMLINK', () => client.call(Nfs3Proc.SYMLINK, { where: { dir, name: 'new-link' }, symlink: { symlinkAttributes: {}, symlinkData: 'target' } })],
    ['MKNOD', () => client.call(Nfs3Proc.MKNOD, { where: { dir, name: 'new-fifo' }, what: { type: Ftype3.NF3FIFO, pipeAttributes: {} } })],
    ['REMOVE', () => client.call(Nfs3Proc.REMOVE, { object: { dir, name: t.victim } })],
    ['RMDIR', () => client.call(Nfs3Proc.RMDIR, { object: { dir, name: t.victimDir } })],
    ['RENAME', () => client.call(Nfs3Proc.RENAME, { from: { dir, name: t.victim }, to: { dir, name: 'renamed' } })],
    ['LINK', () => client.call(Nfs3Proc.LINK, { file, link: { dir, name: 'new-hardlink' } })],
  ];
}
