/**
 * A server over temporary layers, in this process, on ephemeral ports and without a portmapper:
 * what most server tests need. `layers` lets a test fill the lower before the union opens.
 */

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS, type ExportConfig, type ServerConfig } from '../../../server/config.js';
import { startServer, type RunningServer } from '../../../server/serve.js';

export interface Fixture {
  root: string;
  lower: string;
  upper: string;
  work: string;
  server: RunningServer;
  config: ServerConfig;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(
  opts: { prepare?: (dirs: { lower: string }) => Promise<void>; export?: Partial<ExportConfig>; config?: Partial<ServerConfig> } = {},
): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'fallthru-server-'));
  const lower = join(root, 'lower');
  const upper = join(root, 'upper');
  const work = join(root, 'work');
  await Promise.all([mkdir(lower), mkdir(upper), mkdir(work)]);
  await opts.prepare?.({ lower });
  const config: ServerConfig = {
    exports: [
      {
        path: '/union',
        lowers: [lower],
        upper,
        work,
        readOnly: false,
        squash: 'none',
        anonUid: DEFAULTS.anonUid,
        anonGid: DEFAULTS.anonGid,
        allow: [],
        secure: false,
        ...opts.export,
      },
    ],
    bind: '127.0.0.1',
    nfsPort: 0,
    mountPort: 0,
    portmap: 'none',
    portmapPort: 111,
    ...opts.config,
  };
  const fixture: Fixture = {
    root,
    lower,
    upper,
    work,
    config,
    server: await startServer(config),
    async restart() {
      await fixture.server.close();
      // Same ports, so clients can keep talking to the restarted server.
      fixture.server = await startServer({ ...config, nfsPort: fixture.server.nfsPort, mountPort: fixture.server.mountPort });
    },
    async close() {
      await fixture.server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return fixture;
}
