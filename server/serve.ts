/**
 * startServer: open every export's union, register MOUNT and NFS on their ports, announce them
 * through the portmapper, and return a handle that closes it all cleanly.
 */

import type { Logger } from '../protocol/rpc/index.js';
import type { ServerConfig } from './config.js';

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
  void config;
  void options;
  throw new ServerStartError('not implemented yet');
}
