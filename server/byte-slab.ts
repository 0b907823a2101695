/**
 * Small, long-lived byte strings cut from slabs of their own.
 *
 * A small Buffer from `Buffer.allocUnsafe` (or a reply built by the XDR writer) is a view of one
 * of Node's shared 8 KiB pool chunks, mostly filled with short-lived replies. Kept for minutes, it
 * keeps that whole chunk alive: 16,384 cached replies pinned up to 128 MiB (and 100,000 memoized
 * file handles ~50 MiB, when the memo kept Buffers). Pieces cut here share slabs only with each
 * other, so a slab is freed once its pieces have gone (the DRC evicts oldest first).
 */

export class ByteSlab {
  private slab = Buffer.allocUnsafeSlow(0);
  private used = 0;

  /** @param slabSize bytes per slab; a piece over a quarter of it gets a buffer of its own. */
  constructor(private readonly slabSize: number) {}

  /** `n` uninitialised bytes. */
  take(n: number): Buffer {
    if (n > this.slabSize >> 2) return Buffer.allocUnsafeSlow(n);
    if (this.used + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabSize);
      this.used = 0;
    }
    this.used += n;
    return this.slab.subarray(this.used - n, this.used);
  }

  /** The chunks' bytes, joined, in a piece of a slab. */
  copyOf(chunks: readonly Buffer[]): Buffer {
    let n = 0;
    for (const c of chunks) n += c.length;
    const out = this.take(n);
    let at = 0;
    for (const c of chunks) at += c.copy(out, at);
    return out;
  }
}
