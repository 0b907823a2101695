/**
 * A deliberately naive XDR builder for golden vectors: everything is a flat array of 32-bit words
 * assembled by hand, turned into bytes with a DataView. It shares no code with XdrWriter, so a bug
 * there cannot hide itself by being in the expected bytes too.
 */

export type Words = number[];

export const u32 = (v: number): Words => [v >>> 0];
export const bool = (v: boolean): Words => [v ? 1 : 0];
export const TRUE = 1;
export const FALSE = 0;

/** A hyper as two words, high first. */
export function u64(v: bigint): Words {
  return [Number((v >> 32n) & 0xffff_ffffn), Number(v & 0xffff_ffffn)];
}

/** Bytes packed big-endian into words, the last one zero-padded (opaque[n]). */
export function fixed(bytes: ArrayLike<number>): Words {
  const out: Words = [];
  for (let i = 0; i < bytes.length; i += 4) {
    let word = 0;
    for (let j = 0; j < 4; j++) word = word * 256 + (i + j < bytes.length ? bytes[i + j] : 0);
    out.push(word);
  }
  return out;
}

/** opaque<>: length word then the padded bytes. */
export const opaque = (bytes: ArrayLike<number>): Words => [bytes.length, ...fixed(bytes)];

/** string<>: UTF-8 length word then the padded bytes. */
export const str = (s: string): Words => opaque(new TextEncoder().encode(s));

/** The wire bytes of a word list. */
export function bytesOf(words: Words): Buffer {
  const buf = Buffer.alloc(words.length * 4);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  words.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 0 || w > 0xffff_ffff) throw new Error(`word ${i} is not a u32: ${w}`);
    view.setUint32(i * 4, w, false);
  });
  return buf;
}
