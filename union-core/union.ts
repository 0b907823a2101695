/**
 * The union: opens the layers and the store, recovers interrupted operations, and exposes the
 * operations of UnionFs, each delegating to the file that holds its rule. Every failure leaves as
 * a UnionError with a POSIX code.
 */

import { statfs, readlink } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import type {
  UnionFs, UnionOptions, Caller, Attr, SetAttrs, Stability, CreateHow, Wcc, ReaddirOptions, ReaddirResult, StatFs, CheckProblem,
} from './types.js';
import { AccessBits, UnionError } from './types.js';
import { openLayers } from './layers.js';
import { MetadataStore, SCHEMA_VERSION, ROOT_ID, blankNode, type NodeRow } from './store.js';
import { KeyedLock, DirSyncer, MetadataBarrier, NamespaceLock, type UnionContext, type LogFn } from './context.js';
import { recoverJournal, DirSweeps } from './journal.js';
import { ensureLowerLinkIndex } from './lower-links.js';
import { journalLessExt4 } from './journal-check.js';
import { fromFsError, fail } from './errors.js';
import { nodeOf, dirNode, backingPath, dirPlaces, backingFileAt, LOWER_AT_CACHE_MAX, PATH_CACHE_MAX } from './namespace.js';
import { getAttr, permBits, wccOf, DEFAULT_LOWER_STAT_TTL_MS, LOWER_STAT_MAX } from './attrs.js';
import { lookupNode, reachByLowerName } from './lookup.js';
import { readdirRule } from './readdir.js';
import { readRule, writeRule, commitRule } from './data.js';
import { setattrRule } from './setattr.js';
import { createObject, newFile, newDir, newSymlink, newSpecial, linkRule, type Made } from './create.js';
import { removeRule, rmdirRule } from './whiteout.js';
import { renameRule } from './rename.js';
import { checkUnion } from './check.js';
import { UpperAttrCache } from './attr-cache.js';
import { BoundedMap } from './bounded-map.js';
import { IdMap } from './id-map.js';
import { LowerStatCache } from './lower-stat-cache.js';
import { OpenFiles } from './open-files.js';

const noLog: LogFn = () => {};

export class Union implements UnionFs {
  readonly rootId = ROOT_ID;

  private constructor(private readonly ctx: UnionContext) {}

  /**
   * Runs one operation, mapping file-system errors to UnionErrors. Renames run alone (see
   * NamespaceLock): they change the upper paths of existing objects, which every other operation
   * derives from the rows. A 'change' may change any attributes; `{ changes }` only those of the
   * named objects, each forgotten by its rule right after it changed (attr-cache.ts).
   */
  private async op<T>(fn: () => Promise<T>, kind: 'query' | 'change' | 'rename' | { changes: bigint[] } = 'change'): Promise<T> {
    const { namespace, upperAttrs } = this.ctx;
    try {
      const result = await (kind === 'query'
        ? namespace.shared(fn)
        : kind === 'change'
          ? namespace.shared(() => upperAttrs.duringChange(fn))
          : kind === 'rename'
            ? namespace.exclusive(() => upperAttrs.duringChange(fn))
            : namespace.shared(() => upperAttrs.duringChangeOf(kind.changes, fn)));
      // Whatever the answer rests on is committed before it leaves (store.ts: batches).
      const committing = this.ctx.store.settled();
      if (committing) await committing;
      return result;
    } catch (e) {
      throw fromFsError(e);
    }
  }

  /**
   * Open (or create) a union. Fails with a UnionError naming the problem: a missing or unreadable
   * directory, layers nested in each other, work on another file system (EXDEV), a work directory
   * of a different union, or a store written by a newer version.
   */
  static async open(opts: UnionOptions): Promise<Union> {
    const layers = await openLayers(opts);
    let store: MetadataStore;
    try {
      store = new MetadataStore(layers.storePath);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_BUSY') {
        throw new UnionError('EINVAL', `work directory ${opts.work} is in use by another fallthru process`);
      }
      throw new UnionError('EIO', `cannot open the metadata store in ${opts.work}: ${String(e)}`);
    }
    const signature = JSON.stringify({ lowers: layers.lowers, upper: layers.upper });
    const version = store.getMeta('schema_version');
    if (version !== undefined && Number(version) > SCHEMA_VERSION) {
      store.close();
      throw new UnionError('EINVAL', `the store in ${opts.work} was written by a newer fallthru (schema ${version} > ${SCHEMA_VERSION})`);
    }
    const known = store.getMeta('layers');
    if (known !== undefined && known !== signature) {
      store.close();
      throw new UnionError('EINVAL', `work directory ${opts.work} belongs to a different union (layers were ${known})`);
    }
    if (known === undefined) {
      store.transaction(() => {
        store.setMeta('schema_version', String(SCHEMA_VERSION));
        store.setMeta('layers', signature);
        store.setMeta('epoch', String(randomInt(1, 0x7fff_ffff)));
        store.putNode({ ...blankNode(ROOT_ID, 'dir'), upper: true, layer: 0 });
      });
    }
    store.markOpened();
    const ctx: UnionContext = {
      store,
      layers,
      epoch: Number(store.getMeta('epoch')),
      privileged: opts.privileged ?? process.getuid?.() === 0,
      lowerStatTtlMs: opts.lowerStatTtlMs ?? DEFAULT_LOWER_STAT_TTL_MS,
      async: opts.async ?? false,
      log: opts.log ?? noLog,
      locks: new KeyedLock(),
      syncer: new DirSyncer(),
      metadata: new MetadataBarrier(),
      applying: new Set(),
      sweeps: new DirSweeps(),
      namespace: new NamespaceLock(),
      cache: {
        rel: new IdMap(PATH_CACHE_MAX),
        lowerRel: new IdMap(PATH_CACHE_MAX),
        lowerAt: new BoundedMap(LOWER_AT_CACHE_MAX),
        lowerStat: new LowerStatCache(LOWER_STAT_MAX),
      },
      upperAttrs: new UpperAttrCache(),
      openFiles: new OpenFiles(),
    };
    const device = ctx.async ? undefined : journalLessExt4(layers.upper);
    if (device) {
      ctx.log('warn', 'the upper is on an ext4 without a journal: a change answered just before a power failure may be lost (see the README on durability)', { upper: layers.upper, device });
    }
    await recoverJournal(ctx);
    await ensureLowerLinkIndex(ctx);
    return new Union(ctx);
  }

  lookup(dir: bigint, name: string, caller: Caller) {
    return this.op(async () => {
      const { node, dirAttr } = await lookupNode(this.ctx, dir, name, caller);
      if (node.id === dir) return { fileid: node.id, attr: dirAttr, dirAttr };
      return { fileid: node.id, attr: await getAttr(this.ctx, node, backingFileAt(await dirPlaces(this.ctx, dirNode(this.ctx, dir)), name, node)), dirAttr };
    }, 'query');
  }

  getattr(id: bigint): Promise<Attr> {
    return this.op(() => getAttr(this.ctx, nodeOf(this.ctx, id)), 'query');
  }

  setattr(id: bigint, attrs: SetAttrs, caller: Caller): Promise<Wcc> {
    // A size change may copy the file up (new upper directories on the way): a wide change.
    return this.op(() => setattrRule(this.ctx, id, attrs, caller), attrs.size === undefined ? { changes: [id] } : 'change');
  }

  /** Changes of object `id` alone when it is on the upper already, else a wide one (copy-up). */
  private onlyIfUpper(id: bigint): { changes: bigint[] } | 'change' {
    const node = this.ctx.store.getNode(id);
    return node && (node.upper || node.indexed) ? { changes: [id] } : 'change';
  }

  access(id: bigint, mask: number, caller: Caller) {
    return this.op(async () => {
      const attr = await getAttr(this.ctx, nodeOf(this.ctx, id));
      const bits = permBits(attr, caller);
      const isDir = attr.type === 'dir';
      let granted = 0;
      if (bits & 4) granted |= AccessBits.READ;
      if (bits & 2) granted |= AccessBits.MODIFY | AccessBits.EXTEND | (isDir ? AccessBits.DELETE : 0);
      if (bits & 1) granted |= isDir ? AccessBits.LOOKUP : AccessBits.EXECUTE;
      return { granted: granted & mask, attr };
    }, 'query');
  }

  read(id: bigint, offset: bigint, count: number, caller: Caller, into?: Buffer) {
    // Reads leave the atime alone (O_NOATIME), except where the server may not use it.
    return this.op(() => readRule(this.ctx, id, offset, count, caller, into), this.ctx.privileged ? 'query' : { changes: [id] });
  }

  write(id: bigint, offset: bigint, data: Buffer, stability: Stability, caller: Caller) {
    return this.op(() => writeRule(this.ctx, id, offset, data, stability, caller), this.onlyIfUpper(id));
  }

  commit(id: bigint): Promise<Wcc> {
    return this.op(() => commitRule(this.ctx, id), { changes: [id] });
  }

  create(dir: bigint, name: string, how: CreateHow, caller: Caller) {
    // A file made in an upper directory changes that directory and itself; opening an existing
    // file with a size (copy-up, truncate) is a wide change.
    const reach = how.mode !== 'exclusive' && how.attrs.size !== undefined ? 'change' : this.onlyIfUpper(dir);
    return this.creating(dir, reach, async (ctx): Promise<Made> => {
      if (how.mode === 'exclusive') {
        const existing = ctx.store.getEntry(dir, name);
        const node = existing && nodeOf(ctx, existing.id);
        // A retransmitted exclusive create finds its own verifier: same file, success.
        if (node?.verifier && node.verifier.equals(how.verifier)) return { node, attr: await getAttr(ctx, node) };
        return createObject(ctx, dir, name, newFile({}, Buffer.from(how.verifier)), caller);
      }
      // UNCHECKED over an existing regular file opens it, applying a requested size — decided
      // under the name's lock, so a remove of the name cannot slip in between.
      const open = async (node: NodeRow): Promise<Made> => {
        if (node.kind !== 'file') fail('EEXIST');
        if (how.attrs.size !== undefined) await setattrRule(ctx, node.id, { size: how.attrs.size }, caller);
        return { node, attr: await getAttr(ctx, nodeOf(ctx, node.id)) };
      };
      return createObject(ctx, dir, name, newFile(how.attrs), caller, how.mode === 'unchecked' ? open : undefined);
    });
  }

  mkdir(dir: bigint, name: string, attrs: SetAttrs, caller: Caller) {
    return this.creating(dir, 'change', (ctx) => createObject(ctx, dir, name, newDir(attrs), caller));
  }

  symlink(dir: bigint, name: string, target: string, attrs: SetAttrs, caller: Caller) {
    return this.creating(dir, 'change', (ctx) => createObject(ctx, dir, name, newSymlink(target, attrs), caller));
  }

  mknod(dir: bigint, name: string, type: 'char' | 'block' | 'socket' | 'fifo', attrs: SetAttrs, rdev: { major: number; minor: number }, caller: Caller) {
    return this.creating(dir, 'change', (ctx) => createObject(ctx, dir, name, newSpecial(type, attrs, rdev), caller));
  }

  /**
   * Shared shape of the creating operations: directory wcc around the creation. The object's
   * attributes are those it was made (or opened) with: read once it was in place, and nothing
   * but rows changed since, so a concurrent remove cannot turn a creation that happened into an
   * error.
   */
  private creating(dir: bigint, reach: 'change' | { changes: bigint[] }, make: (ctx: UnionContext) => Promise<Made>) {
    return this.op(async () => {
      const before = wccOf(await getAttr(this.ctx, dirNode(this.ctx, dir)));
      // createObject forgot the directory's attributes when it changed the directory.
      const made = await make(this.ctx);
      return { fileid: made.node.id, attr: made.attr, dirWcc: { before, after: await getAttr(this.ctx, dirNode(this.ctx, dir)) } };
    }, reach);
  }

  readlink(id: bigint, _caller: Caller): Promise<string> {
    return this.op(async () => {
      const node = nodeOf(this.ctx, id);
      if (node.kind !== 'symlink') fail('EINVAL', 'not a symlink');
      return readlink(backingPath(this.ctx, node));
    }, 'query');
  }

  link(id: bigint, dir: bigint, name: string, caller: Caller) {
    return this.op(async () => {
      const before = wccOf(await getAttr(this.ctx, dirNode(this.ctx, dir)));
      await linkRule(this.ctx, id, dir, name, caller);
      return {
        attr: await getAttr(this.ctx, nodeOf(this.ctx, id)),
        dirWcc: { before, after: await getAttr(this.ctx, dirNode(this.ctx, dir)) },
      };
    });
  }

  remove(dir: bigint, name: string, caller: Caller) {
    // Unlinking a file changes the directory and the file (whiteout.ts forgets it); a directory's
    // removal moves a tree aside: wide.
    return this.changingDir(dir, this.onlyIfUpper(dir), () => removeRule(this.ctx, dir, name, caller));
  }

  rmdir(dir: bigint, name: string, caller: Caller) {
    return this.changingDir(dir, 'change', () => rmdirRule(this.ctx, dir, name, caller));
  }

  private changingDir(dir: bigint, reach: 'change' | { changes: bigint[] }, change: () => Promise<void>) {
    return this.op(async () => {
      const before = wccOf(await getAttr(this.ctx, dirNode(this.ctx, dir)));
      await change();
      this.ctx.upperAttrs.forget(dir);
      return { dirWcc: { before, after: await getAttr(this.ctx, dirNode(this.ctx, dir)) } };
    }, reach);
  }

  rename(fromDir: bigint, fromName: string, toDir: bigint, toName: string, caller: Caller) {
    return this.op(async () => {
      const fromBefore = wccOf(await getAttr(this.ctx, dirNode(this.ctx, fromDir)));
      const toBefore = wccOf(await getAttr(this.ctx, dirNode(this.ctx, toDir)));
      await renameRule(this.ctx, fromDir, fromName, toDir, toName, caller);
      return {
        fromWcc: { before: fromBefore, after: await getAttr(this.ctx, dirNode(this.ctx, fromDir)) },
        toWcc: { before: toBefore, after: await getAttr(this.ctx, dirNode(this.ctx, toDir)) },
      };
    }, 'rename');
  }

  readdir(dir: bigint, cookie: bigint, limit: number, opts: ReaddirOptions, caller: Caller): Promise<ReaddirResult> {
    return this.op(() => readdirRule(this.ctx, dir, cookie, limit, opts, caller), 'query');
  }

  statfs(): Promise<StatFs> {
    return this.op(async () => {
      const s = await statfs(this.ctx.layers.upper, { bigint: true });
      return {
        totalBytes: s.blocks * s.bsize,
        freeBytes: s.bfree * s.bsize,
        availBytes: s.bavail * s.bsize,
        totalFiles: s.files,
        freeFiles: s.ffree,
        availFiles: s.ffree,
      };
    }, 'query');
  }

  resolve(fileid: bigint, generation: number): Promise<Attr> {
    return this.op(async () => {
      if (generation !== this.ctx.epoch) fail('ESTALE', 'handle from another union instance');
      const node = this.ctx.store.getNode(fileid);
      if (!node) fail('ESTALE');
      if (fileid !== ROOT_ID && !this.ctx.store.linkOf(fileid) && !(await reachByLowerName(this.ctx, node))) fail('ESTALE');
      return getAttr(this.ctx, node);
    }, 'query');
  }

  check(): Promise<CheckProblem[]> {
    return this.op(() => checkUnion(this.ctx), 'query');
  }

  async close(): Promise<void> {
    // An async union's last attribute changes are not synced yet: one fsync of the upper covers
    // every metadata change before it (MetadataBarrier).
    if (this.ctx.async) await this.ctx.metadata.after(this.ctx.layers.upper);
    await this.ctx.sweeps.flush(this.ctx);
    await this.ctx.store.durable();
    this.ctx.openFiles.closeAll();
    this.ctx.store.close();
  }
}
