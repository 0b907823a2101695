/**
 * ONC-RPC over TCP (RFC 5531 §11): record-marked calls in, replies out, per connection.
 *
 * - Many calls run at once on one connection and each reply is written when its call finishes,
 *   so a slow call never holds up a fast one (the RFC lets replies come in any order; clients
 *   match them by xid).
 * - Back-pressure: a connection stops reading while it has `maxCallsInFlight` calls running or
 *   more than `maxQueuedReplyBytes` of replies the peer has not read yet. Memory per connection is
 *   thus bounded by the caps, not by how fast a client can send.
 * - A record over `maxRecordSize` closes that connection only, once the calls before it are
 *   answered (the stream cannot be resynchronised after a lying header); a malformed call inside
 *   a well-framed record is answered and the connection carries on.
 * - Replies are written as chunk lists under a cork lifted at the end of the loop turn, so the kernel sees one
 *   writev per burst of replies and READ data goes out from the caller's buffer.
 */

import net from 'node:net';
import { replySent, type ReplyChunks, type RpcDispatcher, type TransportInfo } from './dispatcher.js';
import { RecordFramer, RecordTooLargeError } from './framer.js';
import { bigBuffers, type BufferPool } from './buffer-pool.js';
import type { Logger } from './logger.js';

export interface TcpTransportOptions {
  /** Largest record accepted, in bytes (fragments joined, headers excluded). */
  maxRecordSize: number;
  /** Calls running at once per connection before the connection stops reading. */
  maxCallsInFlight: number;
  /** Unsent reply bytes per connection before the connection stops reading. */
  maxQueuedReplyBytes: number;
  /** How long close() waits for a connection's in-flight calls and unsent replies. */
  closeGraceMs: number;
  logger: Logger;
}

class TcpConnection {
  private readonly framer: RecordFramer;
  private readonly info: TransportInfo;
  private inFlight = 0;
  /** Records framed while at the in-flight cap (at most one read's worth), with their pooled buffers. */
  private readonly waiting: Array<[Buffer, Buffer | undefined]> = [];
  /** No more reading: the transport is closing or the peer half-closed. */
  private draining = false;
  /** A cork is in place until the next tick (see send). */
  private corked = false;
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    private readonly dispatcher: RpcDispatcher,
    private readonly opts: TcpTransportOptions,
    private readonly pool: BufferPool,
  ) {
    this.info = {
      transport: 'tcp',
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localPort: socket.localPort ?? 0,
      localAddress: socket.localAddress,
    };
    this.framer = new RecordFramer(opts.maxRecordSize, (record, pooled) => this.onRecord(record, pooled), pool);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.drain());
    socket.on('drain', () => this.updateFlow());
    socket.on('error', (e) => opts.logger.log('debug', 'rpc tcp connection error', { ...this.peer(), error: e.message }));
  }

  private peer() {
    return { remote: `${this.info.remoteAddress}:${this.info.remotePort}` };
  }

  private onData(chunk: Buffer): void {
    if (this.draining) return;
    try {
      this.framer.push(chunk);
    } catch (e) {
      if (!(e instanceof RecordTooLargeError)) throw e;
      // The stream cannot be resynchronised, but the calls read before the bad header still
      // deserve their replies: stop reading, answer them, then close.
      this.opts.logger.log('warn', 'rpc record too large, closing connection', { ...this.peer(), size: e.size, limit: e.limit });
      this.drain();
      // Keep reading (onData discards while draining): a paused socket never sees the peer's
      // close, and would linger half-open for the whole grace period, holding up shutdown.
      this.socket.resume();
    }
  }

  private onRecord(record: Buffer, pooled: Buffer | undefined): void {
    if (this.inFlight >= this.opts.maxCallsInFlight) {
      this.waiting.push([record, pooled]);
      this.updateFlow();
      return;
    }
    this.start(record, pooled);
  }

  private start(record: Buffer, pooled: Buffer | undefined): void {
    this.inFlight++;
    this.updateFlow();
    void this.dispatcher.dispatch(record, this.info, true).then((chunks) => this.finish(chunks, pooled));
  }

  private finish(chunks: ReplyChunks | null, pooled: Buffer | undefined): void {
    this.inFlight--;
    // The record's pooled buffer goes back with the reply: a reply may still refer to its bytes.
    const done = pooled
      ? () => {
          replySent(chunks);
          this.pool.give(pooled);
        }
      : chunks?.sent && (() => replySent(chunks));
    if (chunks && !this.socket.destroyed && this.socket.writable) this.send(chunks, done);
    else if (done) done();
    while (this.waiting.length > 0 && this.inFlight < this.opts.maxCallsInFlight) this.start(...this.waiting.shift()!);
    this.updateFlow();
  }

  /**
   * Queue a reply. The socket is corked until the event loop's current turn ends (setImmediate:
   * after every I/O completion of this turn has run), so all replies finished together (a
   * pipelined burst) leave in one writev instead of one each.
   */
  private send(chunks: Buffer[], done: (() => void) | undefined): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    const last = chunks.length - 1;
    // The last chunk's callback: the socket has handed everything to the kernel, or failed.
    for (let i = 0; i < last; i++) this.socket.write(chunks[i]);
    if (done) this.socket.write(chunks[last], done);
    else this.socket.write(chunks[last]);
  }

  /** Read only while below both caps; end the connection once a drain has nothing left to do. */
  private updateFlow(): void {
    if (this.socket.destroyed) return;
    const busy =
      this.inFlight >= this.opts.maxCallsInFlight || this.socket.writableLength >= this.opts.maxQueuedReplyBytes;
    if (this.draining) {
      if (this.inFlight === 0 && this.waiting.length === 0 && !this.socket.writableEnded) this.end();
    } else if (busy) {
      if (!this.socket.isPaused()) this.socket.pause();
    } else if (this.socket.isPaused()) {
      this.socket.resume();
    }
  }

  /**
   * Stop reading, finish the calls already received, send their replies, then end. With
   * `deadlineMs` (server shutdown) the connection is cut after that long whatever is pending.
   */
  drain(deadlineMs?: number): void {
    if (deadlineMs !== undefined) this.cutOffAfter(deadlineMs);
    if (this.draining) return;
    this.draining = true;
    this.socket.pause();
    this.updateFlow();
  }

  /** Ending: replies are flushed, unless the peer does not read them within the grace period. */
  private end(): void {
    this.socket.end();
    this.cutOffAfter(this.opts.closeGraceMs);
  }

  private cutOffAfter(ms: number): void {
    const timer = setTimeout(() => this.socket.destroy(), ms);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }
}

export class RpcTcpTransport {
  private server?: net.Server;
  private readonly connections = new Set<TcpConnection>();
  /** Joined big records (WRITEs), shared by all connections (and with READ data). */
  private readonly recordPool: BufferPool = bigBuffers;

  constructor(
    private readonly dispatcher: RpcDispatcher,
    private readonly opts: TcpTransportOptions,
  ) {}

  /** Start listening; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    // allowHalfOpen: a client that shuts down its sending side still gets its replies.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.opts.logger.log('error', 'rpc tcp server error', { error: e }));
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private accept(socket: net.Socket): void {
    const conn = new TcpConnection(socket, this.dispatcher, this.opts, this.recordPool);
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
  }

  /** Number of open connections (for tests and metrics). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Graceful close: stop accepting, let every connection finish the calls it has received and
   * flush their replies, then close it. Connections still open after the grace period are
   * destroyed (a peer that never reads must not hold the server open).
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const conns = [...this.connections];
    for (const c of conns) c.drain(this.opts.closeGraceMs);
    await Promise.all(conns.map((c) => c.closed));
    await stopped;
  }
}
