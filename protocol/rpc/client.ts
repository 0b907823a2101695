/**
 * ONC-RPC client over TCP or UDP: used by tests and tools, for portmap registration with a system
 * rpcbind, and for callbacks to clients (NLM GRANTED).
 *
 * Calls are matched to replies by xid, so any number may be outstanding on one connection and
 * they may be answered in any order. Over UDP a call is resent with the same xid, with a doubling
 * interval, until a reply or the timeout (RFC 5531 §8: the xid lets the server spot the
 * retransmission). A TCP connection that fails fails its outstanding calls; the client does not
 * reconnect (make a new one).
 */

import dgram from 'node:dgram';
import net from 'node:net';
import { XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import { credentialsToAuth, type OpaqueAuth } from './auth.js';
import { encodeCallHeader } from './call.js';
import { RpcError, RpcTimeoutError, RpcTransportError } from './errors.js';
import { RecordFramer } from './framer.js';
import { decodeReplyHeader, type ReplyHeader } from './reply.js';
import { AcceptStat, ReplyStat, type Credentials } from './types.js';

export interface RpcClientOptions {
  transport: 'tcp' | 'udp';
  host: string;
  port: number;
  /** Source address/port to bind (e.g. a reserved port below 1024, which needs root). */
  localAddress?: string;
  localPort?: number;
  /** Credentials sent with every call unless a call overrides them; default AUTH_NONE. */
  cred?: Credentials;
  /** Per-call timeout; default 30 s. */
  timeoutMs?: number;
  /** UDP: first retransmission after this long, doubling each time; default 1 s. */
  retransmitMs?: number;
  /** TCP: largest reply record accepted; default 64 MiB. */
  maxRecordSize?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  cred?: Credentials;
  /** A raw credential, sent as is (tests of servers); wins over `cred`. */
  auth?: OpaqueAuth;
  /** Send under this xid instead of a fresh one (retransmit tests of duplicate request caches). */
  xid?: number;
}

/** A reply matched to its call: the decoded header and a reader positioned after it. */
export interface RpcReply {
  header: ReplyHeader;
  reader: XdrReader;
}

interface Pending {
  resolve(reply: RpcReply): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  retransmit?: NodeJS.Timeout;
}

/** The byte-moving half of a client: a connected TCP socket or UDP socket. */
interface Link {
  readonly recordMark: boolean;
  send(chunks: Buffer[]): void;
  close(): Promise<void>;
}

type ReplySink = { onReply(record: Buffer): void; onLinkDown(e: Error): void };

function connectTcp(o: RpcClientOptions, sink: ReplySink): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress, localPort: o.localPort });
    const framer = new RecordFramer(o.maxRecordSize ?? 64 * 1024 * 1024, (r) => sink.onReply(r));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.setNoDelay(true);
      socket.on('error', () => {}); // 'close' follows and reports the failure
      socket.on('close', () => sink.onLinkDown(new RpcTransportError('RPC connection closed')));
      socket.on('data', (chunk: Buffer) => {
        try {
          framer.push(chunk);
        } catch (e) {
          socket.destroy();
          sink.onLinkDown(new RpcTransportError('RPC reply stream unreadable', { cause: e }));
        }
      });
      let corked = false;
      resolve({
        recordMark: true,
        // Calls issued in the same tick leave in one writev (as in the server's TCP transport).
        send(chunks) {
          if (!corked) {
            corked = true;
            socket.cork();
            process.nextTick(() => {
              corked = false;
              socket.uncork();
            });
          }
          for (const c of chunks) socket.write(c);
        },
        close: () =>
          new Promise<void>((done) => {
            if (socket.destroyed) return done();
            socket.once('close', () => done());
            socket.end();
            // A server that never closes its side must not hold us: give it a moment, then cut.
            setTimeout(() => socket.destroy(), 1000).unref();
          }),
      });
    });
  });
}

function connectUdp(o: RpcClientOptions, sink: ReplySink): Promise<Link> {
  const socket = dgram.createSocket(net.isIPv6(o.host) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: o.localAddress, port: o.localPort ?? 0 }, () => {
      socket.connect(o.port, o.host, () => {
        socket.off('error', reject);
        // ICMP errors (nobody listening) surface here; the call's timeout reports them.
        socket.on('error', () => {});
        socket.on('message', (msg) => sink.onReply(msg));
        let open = true;
        resolve({
          recordMark: false,
          send(chunks) {
            if (open) socket.send(chunks);
          },
          close: () =>
            new Promise<void>((done) => {
              open = false;
              socket.close(() => done());
            }),
        });
      });
    });
  });
}

export class RpcClient {
  private readonly pending = new Map<number, Pending>();
  private nextXid = (Math.random() * 0x1_0000_0000) >>> 0;
  private down?: Error;
  private link!: Link;

  private constructor(private readonly opts: RpcClientOptions) {}

  /** Connect (TCP) or bind (UDP). Rejects when the connection or bind fails. */
  static async connect(opts: RpcClientOptions): Promise<RpcClient> {
    const client = new RpcClient(opts);
    const sink: ReplySink = { onReply: (r) => client.onReply(r), onLinkDown: (e) => client.onLinkDown(e) };
    client.link = await (opts.transport === 'tcp' ? connectTcp(opts, sink) : connectUdp(opts, sink));
    return client;
  }

  /** A fresh xid (distinct for 2^32 calls). */
  allocXid(): number {
    const xid = this.nextXid;
    this.nextXid = (this.nextXid + 1) >>> 0;
    return xid;
  }

  /**
   * Call a procedure. Resolves with a reader at the first byte of the results. Rejects with
   * RpcError for any reply but an accepted SUCCESS, RpcTimeoutError, or RpcTransportError.
   */
  async call(
    program: number,
    version: number,
    procedure: number,
    encodeArgs: (w: XdrWriter) => void = () => {},
    opts: CallOptions = {},
  ): Promise<XdrReader> {
    const cred = opts.cred ?? this.opts.cred;
    const auth = opts.auth ?? (cred ? credentialsToAuth(cred) : undefined);
    const { header, reader } = await this.exchange((w, xid) => {
      encodeCallHeader(w, { xid, program, version, procedure, cred: auth });
      encodeArgs(w);
    }, opts);
    const body = header.body;
    if (body.replyStat !== ReplyStat.MSG_ACCEPTED || body.acceptStat !== AcceptStat.SUCCESS) {
      throw new RpcError(header.xid, body);
    }
    return reader;
  }

  /**
   * Send a message the caller writes entirely, header included, under a fresh xid, and resolve
   * with whatever reply carries that xid (any status). For testing servers with odd calls.
   */
  exchange(writeMessage: (w: XdrWriter, xid: number) => void, opts: { timeoutMs?: number; xid?: number } = {}): Promise<RpcReply> {
    if (this.down) return Promise.reject(this.down);
    const xid = opts.xid ?? this.allocXid();
    const w = new XdrWriter(256, this.link.recordMark);
    writeMessage(w, xid);
    const chunks = w.finish();
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    return new Promise<RpcReply>((resolve, reject) => {
      const p: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => this.settle(xid)?.reject(new RpcTimeoutError(xid, timeoutMs)), timeoutMs),
      };
      this.pending.set(xid, p);
      if (!this.link.recordMark) this.scheduleRetransmit(xid, p, chunks, this.opts.retransmitMs ?? 1000);
      this.link.send(chunks);
    });
  }

  private scheduleRetransmit(xid: number, p: Pending, chunks: Buffer[], delayMs: number): void {
    p.retransmit = setTimeout(() => {
      if (this.pending.get(xid) !== p) return;
      this.link.send(chunks);
      this.scheduleRetransmit(xid, p, chunks, delayMs * 2);
    }, delayMs);
  }

  /** Remove a pending call and stop its timers; undefined when it already settled. */
  private settle(xid: number): Pending | undefined {
    const p = this.pending.get(xid);
    if (!p) return undefined;
    this.pending.delete(xid);
    clearTimeout(p.timer);
    if (p.retransmit) clearTimeout(p.retransmit);
    return p;
  }

  private onReply(record: Buffer): void {
    const reader = new XdrReader(record);
    let header: ReplyHeader;
    try {
      header = decodeReplyHeader(reader);
    } catch {
      return; // not a reply we can read: nothing to match it to
    }
    // Unknown xids are late duplicates of answered (or timed-out) calls.
    this.settle(header.xid)?.resolve({ header, reader });
  }

  private onLinkDown(e: Error): void {
    this.down ??= e;
    for (const xid of [...this.pending.keys()]) this.settle(xid)?.reject(e);
  }

  /** Number of calls awaiting a reply. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Fail outstanding calls with RpcTransportError and release the socket. */
  async close(): Promise<void> {
    this.onLinkDown(new RpcTransportError('RPC client closed'));
    await this.link.close();
  }
}
