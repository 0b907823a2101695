/**
 * The exports being served: each is one union (opened from its layers) plus what the server keeps
 * beside it — the handle key, the fsid, the client rules. Handles carry the export id, so one NFS
 * program serves every export and a handle can never reach into another export unnoticed.
 */

import type { Credentials } from '../protocol/rpc/index.js';
import { OBJECT_CACHE_MAX, PackedCache, Union, type Caller, type UnionFs } from '../union-core/index.js';
import { clientAllowed } from './client-rules.js';
import type { ExportConfig } from './config.js';
import { HandleCodec, peekHandle, type HandleKey } from './file-handle.js';
import { loadHandleKey } from './handle-key.js';
import { callerFor } from './identity-mapping.js';

/**
 * Handles remembered per export (READDIRPLUS makes one per entry, every call checks one; each
 * needs a MAC: see file-handle.ts), as their MAC in a row of two numbers: ~70 bytes per handle
 * with its Map slot, where a Buffer each took ~170 (12 MiB of a 100,000-file server's heap).
 */
const HANDLE_MEMO_MAX = OBJECT_CACHE_MAX;

export class ServedExport {
  readonly handles: HandleCodec;
  readonly exportId: number;
  /** fsid in every fattr3 of this export: the export id, so two exports never look alike. */
  readonly fsid: bigint;
  readonly rootHandle: Buffer;
  /** Allow-list decisions per client address (lists are fixed while serving). */
  private readonly allowedCache = new Map<string, boolean>();
  private readonly macMemo = new PackedCache(HANDLE_MEMO_MAX, 2, 0);

  constructor(
    readonly config: ExportConfig,
    readonly union: UnionFs,
    handleKey: HandleKey,
    /** The union's epoch: handles from an earlier incarnation of the work directory are stale. */
    readonly generation: number,
  ) {
    this.exportId = handleKey.exportId;
    this.handles = new HandleCodec(handleKey);
    this.fsid = BigInt(this.exportId);
    this.rootHandle = this.handles.encode(union.rootId, generation);
  }

  static async open(config: ExportConfig, log: ServedExportLog): Promise<ServedExport> {
    const handleKey = await loadHandleKey(config.work);
    const union = await Union.open({ lowers: config.lowers, upper: config.upper, work: config.work, async: config.async, log });
    try {
      const root = await union.getattr(union.rootId);
      return new ServedExport(config, union, handleKey, root.generation);
    } catch (e) {
      await union.close();
      throw e;
    }
  }

  /** The handle of an object of this export (a fresh Buffer; its MAC memoized). */
  handleOf(fileid: bigint): Buffer {
    return this.remembered(fileid) ?? this.handlesOf([fileid])[0];
  }

  /**
   * The handles of `fileids` (a listing page's): remembered ones rebuilt, the others' MACs
   * computed together (HandleCodec.encodeMany) and memoized.
   */
  handlesOf(fileids: readonly bigint[]): Buffer[] {
    const handles: Buffer[] = [];
    const missing: number[] = [];
    fileids.forEach((fileid, i) => {
      const fh = this.remembered(fileid);
      if (fh) handles[i] = fh;
      else missing.push(i);
    });
    if (missing.length === 0) return handles;
    const made = this.handles.encodeMany(missing.map((i) => fileids[i]), this.generation);
    missing.forEach((i, k) => {
      handles[i] = made[k];
      this.memoizeMac(fileids[i], made[k]);
    });
    return handles;
  }

  /** The handle of `fileid` rebuilt from its memoized MAC, if it is memoized. */
  private remembered(fileid: bigint): Buffer | undefined {
    const memo = this.macMemo;
    const row = memo.find(fileid);
    return row < 0 ? undefined : this.handles.withMac(fileid, this.generation, memo.nums[row * 2], memo.nums[row * 2 + 1]);
  }

  /**
   * Whether `fh`, peeked as this export's handle of (fileid, generation), carries a valid MAC.
   * The memo holds the MACs of genuine current handles, so a handle whose MAC equals the memo's
   * for its fileid is that handle (its other bytes are its peeked fields): no MAC to compute.
   * Both words are compared whatever the first gives, so the time taken tells nothing about a
   * guess. A miss checks the MAC and memoizes it (a 100,000-file pass missed a 65,536-entry set
   * of verified handles on every call: an eighth of SETATTR's CPU).
   */
  authentic(fh: Buffer, fileid: bigint, generation: number): boolean {
    const current = generation === this.generation;
    if (current) {
      const row = this.macMemo.find(fileid);
      if (row >= 0) {
        const nums = this.macMemo.nums;
        const hiSame = HandleCodec.macWord(fh, 0) === nums[row * 2];
        const loSame = HandleCodec.macWord(fh, 1) === nums[row * 2 + 1];
        return (Number(hiSame) & Number(loSame)) === 1;
      }
    }
    if (!this.handles.verify(fh)) return false;
    if (current) this.memoizeMac(fileid, fh);
    return true;
  }

  private memoizeMac(fileid: bigint, fh: Buffer): void {
    const at = this.macMemo.claim(fileid) * 2;
    this.macMemo.nums[at] = HandleCodec.macWord(fh, 0);
    this.macMemo.nums[at + 1] = HandleCodec.macWord(fh, 1);
  }

  callerFor(cred: Credentials): Caller {
    return callerFor(cred, this.config);
  }

  allows(remoteAddress: string): boolean {
    let ok = this.allowedCache.get(remoteAddress);
    if (ok === undefined) {
      ok = clientAllowed(this.config.allow, remoteAddress);
      if (this.allowedCache.size > 4096) this.allowedCache.clear();
      this.allowedCache.set(remoteAddress, ok);
    }
    return ok;
  }

  /** --secure: the client must call from a reserved port (< 1024). */
  portAcceptable(remotePort: number): boolean {
    return !this.config.secure || remotePort < 1024;
  }
}

type ServedExportLog = NonNullable<Parameters<typeof Union.open>[0]['log']>;

/** Every export, by export id (from handles) and by path (from MOUNT). */
export class ExportTable {
  private readonly byId = new Map<number, ServedExport>();
  private readonly byPath = new Map<string, ServedExport>();

  constructor(readonly all: readonly ServedExport[]) {
    for (const e of all) {
      if (this.byId.has(e.exportId)) {
        throw new Error(`exports ${this.byId.get(e.exportId)!.config.path} and ${e.config.path} share a work directory key (export id ${e.exportId})`);
      }
      this.byId.set(e.exportId, e);
      this.byPath.set(normalizeExportPath(e.config.path), e);
    }
  }

  /** The export a handle claims to belong to (its MAC is checked by the caller). */
  forHandle(fh: Buffer): { exp: ServedExport; fileid: bigint; generation: number } | undefined {
    const f = peekHandle(fh);
    if (!f) return undefined;
    const exp = this.byId.get(f.exportId);
    return exp ? { exp, fileid: f.fileid, generation: f.generation } : undefined;
  }

  forPath(path: string): ServedExport | undefined {
    return this.byPath.get(normalizeExportPath(path));
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.all.map((e) => e.union.close()));
  }
}

/** "/union/" and "/union" name the same export (clients differ on trailing slashes). */
export function normalizeExportPath(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
