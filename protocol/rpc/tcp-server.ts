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
 * - Reads land in one buffer of ours, shared by every connection (see ownReads): Node otherwise
 *   allocates a fresh 64 KiB buffer per read, and during a stream of WRITEs those (counted as
 *   external memory) were a third of the server's CPU in garbage collection.
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
    /** The socket reads into a buffer that is reused after each read (ownReads). */
    transientReads: boolean,
  ) {
    this.info = {
      transport: 'tcp',
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localPort: socket.localPort ?? 0,
      localAddress: socket.localAddress,
    };
    this.framer = new RecordFramer(opts.maxRecordSize, (record, pooled) => this.onRecord(record, pooled), pool, transientReads);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    if (!transientReads) socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.drain());
    socket.on('drain', () => this.updateFlow());
    socket.on('error', (e) => opts.logger.log('debug', 'rpc tcp connection error', { ...this.peer(), error: e.message }));
  }

  private peer() {
    return { remote: `${this.info.remoteAddress}:${this.info.remotePort}` };
  }

  /** Data read into the shared buffer (transientReads): used up before this returns. */
  onData(chunk: Buffer): void {
    if (this.draining) return;
    try {
      this.framer.push(chunk);
    } catch (e) {
      if (!(e instanceof RecordTooLargeError)) throw e;
      // The stream cannot be resynchronised, but the calls read before the bad header still
      // deserve their replies: stop reading, answer them, then close.
      this.opts.logger.log('warn', 'rpc record too large, closing connection', { ...this.peer(), size: e.size, limit: e.limit });
      this.drain();
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
   * Take no more calls, finish the calls already received, send their replies, then end. With
   * `deadlineMs` (server shutdown) the connection is cut after that long whatever is pending.
   * The socket keeps reading (onData discards while draining): one that stops reading never
   * sees the peer's close, and would linger half-open until cut off, holding up shutdown.
   */
  drain(deadlineMs?: number): void {
    if (deadlineMs !== undefined) this.cutOffAfter(deadlineMs);
    if (this.draining) return;
    this.draining = true;
    this.socket.resume();
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

/** The one read buffer of every connection (ownReads): a WRITE's 1 MiB arrives in few reads. */
const READ_BUFFER_BYTES = 256 * 1024;
let sharedReadBuffer: Buffer | undefined;

/**
 * Move an accepted (paused) connection onto a socket that reads into our shared buffer. Node 20
 * offers `onread` (reads into a caller's buffer) only to sockets it constructs from options, not
 * to the ones a server accepts; constructing one around the accepted socket's handle gets it.
 * The accepted socket gives up its handle and is destroyed (which only settles the server's
 * connection count: without a handle there is nothing to close). Every read is consumed before
 * its callback returns (RecordFramer copies what outlives it), so one buffer serves all
 * connections. Returns undefined, keeping the accepted socket, where the handle is not there.
 */
function ownReads(accepted: net.Socket, onData: (chunk: Buffer) => void): net.Socket | undefined {
  const internal = accepted as unknown as { _handle?: unknown };
  const handle = internal._handle;
  if (!handle) return undefined;
  internal._handle = null;
  accepted.destroy();
  sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return new net.Socket({
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: {
      buffer: sharedReadBuffer,
      callback: (bytes: number, buffer: Uint8Array) => {
        onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
      },
    },
  } as net.SocketConstructorOpts);
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
    // pauseOnConnect: nothing is read before ownReads has taken the connection over.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
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

  private accept(accepted: net.Socket): void {
    let conn: TcpConnection | undefined;
    const own = ownReads(accepted, (chunk) => conn!.onData(chunk));
    conn = new TcpConnection(own ?? accepted, this.dispatcher, this.opts, this.recordPool, own !== undefined);
    if (!own) accepted.resume();
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn!));
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
