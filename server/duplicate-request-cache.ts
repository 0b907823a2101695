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
import { AuthFlavor, type CallContext, type CallInterceptor, type RpcCallInfo } from '../protocol/rpc/index.js';

export interface DrcOptions {
  maxEntries?: number;
  maxBytes?: number;
  /** How long a finished reply is kept; clients retransmit within seconds to minutes. */
  maxAgeMs?: number;
}

interface Entry {
  /** The call's identity besides client address and XID (see sameCall). */
  transport: string;
  who: number;
  program: number;
  version: number;
  procedure: number;
  checksum: number;
  /** undefined while the call runs. */
  reply?: Buffer[];
  bytes: number;
  finishedAt: number;
  /** Where it is filed: its client's map (that of `address`), under its XID. */
  client: Map<number, Entry>;
  address: string;
  xid: number;
}

/** An entry's fixed cost in the byte bound (the key strings it used to carry, roughly). */
const ENTRY_BYTES = 64;

/** Arguments beyond this are not checksummed (knfsd does the same): WRITE data would cost too much. */
const CHECKSUM_PREFIX = 256;

/**
 * Entries are filed per client address, then by XID (two lookups on a number and on an address
 * string whose hash V8 keeps, instead of a composed string key hashed anew on every call); the
 * rest of a call's identity is compared field by field. `order` keeps them oldest first for
 * eviction.
 */
export class DuplicateRequestCache {
  private readonly clients = new Map<string, Map<number, Entry>>();
  private readonly order = new Set<Entry>();
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
    const { ctx } = call;
    const checksum = checksumOf(call.rawArgs);
    let client = this.clients.get(ctx.remoteAddress);
    if (!client) {
      client = new Map();
      this.clients.set(ctx.remoteAddress, client);
    }
    const hit = client.get(ctx.xid);
    const now = Date.now();
    if (hit && sameCall(hit, call, checksum) && (!hit.reply || now - hit.finishedAt <= this.maxAgeMs)) {
      if (!hit.reply) {
        this.stats.inProgressDrops++;
        return null;
      }
      this.stats.hits++;
      return hit.reply;
    }
    if (hit) this.drop(hit);
    this.stats.misses++;
    const entry: Entry = {
      transport: ctx.transport, who: whoOf(ctx), program: ctx.program, version: ctx.version, procedure: ctx.procedure,
      checksum, bytes: ENTRY_BYTES, finishedAt: 0, client, address: ctx.remoteAddress, xid: ctx.xid,
    };
    this.insert(entry);
    let reply: Buffer[];
    try {
      reply = await execute();
    } catch (e) {
      this.drop(entry);
      throw e;
    }
    if (this.order.has(entry)) {
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
    return this.order.size;
  }

  private insert(entry: Entry): void {
    entry.client.set(entry.xid, entry);
    this.order.add(entry);
    this.bytes += entry.bytes;
    this.evict();
  }

  private drop(entry: Entry): void {
    if (!this.order.delete(entry)) return;
    this.bytes -= entry.bytes;
    if (entry.client.get(entry.xid) === entry) entry.client.delete(entry.xid);
    if (entry.client.size === 0 && this.clients.get(entry.address) === entry.client) this.clients.delete(entry.address);
  }

  /**
   * Oldest first (a Set keeps insertion order); calls still running are kept, they are few.
   * Evicts down to 7/8 of the bounds at once: a Set keeps deleted slots at its front until it
   * next grows, and every eviction walks over them, so evicting one entry per insert cost a walk
   * over thousands of dead slots per call.
   */
  private evict(): void {
    if (this.order.size <= this.maxEntries && this.bytes <= this.maxBytes) return;
    const entries = this.maxEntries - (this.maxEntries >> 3);
    const bytes = this.maxBytes - (this.maxBytes >> 3);
    for (const e of this.order) {
      if (this.order.size <= entries && this.bytes <= bytes) break;
      if (e.reply) this.drop(e);
    }
  }
}

/** Whether `entry` is the same call as `call` (a retransmit), given the same client address and XID. */
function sameCall(entry: Entry, { ctx }: RpcCallInfo, checksum: number): boolean {
  return (
    entry.checksum === checksum && entry.procedure === ctx.procedure && entry.who === whoOf(ctx) &&
    entry.transport === ctx.transport && entry.program === ctx.program && entry.version === ctx.version
  );
}

/**
 * The caller's uid is part of a call's identity: another user on the same client host who guesses
 * an xid must not be handed (or plant) someone else's cached reply. The port is not: a client that
 * reconnects retransmits from a new one. -1: not AUTH_SYS.
 */
function whoOf(ctx: CallContext): number {
  return ctx.cred.flavor === AuthFlavor.AUTH_SYS ? ctx.cred.uid : -1;
}

function checksumOf(args: Buffer): number {
  return crc32(args.subarray(0, CHECKSUM_PREFIX), args.length);
}
