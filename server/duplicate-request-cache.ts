/**
 * Duplicate request cache for non-idempotent procedures (RFC 1813 section 4.4; traps: a retried
 * REMOVE must not answer NOENT, a retried CREATE GUARDED must not answer EXIST).
 *
 * Keyed on client address (not port: a client that reconnects comes from a new one), transport,
 * XID, program, version, procedure and a checksum of the arguments — an XID reused by a different
 * call is not a retransmit. States:
 *   in progress  a retransmit of a call still running is dropped (the original answers);
 *   done         a retransmit gets the saved reply, byte for byte, without running again.
 * Bounded by entry count and bytes (oldest first out) and by age.
 */

import { crc32 } from 'node:zlib';
import { ByteSlab } from './byte-slab.js';
import { AuthFlavor, type CallInterceptor, type RpcCallInfo } from '../protocol/rpc/index.js';

export interface DrcOptions {
  maxEntries?: number;
  maxBytes?: number;
  /** How long a finished reply is kept; clients retransmit within seconds to minutes. */
  maxAgeMs?: number;
}

interface Entry {
  checksum: number;
  /** undefined while the call runs. */
  reply?: Buffer[];
  bytes: number;
  finishedAt: number;
}

/** Arguments beyond this are not checksummed (knfsd does the same): WRITE data would cost too much. */
const CHECKSUM_PREFIX = 256;

export class DuplicateRequestCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly slab = new ByteSlab(64 * 1024);
  readonly stats = { hits: 0, inProgressDrops: 0, misses: 0 };
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;

  constructor(options: DrcOptions = {}) {
    this.maxEntries = options.maxEntries ?? 16384;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 120_000;
  }

  readonly interceptor: CallInterceptor = async (call, execute) => {
    if (!call.proc.cacheReply) return execute();
    const key = keyOf(call);
    const checksum = checksumOf(call.rawArgs);
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.checksum === checksum && (!hit.reply || now - hit.finishedAt <= this.maxAgeMs)) {
      if (!hit.reply) {
        this.stats.inProgressDrops++;
        return null;
      }
      this.stats.hits++;
      return hit.reply;
    }
    if (hit) this.drop(key, hit);
    this.stats.misses++;
    const entry: Entry = { checksum, bytes: key.length, finishedAt: 0 };
    this.insert(key, entry);
    let reply: Buffer[];
    try {
      reply = await execute();
    } catch (e) {
      this.drop(key, entry);
      throw e;
    }
    if (this.entries.get(key) === entry) {
      // A copy: the reply's own buffers are views of shared pool chunks (byte-slab.ts).
      const saved = this.slab.copyOf(reply);
      entry.reply = [saved];
      entry.finishedAt = Date.now();
      entry.bytes += saved.length;
      this.bytes += saved.length;
      this.evict();
    }
    return reply;
  };

  get size(): number {
    return this.entries.size;
  }

  private insert(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    this.evict();
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  /**
   * Oldest first (Map keeps insertion order); calls still running are kept, they are few. Evicts
   * down to 7/8 of the bounds at once: a Map keeps deleted slots at its front until it next grows,
   * and every eviction walks over them, so evicting one entry per insert cost a walk over
   * thousands of dead slots per call.
   */
  private evict(): void {
    if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) return;
    const entries = this.maxEntries - (this.maxEntries >> 3);
    const bytes = this.maxBytes - (this.maxBytes >> 3);
    for (const [key, e] of this.entries) {
      if (this.entries.size <= entries && this.bytes <= bytes) break;
      if (e.reply) this.drop(key, e);
    }
  }
}

/**
 * The caller's uid is part of the key: another user on the same client host who guesses an xid
 * must not be handed (or plant) someone else's cached reply. The port is not: a client that
 * reconnects retransmits from a new one.
 */
function keyOf({ ctx }: RpcCallInfo): string {
  const who = ctx.cred.flavor === AuthFlavor.AUTH_SYS ? ctx.cred.uid : 'none';
  return `${ctx.remoteAddress}|${ctx.transport}|${who}|${ctx.xid}|${ctx.program}|${ctx.version}|${ctx.procedure}`;
}

function checksumOf(args: Buffer): number {
  return crc32(args.subarray(0, CHECKSUM_PREFIX), args.length);
}
