/**
 * Creating names: create (unchecked / guarded / exclusive), mkdir, symlink, mknod, link.
 *
 * New objects are built complete (type, mode, owner) at their upper path before any row names
 * them (buildInPlace), so a full disk fails before anything becomes visible; the commit of the
 * rows is what makes them appear (journal.ts MadeEntry says how a crash ends). A new
 * directory is opaque: whatever a lower layer had under that name (a whiteout stood there) stays
 * hidden. New objects belong to the caller; in a setgid directory they take its group, and new
 * directories inherit the setgid bit.
 */

import { dirname, join } from 'node:path';
import type { BigIntStats } from 'node:fs';
import type { UnionContext } from './context.js';
import { makeEmptyFile, makeDir, makeSymlink, linkPath, lchownPath, upperLstat, renamePath, discard, type NewOwnership } from './upper-fs.js';
import type { Attr, Caller, NodeType, SetAttrs } from './types.js';
import { blankNode, type NodeRow } from './store.js';
import { checkName } from './names.js';
import { dirNode, nodeOf, upperPath } from './namespace.js';
import { attrOf, getAttr, inGroup, requirePerm, packRdev } from './attrs.js';
import { addEntry } from './lookup.js';
import { completeDir } from './readdir.js';
import { copyUp, ensureUpperDir } from './copy-up.js';
import { commitAndApply, tmpPath, type RenameStep } from './journal.js';
import { fail, isErrno } from './errors.js';

export interface NewObject {
  kind: NodeType;
  attrs: SetAttrs;
  /**
   * Build the object at `path` (EEXIST if taken) with this owner and mode (symlinks: owner only);
   * returns its stat when building it told that (else the path is lstat'ed).
   */
  build(path: string, own: NewOwnership): BigIntStats | void;
  verifier?: Buffer;
  rdev?: { major: number; minor: number };
}

const DEFAULT_MODE: Record<NodeType, number> = {
  file: 0o644, dir: 0o755, symlink: 0o777, char: 0o644, block: 0o644, socket: 0o644, fifo: 0o644,
};

/** Checks every creating operation shares: name, directory, permissions, directory state. */
export async function prepareParent(ctx: UnionContext, dirId: bigint, name: string, caller: Caller): Promise<Attr> {
  checkName(name, { creating: true });
  const dirAttr = await getAttr(ctx, dirNode(ctx, dirId));
  requirePerm(dirAttr, caller, 3);
  await completeDir(ctx, dirId);
  await ensureUpperDir(ctx, dirId);
  return dirAttr;
}

/**
 * If the upper holds something at `dest` that no row knows (a removal a crash undid, see
 * journal.ts, or put there by hand), move it aside so a new name can take its place.
 */
export function clearUntracked(ctx: UnionContext, dest: string): RenameStep[] {
  return upperLstat(dest) ? [{ from: dest, to: tmpPath(ctx, 'untracked') }] : [];
}

export async function createObject(
  ctx: UnionContext,
  dirId: bigint,
  name: string,
  obj: NewObject,
  caller: Caller,
  /** What to do when the name is taken (default EEXIST); runs under the name's lock. */
  onExisting?: (node: NodeRow) => Promise<Made>,
): Promise<Made> {
  const dirAttr = await prepareParent(ctx, dirId, name, caller);
  return ctx.locks.with([`name:${dirId}/${name}`], async () => {
    const existing = ctx.store.getEntry(dirId, name);
    if (existing) return onExisting ? onExisting(nodeOf(ctx, existing.id)) : fail('EEXIST');
    const setgidDir = (dirAttr.mode & 0o2000) !== 0;
    // Only root gives a new object away. Anyone else's owner in the create attributes is ignored,
    // as knfsd does (nfsd_create_setattr: IRIX sends its gid along): honouring it let any client,
    // squashed root included, create a file owned by root (mode 04777: a setuid-root program).
    const mayChown = caller.uid === 0;
    const uid = (mayChown ? obj.attrs.uid : undefined) ?? caller.uid;
    const gid = (mayChown ? obj.attrs.gid : undefined) ?? (setgidDir ? dirAttr.gid : caller.gid);
    let mode = (obj.attrs.mode ?? DEFAULT_MODE[obj.kind]) & 0o7777;
    if (obj.kind === 'dir' && setgidDir) mode |= 0o2000;
    // A group-executable set-group-ID file of a group the caller is not in (inherited from a setgid
    // directory) loses the bit unless root makes it (Linux inode_init_owner).
    else if (caller.uid !== 0 && (mode & 0o2010) === 0o2010 && !inGroup(caller, gid)) mode &= ~0o2000;
    const dest = join(upperPath(ctx, dirId), name);
    // Whatever is built is either named by committed rows or removed again, unless a crash
    // interrupts: the directory's sweep (journal.ts DirSweeps) covers that.
    return ctx.sweeps.within(ctx, dirId, async (committed) => {
      const built = await buildInPlace(ctx, obj, dest, ctx.privileged ? { uid, gid, mode } : { mode });
      // The directory changed here, not at the commit: forgotten now, its attributes read after
      // the commit are right for every creation built before it, and the creations answered by
      // one commit share one lstat of their directory.
      ctx.upperAttrs.forget(dirId);
      let created: NodeRow | undefined;
      let attr!: Attr;
      await commitAndApply(ctx, () => {
        if (ctx.store.getEntry(dirId, name)) fail('EEXIST');
        const id = ctx.store.allocateIds();
        created = {
          ...blankNode(id, obj.kind),
          upper: true,
          opaque: obj.kind === 'dir',
          complete: obj.kind === 'dir',
          uid: ctx.privileged ? null : uid,
          gid: ctx.privileged ? null : gid,
          mode: obj.kind === 'symlink' ? 0o777 : null,
          rdev: obj.rdev ? packRdev(obj.rdev) : null,
          verifier: obj.verifier ?? null,
        };
        ctx.store.putNode(created);
        addEntry(ctx, dirId, name, id);
        committed();
        // Remembered here, in the same tick as the rows appear, before anyone else can know the
        // id: whatever changes the object later forgets these attributes after it (attr-cache.ts).
        // A first listing or lookup after a burst of creations then needs no lstat per file.
        attr = attrOf(ctx, created, built);
        ctx.upperAttrs.remember(id, attr);
        return { renames: [], syncDirs: [dirname(dest)], made: { dir: dirId, name, id, path: dest }, swept: true };
      }, {
        refused: () => {
          // The rows were not committed: the id may be handed out again.
          if (created) ctx.upperAttrs.forget(created.id);
          return discard(dest).finally(() => ctx.upperAttrs.forget(dirId));
        },
      });
      return { node: created!, attr };
    });
  });
}

/**
 * Build a new object at its upper path `dest`, complete with owner and mode, before any row names
 * it (so the union does not show it yet). Building where it belongs puts the new inode among the
 * directory's other inodes and needs no rename (a temporary name beside it, renamed into place,
 * cost an eighth of a creation). Something untracked at `dest` (journal.ts MadeEntry) is moved
 * aside first. A build that fails (a full disk) removes what it made: nothing names it. Returns
 * the new object's lstat.
 */
async function buildInPlace(ctx: UnionContext, obj: NewObject, dest: string, own: NewOwnership): Promise<BigIntStats> {
  let built: BigIntStats | null | void;
  try {
    try {
      built = obj.build(dest, own);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e;
      for (const step of clearUntracked(ctx, dest)) {
        renamePath(step.from, step.to);
        await discard(step.to);
      }
      built = obj.build(dest, own);
    }
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) await discard(dest);
    throw e;
  }
  built ??= upperLstat(dest);
  if (!built) fail('EIO', 'new object vanished while being built');
  return built;
}

/**
 * A created (or opened) object and its attributes when it was made: the answer's fallback when
 * a concurrent remove takes the name before the attributes can be read again.
 */
export interface Made {
  node: NodeRow;
  attr: Attr;
}

export function newFile(attrs: SetAttrs, verifier?: Buffer): NewObject {
  return { kind: 'file', attrs, verifier, build: makeEmptyFile };
}

export function newDir(attrs: SetAttrs): NewObject {
  return { kind: 'dir', attrs, build: makeDir };
}

export function newSymlink(target: string, attrs: SetAttrs): NewObject {
  if (target.length === 0) fail('EINVAL', 'empty symlink target');
  if (Buffer.byteLength(target) > 4095) fail('ENAMETOOLONG', 'symlink target too long');
  return {
    kind: 'symlink',
    attrs,
    build: (p, own) => {
      makeSymlink(target, p);
      if (own.uid !== undefined && own.gid !== undefined) lchownPath(p, own.uid, own.gid);
    },
  };
}

/**
 * Device nodes, FIFOs and sockets are empty placeholder files whose type and device number the
 * store keeps: the union serves them to NFS clients (which create the real thing on their side)
 * whether or not the server may call mknod, and the lowers' own device nodes are served the same.
 */
export function newSpecial(kind: 'char' | 'block' | 'socket' | 'fifo', attrs: SetAttrs, rdev: { major: number; minor: number }): NewObject {
  return { kind, attrs, rdev: kind === 'char' || kind === 'block' ? rdev : undefined, build: makeEmptyFile };
}

/** link(2): a new name for an existing non-directory. */
export async function linkRule(ctx: UnionContext, id: bigint, dirId: bigint, name: string, caller: Caller): Promise<void> {
  const target = nodeOf(ctx, id);
  await prepareParent(ctx, dirId, name, caller);
  // Linux reports an existing name before refusing a directory.
  if (ctx.store.getEntry(dirId, name)) fail('EEXIST');
  if (target.kind === 'dir') fail('EPERM', 'hard link to a directory');
  await copyUp(ctx, id);
  await ctx.locks.with([`name:${dirId}/${name}`, `id:${id}`], async () => {
    if (ctx.store.getEntry(dirId, name)) fail('EEXIST');
    const node = nodeOf(ctx, id);
    if (node.indexed) {
      // All names of an indexed file are rows; the data has one home in work/index.
      await commitAndApply(ctx, () => {
        if (ctx.store.getEntry(dirId, name)) fail('EEXIST');
        requireStillNamed(ctx, id);
        const n = nodeOf(ctx, id);
        ctx.store.putNode({ ...n, nlink: (n.nlink ?? 1) + 1 });
        addEntry(ctx, dirId, name, id);
        return { renames: [] };
      });
      return;
    }
    const tmp = tmpPath(ctx, 'link');
    linkPath(upperPath(ctx, id), tmp);
    const dest = join(upperPath(ctx, dirId), name);
    const aside = clearUntracked(ctx, dest);
    await commitAndApply(
      ctx,
      () => {
        if (ctx.store.getEntry(dirId, name)) fail('EEXIST');
        requireStillNamed(ctx, id);
        addEntry(ctx, dirId, name, id);
        return { renames: [...aside, { from: tmp, to: dest }] };
      },
      { temporaries: [tmp] },
    );
  });
}

/**
 * Inside link's commit: the object may have lost its last name since link looked at it (an
 * unlink does not take the object's lock). Adding a name then would leave an entry naming a
 * deleted object, which made every later operation on that directory fail with ESTALE.
 */
function requireStillNamed(ctx: UnionContext, id: bigint): void {
  if (!ctx.store.getNode(id) || ctx.store.countLinks(id) === 0) fail('ENOENT', 'the file was removed meanwhile');
}
