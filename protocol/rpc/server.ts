/**
 * RpcServer: one dispatcher (the program registry) served over TCP and/or UDP. This is what the
 * NFS, MOUNT and portmap services are handed: they register programs and the server listens.
 */

import { RpcDispatcher, type ProgramOptions } from './dispatcher.js';
import { silentLogger, type Logger } from './logger.js';
import { RpcTcpTransport } from './tcp-server.js';
import type { RpcProgram } from './types.js';
import { RpcUdpTransport } from './udp-server.js';

/**
 * Default record cap: a 1 MiB NFS WRITE (the Linux client's largest wsize) plus its RPC and
 * NFS headers, with room to spare.
 */
export const DEFAULT_MAX_RECORD_SIZE = 1024 * 1024 + 64 * 1024;

export interface RpcServerOptions {
  logger?: Logger;
  /** FALLTHRU_TRACE-style list overriding the environment (tests). */
  trace?: string;
  /** Largest TCP record accepted; default DEFAULT_MAX_RECORD_SIZE. */
  maxRecordSize?: number;
  /** Calls running at once per TCP connection before it stops reading; default 64. */
  maxCallsInFlightPerConnection?: number;
  /** Unsent reply bytes per TCP connection before it stops reading; default 8 MiB. */
  maxQueuedReplyBytes?: number;
  /** Calls running at once over UDP; more datagrams are dropped. Default 256. */
  maxUdpCallsInFlight?: number;
  /** How long close() waits for in-flight calls; default 5000 ms. */
  closeGraceMs?: number;
}

export interface ListenOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** TCP port (0 = ephemeral); omit for no TCP. */
  tcpPort?: number;
  /** UDP port (0 = ephemeral); omit for no UDP. */
  udpPort?: number;
}

export interface BoundPorts {
  tcpPort?: number;
  udpPort?: number;
}

export class RpcServer {
  readonly dispatcher: RpcDispatcher;
  private readonly logger: Logger;
  private tcp?: RpcTcpTransport;
  private udp?: RpcUdpTransport;

  constructor(private readonly options: RpcServerOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.dispatcher = new RpcDispatcher(this.logger, options.trace);
  }

  /** Add a program (see RpcDispatcher.register). */
  register(program: RpcProgram, options?: ProgramOptions): this {
    this.dispatcher.register(program, options);
    return this;
  }

  /**
   * Bind the requested transports; resolves with the bound ports. Throws if neither port is
   * given, if already listening, or if a bind fails (anything already bound is closed again).
   */
  async listen({ host = '127.0.0.1', tcpPort, udpPort }: ListenOptions): Promise<BoundPorts> {
    if (tcpPort === undefined && udpPort === undefined) throw new Error('RpcServer.listen: no tcpPort or udpPort');
    if (this.tcp || this.udp) throw new Error('RpcServer is already listening');
    const o = this.options;
    const closeGraceMs = o.closeGraceMs ?? 5000;
    const bound: BoundPorts = {};
    try {
      if (tcpPort !== undefined) {
        this.tcp = new RpcTcpTransport(this.dispatcher, {
          maxRecordSize: o.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE,
          maxCallsInFlight: o.maxCallsInFlightPerConnection ?? 64,
          maxQueuedReplyBytes: o.maxQueuedReplyBytes ?? 8 * 1024 * 1024,
          closeGraceMs,
          logger: this.logger,
        });
        bound.tcpPort = await this.tcp.listen(host, tcpPort);
      }
      if (udpPort !== undefined) {
        this.udp = new RpcUdpTransport(this.dispatcher, {
          maxCallsInFlight: o.maxUdpCallsInFlight ?? 256,
          closeGraceMs,
          logger: this.logger,
        });
        bound.udpPort = await this.udp.listen(host, udpPort);
      }
    } catch (e) {
      await this.close();
      throw e;
    }
    this.logger.log('info', 'rpc server listening', { host, ...bound });
    return bound;
  }

  /** Number of open TCP connections. */
  get tcpConnectionCount(): number {
    return this.tcp?.connectionCount ?? 0;
  }

  /** Graceful close of both transports: stop accepting, finish in-flight calls, resolve. */
  async close(): Promise<void> {
    const tcp = this.tcp;
    const udp = this.udp;
    this.tcp = undefined;
    this.udp = undefined;
    await Promise.all([tcp?.close(), udp?.close()]);
  }
}
