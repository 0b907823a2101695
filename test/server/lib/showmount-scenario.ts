/**
 * Scenario (run inside private namespaces by libnfs.test.ts): the server with its built-in
 * portmapper on port 111, queried by clients that find it only through the portmapper: Debian's
 * `showmount -e` (MOUNT EXPORT) and libnfs (`nfs-ls` with no ports in its URL). Prints one JSON
 * object with each tool's result.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool, type ToolResult } from '../../lib/portmap-netns.js';
import { startFixture } from './server-fixture.js';

const fx = await startFixture({
  prepare: async ({ lower }) => {
    await mkdir(join(lower, 'dir'));
    await writeFile(join(lower, 'dir/found-by-portmap.txt'), 'x\n');
  },
  export: {
    allow: [
      { spec: '127.0.0.1/32', address: '127.0.0.1', prefixLength: 32 },
      { spec: '10.20.0.0/16', address: '10.20.0.0', prefixLength: 16 },
    ],
  },
  moreExports: [{ path: '/other' }],
  config: { portmap: 'builtin', portmapPort: 111 },
});

const results: Record<string, ToolResult | string> = { portmapMode: fx.server.portmapMode };
try {
  results.showmount = await runTool('showmount', ['-e', '127.0.0.1']);
  results.nfsLs = await runTool('nfs-ls', ['nfs://127.0.0.1/union/dir?version=3']);
} finally {
  await fx.close();
}
console.log(JSON.stringify(results));
