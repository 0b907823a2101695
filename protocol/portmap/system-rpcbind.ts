/**
 * Registering our services with the host's own rpcbind (the "system" mode): plain RPC calls to
 * 127.0.0.1:111, as any ONC RPC server does at startup.
 *
 * rpcbind v4 SET/UNSET (RFC 1833 section 2.2.1) carry a netid and a universal address, so inet6
 * registrations survive; a binder that answers v4 with PROG_MISMATCH is an old port mapper and
 * gets v2 SET/UNSET instead (inet rows only: v2 cannot name inet6 transports).
 *
 * Registrations are preceded by UNSETs of the same (prog, vers, netid): SET never replaces,
 * and a previous run of ours that crashed leaves stale rows behind. rpcbind records TCP/UDP
 * callers as owner "unknown" whatever r_owner says, so that UNSET cannot remove a row
 * some other daemon registered through rpcbind's local socket (e.g. the kernel's nfsd): the SET
 * then fails and we report it rather than fight over the program number.
 *
 * A fresh connection is used per batch: rpcbind may drop idle connections, and registration
 * happens only at startup and shutdown.
 */

import { RpcClient, RpcError, silentLogger, type Logger } from '../rpc/index.js';
import { AcceptStat } from '../rpc/types.js';
import { PMAP_PORT, PMAP_PROGRAM, PmapProc, PortmapVersion, RpcbProc } from './constants.js';
import { ipProtoOfNetid } from './netid.js';
import { processOwner } from './owner.js';
import { encodeMapping } from './pmap-codec.js';
import { registrationsOf, type Registration, type ServiceMapping } from './registry.js';
import { encodeRpcb } from './rpcb-codec.js';
import { uaddrPort } from './uaddr.js';

export interface SystemRpcbindOptions {
  /** Where the system binder listens; default 127.0.0.1:111. */
  host?: string;
  port?: number;
  /** Per call; default 5000 ms. */
  timeoutMs?: number;
  log?: Logger;
}

/** A SET the system binder answered with FALSE (the row belongs to someone else). */
export class RpcbindRegistrationError extends Error {
  constructor(readonly refused: readonly Registration[]) {
    super(`system rpcbind refused ${refused.map((r) => `${r.prog}/${r.vers}/${r.netid}`).join(', ')}`);
    this.name = 'RpcbindRegistrationError';
  }
}

/**
 * True when something on host:port answers a port mapper v2 NULL call over TCP; false when the
 * connection is refused or the call fails or times out. Never rejects.
 */
export async function probeRpcbind(options: SystemRpcbindOptions = {}): Promise<boolean> {
  let client: RpcClient | undefined;
  try {
    client = await RpcClient.connect({ transport: 'tcp', host: options.host ?? '127.0.0.1', port: options.port ?? PMAP_PORT });
    await client.call(PMAP_PROGRAM, PortmapVersion.PMAP_V2, PmapProc.NULL, undefined, { timeoutMs: options.timeoutMs ?? 2000 });
    return true;
  } catch {
    return false;
  } finally {
    await client?.close();
  }
}

function isOldPortmapper(e: unknown): boolean {
  return e instanceof RpcError && (e.acceptStat === AcceptStat.PROG_MISMATCH || e.acceptStat === AcceptStat.PROC_UNAVAIL);
}

/** The registrations this process holds with the system binder, and how to drop them again. */
export class SystemRpcbind {
  private readonly held: Registration[] = [];
  private readonly owner = processOwner();
  /** Learned on the first call: the binder speaks only v2. */
  private v2Only = false;
  private readonly log: Logger;

  constructor(private readonly options: SystemRpcbindOptions = {}) {
    this.log = options.log ?? silentLogger;
  }

  /** Rows registered so far (in order). */
  get registrations(): readonly Registration[] {
    return this.held;
  }

  /**
   * Register every mapping. Rejects with RpcbindRegistrationError when the binder refuses a
   * row (after undoing this batch), or with the RpcClient's error when it cannot be reached.
   */
  async register(mappings: readonly ServiceMapping[]): Promise<void> {
    const rows = mappings.flatMap((m) => registrationsOf(m, this.owner));
    const added: Registration[] = [];
    const refused: Registration[] = [];
    await this.withClient(async (client) => {
      // All UNSETs first: a v2 UNSET drops both TCP and UDP of a (prog, vers), so interleaving
      // would remove the TCP row just set when clearing the way for the UDP one.
      for (const row of rows) await this.change(client, RpcbProc.UNSET, row);
      for (const row of rows) {
        const ok = await this.change(client, RpcbProc.SET, row);
        if (ok === undefined) continue;
        (ok ? added : refused).push(row);
      }
      if (refused.length > 0) for (const row of added) await this.change(client, RpcbProc.UNSET, row);
    });
    if (refused.length > 0) throw new RpcbindRegistrationError(refused);
    const same = (a: Registration, b: Registration) => a.prog === b.prog && a.vers === b.vers && a.netid === b.netid;
    for (const row of added) {
      const i = this.held.findIndex((h) => same(h, row));
      if (i >= 0) this.held.splice(i, 1);
      this.held.push(row);
    }
    this.log.log('info', 'registered with system rpcbind', { rows: added.map((r) => `${r.prog}/${r.vers}/${r.netid} ${r.uaddr}`) });
  }

  /** Remove everything `register` added. Rejects only when the binder cannot be reached. */
  async unregisterAll(): Promise<void> {
    const rows = this.held.splice(0);
    if (rows.length === 0) return;
    await this.withClient(async (client) => {
      for (const row of rows) await this.change(client, RpcbProc.UNSET, row);
    });
    this.log.log('info', 'unregistered from system rpcbind', { rows: rows.length });
  }

  private async withClient(use: (client: RpcClient) => Promise<void>): Promise<void> {
    const client = await RpcClient.connect({
      transport: 'tcp',
      host: this.options.host ?? '127.0.0.1',
      port: this.options.port ?? PMAP_PORT,
      timeoutMs: this.options.timeoutMs ?? 5000,
    });
    try {
      await use(client);
    } finally {
      await client.close();
    }
  }

  /**
   * One SET or UNSET (the procedure numbers are 1 and 2 in every version). Resolves with the
   * binder's answer, or undefined when a v2-only binder cannot express the row (inet6).
   */
  private async change(client: RpcClient, proc: RpcbProc.SET | RpcbProc.UNSET, row: Registration): Promise<boolean | undefined> {
    if (!this.v2Only) {
      try {
        const r = await client.call(PMAP_PROGRAM, PortmapVersion.RPCB_V4, proc, (w) => encodeRpcb(w, row));
        return r.bool('rpcbind SET/UNSET result');
      } catch (e) {
        if (!isOldPortmapper(e)) throw e;
        this.v2Only = true;
        this.log.log('info', 'system binder speaks only port mapper v2');
      }
    }
    const prot = ipProtoOfNetid(row.netid);
    if (prot === undefined) {
      this.log.log('warn', 'v2 port mapper cannot register an inet6 transport', { prog: row.prog, vers: row.vers, netid: row.netid });
      return undefined;
    }
    const mapping = { prog: row.prog, vers: row.vers, prot, port: uaddrPort(row.uaddr) };
    const r = await client.call(PMAP_PROGRAM, PortmapVersion.PMAP_V2, proc, (w) => encodeMapping(w, mapping));
    return r.bool('portmap SET/UNSET result');
  }
}
