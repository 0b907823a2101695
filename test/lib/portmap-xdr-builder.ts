/**
 * A deliberately naive XDR builder for golden bytes in portmap tests: every field is built with
 * plain Buffer calls, independently of protocol/xdr's writer, so an encoder bug cannot hide by
 * being on both sides of an assertion.
 */

export function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

export function i32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeInt32BE(v, 4 * i));
  return b;
}

/** string<> / opaque<>: length, bytes, zero padding to a multiple of 4. */
export function xstr(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const pad = (4 - (bytes.length % 4)) % 4;
  return Buffer.concat([u32(bytes.length), bytes, Buffer.alloc(pad)]);
}

export const TRUE = u32(1);
export const FALSE = u32(0);

/** An XDR linked list: TRUE item TRUE item ... FALSE. */
export function xlist(items: Buffer[]): Buffer {
  return Buffer.concat([...items.flatMap((i) => [TRUE, i]), FALSE]);
}

export function cat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}
