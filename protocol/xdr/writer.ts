/**
 * XDR (RFC 4506) encoder: a message is written into a buffer; when it is full, the bytes written
 * so far become a finished chunk and writing goes on in a new, larger buffer. Nothing is copied
 * to grow: a READDIRPLUS reply of 40 KiB, grown by copying from 512 bytes, allocated 128 KiB and
 * copied 64 KiB on its way. No per-field allocations.
 *
 * Large opaques (READ data, READLINK targets are small and copied) can be appended by reference
 * with `opaqueRef`: the writer then emits a list of chunks — its own bytes, the caller's buffer,
 * its own bytes again — and the transport hands that list to the socket. A 1 MiB READ reply is
 * therefore never copied by the encoder; the only copy is the kernel's.
 *
 * Positions handed out by `position()` are logical offsets in the final message, so a caller can
 * reserve a slot and fill it in later (`patchUint32`).
 */

const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

/** Opaques at least this long are referenced, not copied, by `opaqueRef`. */
export const XDR_REF_THRESHOLD = 2048;

/** Buffers double up to this size, then a long message goes on in buffers of this size. */
const MAX_GROWTH = 64 * 1024;

export class XdrWriter {
  private buf: Buffer;
  /** DataView over `buf` (for 64-bit writes without BigInt arithmetic). */
  private view: DataView;
  /** Write position in `buf`. */
  private pos: number;
  /** Start in `buf` of the bytes not yet moved to `chunks`. */
  private segStart = 0;
  /** Finished pieces of the message, in order (views of old buffers, or caller buffers). */
  private readonly chunks: Buffer[] = [];
  /** Total bytes held in `chunks`. */
  private flushed = 0;

  /**
   * @param initialSize starting capacity; later buffers double it, up to MAX_GROWTH.
   * @param recordMark reserve 4 bytes at the front for the TCP record mark, filled by `finish`.
   */
  constructor(initialSize = 1024, private readonly recordMark = false) {
    this.buf = Buffer.allocUnsafe(Math.max(initialSize, 16));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.pos = recordMark ? 4 : 0;
  }

  /** Logical length of the message so far (including a reserved record mark). */
  position(): number {
    return this.flushed + (this.pos - this.segStart);
  }

  /** Length of the message body written so far, excluding the record mark. */
  length(): number {
    return this.position() - (this.recordMark ? 4 : 0);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // What is written stays where it is, as a chunk; the next field starts a new buffer.
    this.cut();
    const next = Buffer.allocUnsafe(Math.max(n, Math.min(this.buf.length * 2, MAX_GROWTH)));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
    this.segStart = 0;
    this.pos = 0;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  uint64(v: bigint): this {
    this.ensure(8);
    // A constant bound and DataView.setBigUint64 instead of `1n << 64n` and BigInt division: each
    // fattr3 holds four hypers, and those BigInt temporaries made READDIRPLUS encoding ~3x slower.
    if (v < 0n || v > MAX_UINT64) throw new RangeError(`uint64 out of range: ${v}`);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** Unsigned hyper from a safe integer (sizes and counts that fit a double exactly). */
  uint64n(v: number): this {
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000), this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  /** opaque[n]: the bytes then zero padding to a multiple of 4. */
  fixedOpaque(data: Uint8Array): this {
    const n = data.length;
    const padded = (n + 3) & ~3;
    this.ensure(padded);
    this.buf.set(data, this.pos);
    this.buf.fill(0, this.pos + n, this.pos + padded);
    this.pos += padded;
    return this;
  }

  /** opaque<>: length, bytes, padding (copied into the message). */
  opaque(data: Uint8Array): this {
    this.uint32(data.length);
    return this.fixedOpaque(data);
  }

  /**
   * opaque<> whose bytes are referenced, not copied, when large: the caller must not modify
   * `data` until the message has been sent.
   */
  opaqueRef(data: Buffer): this {
    if (data.length < XDR_REF_THRESHOLD) return this.opaque(data);
    this.uint32(data.length);
    this.cut();
    this.chunks.push(data);
    this.flushed += data.length;
    const pad = ((data.length + 3) & ~3) - data.length;
    if (pad) {
      this.ensure(pad);
      this.buf.fill(0, this.pos, this.pos + pad);
      this.pos += pad;
    }
    return this;
  }

  /** string<>: UTF-8 bytes with length and padding. */
  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    const padded = (n + 3) & ~3;
    this.ensure(4 + padded);
    this.buf.writeUInt32BE(n, this.pos);
    this.buf.write(s, this.pos + 4, n, 'utf8');
    this.buf.fill(0, this.pos + 4 + n, this.pos + 4 + padded);
    this.pos += 4 + padded;
    return this;
  }

  /** Append already-encoded XDR bytes verbatim (must be 4-byte aligned by construction). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** optional-data: false, or true then the value. */
  optional<T>(value: T | undefined | null, encode: (w: XdrWriter, v: T) => void): this {
    if (value === undefined || value === null) return this.uint32(0);
    this.uint32(1);
    encode(this, value);
    return this;
  }

  /** Overwrite a uint32 at a logical position handed out earlier by `position()`. */
  patchUint32(at: number, v: number): void {
    const inSegment = at - this.flushed;
    if (inSegment >= 0) {
      this.buf.writeUInt32BE(v >>> 0, this.segStart + inSegment);
      return;
    }
    let base = 0;
    for (const c of this.chunks) {
      if (at < base + c.length) {
        c.writeUInt32BE(v >>> 0, at - base);
        return;
      }
      base += c.length;
    }
    throw new RangeError(`patch position ${at} beyond message`);
  }

  /** Reserve a uint32 to be filled in later; returns its position. */
  reserveUint32(): number {
    const at = this.position();
    this.uint32(0);
    return at;
  }

  /** Move the current segment into the chunk list. */
  private cut(): void {
    if (this.pos > this.segStart) {
      this.chunks.push(this.buf.subarray(this.segStart, this.pos));
      this.flushed += this.pos - this.segStart;
      this.segStart = this.pos;
    }
  }

  /**
   * The finished message as chunks, in order. With a record mark, the first 4 bytes hold a
   * single last-fragment header for the whole body.
   */
  finish(): Buffer[] {
    this.cut();
    if (this.recordMark) {
      const body = this.flushed - 4;
      if (body > 0x7fff_ffff) throw new RangeError('record too large for one fragment');
      this.chunks[0].writeUInt32BE((0x8000_0000 | body) >>> 0, 0);
    }
    return this.chunks;
  }

  /** The finished message as one Buffer (copies only when it has several chunks). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }
}
