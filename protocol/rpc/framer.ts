/**
 * TCP record marking (RFC 5531 §11): a byte stream carries records, each record one or more
 * fragments, each fragment a 4-byte header (high bit = last fragment of the record, low 31 bits =
 * fragment length) followed by that many bytes.
 *
 * The framer is fed whatever the socket reads — part of a header, many records, a record spread
 * over many reads — and emits whole records. Two properties matter for a server:
 *
 * - Memory: the record-size cap is checked when a fragment header is parsed, before any of its
 *   bytes are buffered, so a peer announcing a 2 GiB record costs nothing but the connection.
 * - Copies: a single-fragment record that lies entirely inside one incoming chunk is emitted as a
 *   `subarray` view of that chunk. Only records split across reads (or across fragments) are
 *   joined, once, when they are complete.
 *
 * Views of incoming chunks are kept until the record completes, so chunks must not be reused by
 * the caller after `push` (true for buffers handed out by `net.Socket`) — unless the framer is
 * told they are `transient` (a socket reading into one buffer of ours, see tcp-server.ts): then
 * whatever outlives `push` is copied, once.
 *
 * With a pool, a big single-fragment record that spans reads (a WRITE's MiB) is copied into a
 * pooled buffer as its bytes arrive, and handed out beside the record: the receiver gives it back
 * once nothing refers to the record any more.
 */

import type { BufferPool } from './buffer-pool.js';

const LAST_FRAGMENT = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;
const HEADER_BYTES = 4;
/**
 * Smaller joined records are allocated: a slow call would hold a pooled MiB for a few hundred
 * bytes, and small allocations are cheap for the collector.
 */
const POOLED_FROM = 64 * 1024;

/** A peer announced a record bigger than the cap: the stream cannot be resynchronised. */
export class RecordTooLargeError extends Error {
  constructor(
    /** Record size so far including the announced fragment. */
    readonly size: number,
    readonly limit: number,
  ) {
    super(`RPC record of at least ${size} bytes exceeds the ${limit}-byte limit`);
    this.name = 'RecordTooLargeError';
  }
}

export class RecordFramer {
  /** Bytes of a fragment header received so far (a header may straddle reads). */
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  /** Bytes of the current fragment still to come; -1 while reading a header. */
  private fragmentLeft = -1;
  private fragmentIsLast = false;
  /** Pieces of the current record received so far (views of incoming chunks). */
  private parts: Buffer[] = [];
  /** Total bytes of the current record: received parts plus the announced remainder. */
  private recordSize = 0;
  /** A big record being copied straight into a pooled buffer (instead of `parts`). */
  private direct: { buffer: Buffer; fill: number } | null = null;
  private failed = false;

  /**
   * @param maxRecordSize largest record accepted (sum of its fragments, headers excluded).
   * @param onRecord called synchronously for each complete record, in stream order.
   * @param transient the caller reuses each chunk once `push` returns.
   */
  constructor(
    private readonly maxRecordSize: number,
    private readonly onRecord: (record: Buffer, pooled?: Buffer) => void,
    private readonly pool?: BufferPool,
    private readonly transient = false,
  ) {}

  /**
   * Consume one chunk of the stream. Throws RecordTooLargeError when a fragment would push the
   * record over the cap; records completed earlier in the same chunk have already been emitted,
   * and the framer refuses further input (the caller closes the connection).
   */
  push(chunk: Buffer): void {
    if (this.failed) throw new Error('RecordFramer used after a framing error');
    let at = 0;
    while (at < chunk.length) {
      if (this.fragmentLeft < 0) {
        at = this.readHeader(chunk, at);
        continue;
      }
      const take = Math.min(this.fragmentLeft, chunk.length - at);
      if (this.direct) {
        this.direct.fill += chunk.copy(this.direct.buffer, this.direct.fill, at, at + take);
      } else if (take === this.fragmentLeft && this.fragmentIsLast && this.parts.length === 0) {
        // Whole record inside this chunk: hand out a view, no copy (a copy of a transient chunk).
        this.fragmentLeft = -1;
        this.recordSize = 0;
        if (this.transient) this.emitCopy(chunk.subarray(at, at + take));
        else this.onRecord(chunk.subarray(at, at + take));
        at += take;
        continue;
      } else if (this.startDirect()) {
        this.direct!.fill = chunk.copy(this.direct!.buffer, 0, at, at + take);
      } else if (take > 0) {
        this.parts.push(this.transient ? Buffer.from(chunk.subarray(at, at + take)) : chunk.subarray(at, at + take));
      }
      at += take;
      this.fragmentLeft -= take;
      if (this.fragmentLeft === 0) this.endFragment();
    }
  }

  /** True when no partial header or record is buffered (the stream is at a record boundary). */
  idle(): boolean {
    return this.headerFill === 0 && this.fragmentLeft < 0 && this.parts.length === 0 && !this.direct;
  }

  /** Parse (part of) a fragment header starting at `at`; returns the new offset. */
  private readHeader(chunk: Buffer, at: number): number {
    let word: number;
    if (this.headerFill === 0 && chunk.length - at >= HEADER_BYTES) {
      word = chunk.readUInt32BE(at);
      at += HEADER_BYTES;
    } else {
      const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + take);
      this.headerFill += take;
      at += take;
      if (this.headerFill < HEADER_BYTES) return at;
      this.headerFill = 0;
      word = this.header.readUInt32BE(0);
    }
    const length = word & LENGTH_MASK;
    this.fragmentIsLast = (word & LAST_FRAGMENT) !== 0;
    this.recordSize += length;
    if (this.recordSize > this.maxRecordSize) {
      this.failed = true;
      this.parts = [];
      if (this.direct) this.pool?.give(this.direct.buffer);
      this.direct = null;
      throw new RecordTooLargeError(this.recordSize, this.maxRecordSize);
    }
    this.fragmentLeft = length;
    // An empty fragment completes immediately (an empty last fragment may end a record).
    if (length === 0) this.endFragment();
    return at;
  }

  /** Whether a record of `size` bytes goes into a pooled buffer. */
  private poolable(size: number): boolean {
    return this.pool !== undefined && size >= POOLED_FROM && size <= this.pool.size;
  }

  /**
   * At the first bytes of a record that will not fit in this chunk: a big single-fragment record
   * goes straight into a pooled buffer (one copy, no pieces kept).
   */
  private startDirect(): boolean {
    if (!this.fragmentIsLast || this.parts.length > 0 || this.fragmentLeft !== this.recordSize) return false;
    if (!this.poolable(this.recordSize)) return false;
    this.direct = { buffer: this.pool!.take(), fill: 0 };
    return true;
  }

  /** A whole record inside a transient chunk: copied, into a pooled buffer if big. */
  private emitCopy(view: Buffer): void {
    if (this.poolable(view.length)) this.emitPooled([view], view.length);
    else this.onRecord(Buffer.from(view));
  }

  /** Copy `parts` (`size` bytes in all) into a pooled buffer and hand it out with the record. */
  private emitPooled(parts: Buffer[], size: number): void {
    const pooled = this.pool!.take();
    let at = 0;
    for (const p of parts) at += p.copy(pooled, at);
    this.onRecord(pooled.subarray(0, size), pooled);
  }

  private endFragment(): void {
    this.fragmentLeft = -1;
    if (!this.fragmentIsLast) return;
    const parts = this.parts;
    const size = this.recordSize;
    const direct = this.direct;
    this.parts = [];
    this.recordSize = 0;
    this.direct = null;
    if (direct) return this.onRecord(direct.buffer.subarray(0, size), direct.buffer);
    if (parts.length === 1) return this.onRecord(parts[0]);
    if (this.poolable(size)) this.emitPooled(parts, size);
    else this.onRecord(Buffer.concat(parts, size));
  }
}
