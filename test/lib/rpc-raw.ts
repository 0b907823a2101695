/**
 * Raw access to an RPC server for tests that must send what a well-behaved client never would:
 * hand-built records, odd fragmentations, garbage framing. Replies are collected as records.
 */

import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { RecordFramer } from '../../protocol/rpc/index.js';

/** Words (uint32) and buffers concatenated big-endian: a naive XDR builder independent of XdrWriter. */
export function xdrWords(...parts: Array<number | Buffer>): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      if (Buffer.isBuffer(p)) return p;
      const b = Buffer.alloc(4);
      b.writeUInt32BE(p >>> 0);
      return b;
    }),
  );
}

/** Frame `body` as a record, split into fragments at the given body offsets. */
export function frameRecord(body: Buffer, splitAt: number[] = []): Buffer {
  const cuts = [0, ...splitAt.filter((c) => c > 0 && c < body.length).sort((a, b) => a - b), body.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const frag = body.subarray(cuts[i], cuts[i + 1]);
    const last = i + 2 === cuts.length;
    out.push(xdrWords((last ? 0x8000_0000 : 0) | frag.length), frag);
  }
  return Buffer.concat(out);
}

export class RawTcp {
  readonly replies: Buffer[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    const framer = new RecordFramer(64 * 1024 * 1024, (r) => {
      this.replies.push(Buffer.from(r));
      this.wake();
    });
    socket.on('data', (c: Buffer) => framer.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number): Promise<RawTcp> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    socket.setNoDelay(true);
    return new RawTcp(socket);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves once `n` replies have arrived in total, or the connection closed. */
  async waitForReplies(n: number): Promise<Buffer[]> {
    while (this.replies.length < n && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.replies;
  }

  /** Hand over the replies received so far and forget them (long runs stay small). */
  take(): Buffer[] {
    return this.replies.splice(0, this.replies.length);
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class RawUdp {
  readonly replies: Buffer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    socket.on('message', (m) => {
      this.replies.push(m);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  static async open(port: number): Promise<RawUdp> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return new RawUdp(socket, port);
  }

  send(msg: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(msg, this.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  async waitForReplies(n: number): Promise<Buffer[]> {
    while (this.replies.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.replies;
  }

  /** Hand over the replies received so far and forget them (long runs stay small). */
  take(): Buffer[] {
    return this.replies.splice(0, this.replies.length);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}
