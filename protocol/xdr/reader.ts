/**
 * XDR (RFC 4506) decoding cursor over a Buffer.
 *
 * Every read is bounds-checked against the end of the record the reader was given, and every
 * variable length against its declared maximum, so a short or malformed input raises exactly one
 * error type, XdrDecodeError, which the RPC layer turns into GARBAGE_ARGS. Opaques are returned as
 * `subarray` views of the input: decoding a 1 MiB WRITE copies nothing.
 */

import { isUtf8 } from 'node:buffer';

export class XdrDecodeError extends Error {
  constructor(
    /** Byte offset in the underlying buffer where the bad field starts. */
    readonly offset: number,
    /** What was being read, e.g. "filename3 length 300 > 255". */
    readonly what: string,
  ) {
    super(`XDR decode error at offset ${offset}: ${what}`);
    this.name = 'XdrDecodeError';
  }
}

const TWO_POW_32 = 0x1_0000_0000n;

/** Round a byte length up to the next multiple of 4 (XDR alignment). */
export function xdrPad(length: number): number {
  return (length + 3) & ~3;
}

export class XdrReader {
  /** Current read position (absolute offset into `buf`). */
  pos: number;
  /** One past the last readable byte. */
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new RangeError(`XdrReader bounds [${start}, ${end}) outside buffer of ${buf.length}`);
    }
    this.pos = start;
    this.end = end;
  }

  /** Bytes left before the end of the record. */
  remaining(): number {
    return this.end - this.pos;
  }

  /** True when every byte of the record was consumed. */
  atEnd(): boolean {
    return this.pos === this.end;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new XdrDecodeError(this.pos, `${what}: need ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  uint32(what = 'uint32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int32(what = 'int32'): number {
    this.need(4, what);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned hyper as bigint: fileids, cookies, offsets and sizes never lose precision. */
  uint64(what = 'uint64'): bigint {
    this.need(8, what);
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi === 0 ? BigInt(lo) : BigInt(hi) * TWO_POW_32 + BigInt(lo);
  }

  int64(what = 'int64'): bigint {
    this.need(8, what);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** XDR bool: exactly 0 or 1; anything else is malformed. */
  bool(what = 'bool'): boolean {
    const at = this.pos;
    const v = this.uint32(what);
    if (v > 1) throw new XdrDecodeError(at, `${what}: bool value ${v}`);
    return v === 1;
  }

  /**
   * Enum or union discriminant restricted to known values. `allowed` is usually a Set built once
   * from a const enum's values, so an out-of-range discriminant is a decode error, not a surprise
   * further down.
   */
  enumOf<T extends number>(allowed: ReadonlySet<number>, what: string): T {
    const at = this.pos;
    const v = this.uint32(what);
    if (!allowed.has(v)) throw new XdrDecodeError(at, `${what}: unknown value ${v}`);
    return v as T;
  }

  /** Fixed-length opaque[n] as a view of the input (padding skipped, not checked for zero). */
  fixedOpaque(n: number, what = 'fixed opaque'): Buffer {
    const padded = xdrPad(n);
    this.need(padded, what);
    const view = this.buf.subarray(this.pos, this.pos + n);
    this.pos += padded;
    return view;
  }

  /** Variable-length opaque<max> as a view of the input. */
  opaque(max: number, what = 'opaque'): Buffer {
    const at = this.pos;
    const len = this.uint32(`${what} length`);
    if (len > max) throw new XdrDecodeError(at, `${what}: length ${len} > max ${max}`);
    return this.fixedOpaque(len, what);
  }

  /**
   * Variable-length string<max>, decoded as UTF-8. With `strictUtf8`, bytes that are not valid
   * UTF-8 are a decode error instead of being replaced by U+FFFD (file names must round-trip).
   */
  string(max: number, what = 'string', strictUtf8 = false): string {
    const bytes = this.opaque(max, what);
    if (strictUtf8 && !isUtf8(bytes)) {
      throw new XdrDecodeError(this.pos - xdrPad(bytes.length), `${what}: not valid UTF-8`);
    }
    return bytes.toString('utf8');
  }

  /** XDR optional-data (`*T`): a bool, then the value when true. */
  optional<T>(decode: (r: XdrReader) => T, what = 'optional'): T | undefined {
    return this.bool(what) ? decode(this) : undefined;
  }

  /** Variable-length array<max> of T. */
  array<T>(max: number, decode: (r: XdrReader) => T, what = 'array'): T[] {
    const at = this.pos;
    const n = this.uint32(`${what} count`);
    if (n > max) throw new XdrDecodeError(at, `${what}: count ${n} > max ${max}`);
    // Each element is at least 4 bytes: refuse counts the remaining bytes cannot hold before
    // allocating anything for them.
    if (n * 4 > this.remaining()) throw new XdrDecodeError(at, `${what}: count ${n} exceeds record`);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = decode(this);
    return out;
  }

  /** Skip n bytes (plus padding), bounds-checked. */
  skip(n: number, what = 'skip'): void {
    const padded = xdrPad(n);
    this.need(padded, what);
    this.pos += padded;
  }
}
