/**
 * What the server calls at startup to make its programs discoverable on port 111:
 *
 *   builtin  serve program 100000 ourselves on TCP and UDP port 111 (no rpcbind on the host);
 *   system   register with the host's running rpcbind, unregister on close;
 *   auto     system when something answers a port mapper NULL on 127.0.0.1:111, else builtin.
 *
 * Without either, Linux needs `-o port=,mountport=,mountproto=` and Windows cannot mount at all.
 */

import { RpcServer, silentLogger, type Logger } from '../rpc/index.js';
import { PMAP_PORT, PMAP_PROGRAM, PortmapVersion } from './constants.js';
import { createPortmapProgram } from './program.js';
import { PortmapRegistry, type ServiceMapping } from './registry.js';
import { probeRpcbind, SystemRpcbind } from './system-rpcbind.js';

export type PortmapMode = 'builtin' | 'system' | 'auto';

export interface StartPortmapOptions {
  mode: PortmapMode;
  /** builtin: address to serve on; default 0.0.0.0 ("::" serves IPv4 and IPv6). */
  host?: string;
  /** builtin: port to serve on, and system/auto: port of the system binder; default 111. */
  port?: number;
  /** Our programs, e.g. NFS 100003 v3 and MOUNT 100005 v1/v3 on TCP and UDP. */
  mappings: readonly ServiceMapping[];
  log?: Logger;
}

export interface RunningPortmap {
  /** The mode actually in use (auto resolved). */
  mode: 'builtin' | 'system';
  /** builtin: the table being served (in-process `set`/`unset`); undefined in system mode. */
  registry?: PortmapRegistry;
  /** Register more of our programs (e.g. a service started later). */
  add(mappings: readonly ServiceMapping[]): Promise<void>;
  /** builtin: stop serving port 111; system: unregister everything we registered. */
  close(): Promise<void>;
}

/** The binder's own rows, as rpcbind lists itself: v4, v3, v2 on TCP, then on UDP. */
function selfMappings(host: string, port: number): ServiceMapping[] {
  const versions = [PortmapVersion.RPCB_V4, PortmapVersion.RPCB_V3, PortmapVersion.PMAP_V2];
  return (['tcp', 'udp'] as const).flatMap((protocol) =>
    versions.map((vers) => ({ prog: PMAP_PROGRAM, vers, protocol, port, host })),
  );
}

async function startBuiltin(host: string, port: number, mappings: readonly ServiceMapping[], log: Logger): Promise<RunningPortmap> {
  const registry = new PortmapRegistry();
  const server = new RpcServer({ logger: log });
  server.register(createPortmapProgram({ registry, log }));
  const bound = await server.listen({ host, tcpPort: port, udpPort: port });
  // With port 0 (tests) the two transports get different ports; register each where it is.
  for (const m of selfMappings(host, port)) {
    registry.set({ ...m, port: (m.protocol === 'tcp' ? bound.tcpPort : bound.udpPort) ?? port });
  }
  for (const m of mappings) registry.set(m);
  log.log('info', 'portmap: serving program 100000', { host, ...bound });
  return {
    mode: 'builtin',
    registry,
    add: async (more) => more.forEach((m) => registry.set(m)),
    close: () => server.close(),
  };
}

async function startSystem(port: number, mappings: readonly ServiceMapping[], log: Logger): Promise<RunningPortmap> {
  const rpcbind = new SystemRpcbind({ port, log });
  await rpcbind.register(mappings);
  return {
    mode: 'system',
    add: (more) => rpcbind.register(more),
    close: () => rpcbind.unregisterAll(),
  };
}

/**
 * Start the binder in `mode`. Rejects when port 111 cannot be bound (builtin), when the system
 * binder is unreachable or refuses a mapping (system; see RpcbindRegistrationError).
 */
export async function startPortmap(options: StartPortmapOptions): Promise<RunningPortmap> {
  const log = options.log ?? silentLogger;
  const port = options.port ?? PMAP_PORT;
  let mode = options.mode;
  if (mode === 'auto') {
    mode = (await probeRpcbind({ port })) ? 'system' : 'builtin';
    log.log('info', `portmap: auto mode chose ${mode}`);
  }
  if (mode === 'system') return startSystem(port, options.mappings, log);
  return startBuiltin(options.host ?? '0.0.0.0', port, options.mappings, log);
}
