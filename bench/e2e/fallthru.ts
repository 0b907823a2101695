/**
 * Start fallthru for a round: the compiled fallthru-entry in its own process inside the round's
 * namespace, exporting /union with the same layers as ganesha's overlay, root not squashed (as
 * ganesha's No_Root_Squash), no portmapper (the load generator is told both ports).
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../../server/config.js';
import { checkedExport } from '../../server/config-values.js';
import { NODE_FLAGS } from '../../server/node-flags.js';
import { compiledDir } from './paths.js';
import { oneLine, waitForLine } from './proc.js';
import { EXPORT_PATH, MOUNT_PORT, NFS_PORT, type ServerUnderTest, type StartParams } from './server.js';

export async function startFallthru(p: StartParams): Promise<ServerUnderTest> {
  const config: ServerConfig = {
    // The serve defaults for everything not given, as the CLI and config file fill them in.
    exports: [
      checkedExport(
        { path: EXPORT_PATH, lowers: p.layers.lowers, upper: p.dirs.upper, work: p.dirs.work, squash: 'none', async: p.async ?? false },
        String,
      ),
    ],
    bind: '127.0.0.1',
    nfsPort: NFS_PORT,
    mountPort: MOUNT_PORT,
    portmap: 'none',
    portmapPort: 111,
  };
  const configPath = join(p.dirs.state, 'fallthru.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const args = [...NODE_FLAGS, join(compiledDir(), 'fallthru-entry.js'), configPath, ...(p.profileDir ? [p.profileDir] : [])];
  const proc = p.ns.start('fallthru', process.execPath, args, { nofile: p.nofile });
  try {
    await waitForLine(proc, /^READY /, 60_000);
  } catch (e) {
    await proc.stop('SIGKILL');
    throw e;
  }
  let dead: string | undefined;
  void proc.exited.then(({ code, signal }) => (dead = `fallthru exited ${code ?? signal}: ${oneLine(proc.tail())}`));

  // The profiler is toggled by SIGUSR2; each toggle is acknowledged on stdout.
  const toggle = async (ack: RegExp) => {
    const seen = waitForLine(proc, ack, 120_000);
    proc.child.kill('SIGUSR2');
    return seen;
  };
  return {
    kind: 'fallthru',
    pid: proc.pid,
    nfsPort: NFS_PORT,
    mountPort: MOUNT_PORT,
    exportPath: EXPORT_PATH,
    deadReason: () => dead,
    profiler: p.profileDir
      ? {
          start: async () => void (await toggle(/^PROFILE started/)),
          stop: async () => (await toggle(/^PROFILE written /)).replace(/^PROFILE written /, '').trim(),
        }
      : undefined,
    // close() flushes the union; a large tree can take a while.
    stop: () => proc.stop('SIGTERM', 60_000),
  };
}
