/**
 * startServer: open every export's union, serve MOUNT and NFS on their ports (TCP and UDP),
 * announce them through the portmapper, and return a handle that closes it all cleanly.
 */

import { createServer } from 'node:net';
import { MOUNT_PROGRAM, MOUNT_V1, MOUNT_V3 } from '../protocol/mount3/constants.js';
import { NFS_PROGRAM, NFS_V3 } from '../protocol/nfs3/index.js';
import { startPortmap, type RunningPortmap, type ServiceMapping } from '../protocol/portmap/index.js';
import { RpcServer, silentLogger, type Logger } from '../protocol/rpc/index.js';
import type { ServerConfig } from './config.js';
import { DuplicateRequestCache } from './duplicate-request-cache.js';
import { ExportTable, ServedExport } from './exports.js';
import { MountList } from './mount3/mount-list.js';
import { createMountProgram } from './mount3/program.js';
import { createNfs3Program } from './nfs3/program.js';
import { Nfs3Service } from './nfs3/service.js';

/** A start failure the CLI prints as one line (the message names the flag or path at fault). */
export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

export interface RunningServer {
  nfsPort: number;
  mountPort: number;
  /** How the services were announced: 'builtin' / 'system' portmapper, or 'none'. */
  portmapMode: 'builtin' | 'system' | 'none';
  /** The exact mount command a Linux client should use for an export (first export by default). */
  mountCommand(exportPath?: string, serverHost?: string): string;
  /** Stop accepting calls, let running calls finish, flush and close every union. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.logger ?? silentLogger;
  if (config.exports.length === 0) throw new ServerStartError('no exports configured');
  const exports = new ExportTable(await openExports(config, log));
  const servers: RpcServer[] = [];
  let portmap: RunningPortmap | undefined;
  try {
    const drc = new DuplicateRequestCache();
    const nfsProgram = createNfs3Program(new Nfs3Service(exports, log));
    const mountProgram = createMountProgram({ exports, mounts: new MountList(), log });

    const nfsServer = new RpcServer({ logger: log }).register(nfsProgram, { interceptor: drc.interceptor });
    servers.push(nfsServer);
    const shared = config.mountPort === config.nfsPort && config.nfsPort !== 0;
    const mountServer = shared ? nfsServer : new RpcServer({ logger: log });
    mountServer.register(mountProgram, { interceptor: drc.interceptor });
    const nfsPort = await listenBoth(nfsServer, config.bind, config.nfsPort, '--nfs-port');
    let mountPort = nfsPort;
    if (!shared) {
      servers.push(mountServer);
      mountPort = await listenBoth(mountServer, config.bind, config.mountPort, '--mount-port');
    }

    if (config.portmap !== 'none') portmap = await announce(config, nfsPort, mountPort, log);
    const portmapMode = portmap?.mode ?? 'none';
    log.log('info', 'fallthru: serving', { nfsPort, mountPort, portmap: portmapMode, exports: config.exports.map((e) => e.path) });

    let closing: Promise<void> | undefined;
    return {
      nfsPort,
      mountPort,
      portmapMode,
      mountCommand: (exportPath = config.exports[0].path, serverHost) =>
        mountCommandFor(serverHost ?? displayHost(config.bind), exportPath, portmapMode === 'none' ? { nfsPort, mountPort } : undefined),
      close: () =>
        (closing ??= (async () => {
          log.log('info', 'fallthru: shutting down');
          await portmap?.close().catch((e) => log.log('warn', 'portmap: close failed', { error: String(e) }));
          await Promise.all(servers.map((s) => s.close()));
          await exports.closeAll();
          log.log('info', 'fallthru: stopped');
        })()),
    };
  } catch (e) {
    await portmap?.close().catch(() => undefined);
    await Promise.all(servers.map((s) => s.close()));
    await exports.closeAll();
    throw e;
  }
}

async function openExports(config: ServerConfig, log: Logger): Promise<ServedExport[]> {
  const opened: ServedExport[] = [];
  try {
    for (const exp of config.exports) {
      const unionLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) =>
        log.log(level, msg, { export: exp.path, ...fields });
      try {
        opened.push(await ServedExport.open(exp, unionLog));
      } catch (e) {
        // union-core messages start with their errno code ("EINVAL: ..."): the user needs the words.
        const why = e instanceof Error ? e.message.replace(/^E[A-Z]+: /, '') : String(e);
        throw new ServerStartError(`export ${exp.path}: ${why}`);
      }
    }
    return opened;
  } catch (e) {
    await Promise.allSettled(opened.map((o) => o.union.close()));
    throw e;
  }
}

/**
 * Bind TCP and UDP on one port number (clients and portmap registrations assume the same port
 * for both). Port 0 picks a free TCP port and takes the same UDP port, retrying on a clash.
 */
async function listenBoth(server: RpcServer, host: string, port: number, flag: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const p = port === 0 ? await freeTcpPort(host) : port;
    try {
      await server.listen({ host, tcpPort: p, udpPort: p });
      return p;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (port === 0 && code === 'EADDRINUSE' && attempt < 20) continue;
      if (code === 'EADDRINUSE') throw new ServerStartError(`${flag} ${p}: address ${host}:${p} is already in use`);
      if (code === 'EACCES') throw new ServerStartError(`${flag} ${p}: permission denied (ports below 1024 need root)`);
      if (code === 'EADDRNOTAVAIL') throw new ServerStartError(`--bind ${host}: no such local address`);
      throw new ServerStartError(`${flag} ${p}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function announce(config: ServerConfig, nfsPort: number, mountPort: number, log: Logger): Promise<RunningPortmap> {
  const host = config.bind;
  const mappings: ServiceMapping[] = (['tcp', 'udp'] as const).flatMap((protocol) => [
    { prog: NFS_PROGRAM, vers: NFS_V3, protocol, port: nfsPort, host },
    { prog: MOUNT_PROGRAM, vers: MOUNT_V3, protocol, port: mountPort, host },
    { prog: MOUNT_PROGRAM, vers: MOUNT_V1, protocol, port: mountPort, host },
  ]);
  const mode = config.portmap as 'builtin' | 'system' | 'auto';
  try {
    return await startPortmap({ mode, host, port: config.portmapPort, mappings, log });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${config.portmapPort} is already in use` : e instanceof Error ? e.message : String(e);
    throw new ServerStartError(`--portmap ${config.portmap}: ${why}`);
  }
}

function displayHost(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' ? '<server>' : bind.includes(':') ? `[${bind}]` : bind;
}

/** The Linux mount command: with a portmapper the defaults find both services, else name the ports. */
export function mountCommandFor(host: string, exportPath: string, ports?: { nfsPort: number; mountPort: number }): string {
  const opts = ports
    ? `vers=3,proto=tcp,port=${ports.nfsPort},mountport=${ports.mountPort},mountproto=tcp,nolock`
    : 'vers=3,nolock';
  return `mount -t nfs -o ${opts} ${host}:${exportPath} /mnt`;
}
