/**
 * ONC-RPC over UDP: one datagram is one call, one datagram is its reply (no record marks).
 *
 * UDP has no flow control, so the transport caps the calls it runs at once and drops datagrams
 * beyond the cap: UDP clients retransmit, and a dropped call is better than unbounded memory.
 * Replies go out with `send(chunks)`, so READ data is not copied into a single buffer first.
 */

import dgram from 'node:dgram';
import net from 'node:net';
import { replySent, type ReplyChunks, type RpcDispatcher } from './dispatcher.js';
import type { Logger } from './logger.js';

export interface UdpTransportOptions {
  /** Calls running at once; datagrams arriving beyond this are dropped. */
  maxCallsInFlight: number;
  /** How long close() waits for calls in flight to be answered. */
  closeGraceMs: number;
  logger: Logger;
}

export class RpcUdpTransport {
  private socket?: dgram.Socket;
  private localPort = 0;
  private inFlight = 0;
  private closing = false;
  /** Resolved when the last call in flight has been answered (set only while closing). */
  private idle?: () => void;
  /** Datagrams dropped because the transport was at its cap (for tests and metrics). */
  droppedForLoad = 0;

  constructor(
    private readonly dispatcher: RpcDispatcher,
    private readonly opts: UdpTransportOptions,
  ) {}

  /** Bind; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(socket, msg, rinfo));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port }, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.opts.logger.log('warn', 'rpc udp socket error', { error: e }));
        this.localPort = socket.address().port;
        resolve(this.localPort);
      });
    });
  }

  private onMessage(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closing) return;
    if (this.inFlight >= this.opts.maxCallsInFlight) {
      this.droppedForLoad++;
      return;
    }
    this.inFlight++;
    const from = { transport: 'udp' as const, remoteAddress: rinfo.address, remotePort: rinfo.port, localPort: this.localPort };
    void this.dispatcher.dispatch(msg, from, false).then((chunks) => {
      if (chunks) this.send(socket, chunks, rinfo);
      else this.callDone();
    });
  }

  private send(socket: dgram.Socket, chunks: ReplyChunks, to: dgram.RemoteInfo): void {
    const failed = (e: Error) =>
      this.opts.logger.log('warn', 'rpc udp reply not sent', { to: `${to.address}:${to.port}`, error: e.message });
    try {
      socket.send(chunks, to.port, to.address, (e) => {
        // EMSGSIZE (a reply over 64 KiB) is the usual cause: the client should have used TCP.
        if (e) failed(e);
        replySent(chunks);
        this.callDone();
      });
    } catch (e) {
      // The socket was closed under us (close() gave up waiting for a slow call).
      failed(e as Error);
      replySent(chunks);
      this.callDone();
    }
  }

  private callDone(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.idle?.();
  }

  /** Graceful close: ignore new datagrams, answer the calls in flight, then close the socket. */
  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.closing = true;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        setTimeout(resolve, this.opts.closeGraceMs).unref();
      });
    }
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
