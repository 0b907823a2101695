/**
 * Big buffers reused instead of left to the garbage collector. A MiB allocated per call (a WRITE's
 * record joined from socket reads, a READ's data) counts against V8's external memory, and every
 * few dozen MiB of it force a full collection of the heap: with pooled buffers that stopped being
 * a third to half of the server's CPU under streaming I/O.
 *
 * Whoever takes a buffer gives it back when nothing refers to it any more — for a reply, once the
 * transport has sent it (CallContext.afterSend); for a record, once its call's reply is sent.
 */

export class BufferPool {
  private readonly free: Buffer[] = [];

  /**
   * @param size bytes per buffer
   * @param keep free buffers kept for reuse; more in use at once are made and left to the GC
   */
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    // Slow: a buffer of its own, never a slice of Node's shared pool that others write into.
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buf: Buffer): void {
    if (this.free.length < this.keep && buf.length === this.size) this.free.push(buf);
  }
}

/** Size of the shared pool's buffers: a 1 MiB NFS WRITE record with its headers, or a READ's MiB. */
export const BIG_BUFFER_SIZE = 1024 * 1024 + 64 * 1024;

/**
 * The process's one pool of big buffers, for joined records (WRITEs) and READ data alike: a
 * client streams one way at a time, and two pools of 16 kept 33 MiB where one is enough.
 */
export const bigBuffers = new BufferPool(BIG_BUFFER_SIZE, 16);
