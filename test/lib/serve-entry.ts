/**
 * A server in its own process, for tests that must SIGKILL it and start it again (the CLI lives on
 * another branch; this is the smallest stand-in):
 *
 *   node dist/test/lib/serve-entry.js '<ServerConfig as JSON>'
 *
 * Prints one JSON line `{"nfsPort":…,"mountPort":…,"portmapMode":…}` on stdout once every port
 * listens, logs (JSON lines, level warn and up) to stderr, and closes cleanly on SIGTERM or SIGINT.
 * It also exits when its stdin reaches end of file: the parent keeps stdin open as a pipe, so a
 * test process that dies without cleaning up (tap's timeout SIGKILLs it) takes this one with it.
 */

import { jsonLogger } from '../../protocol/rpc/index.js';
import type { ServerConfig } from '../../server/config.js';
import { startServer } from '../../server/serve.js';

const configJson = process.argv[2];
if (!configJson) {
  process.stderr.write('usage: serve-entry.js <ServerConfig as JSON>\n');
  process.exit(2);
}
const config = JSON.parse(configJson) as ServerConfig;
const server = await startServer(config, { logger: jsonLogger(process.stderr, 'warn') });
process.stdout.write(`${JSON.stringify({ nfsPort: server.nfsPort, mountPort: server.mountPort, portmapMode: server.portmapMode })}\n`);

let stopping = false;
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`serve-entry: ${why}, closing\n`);
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
process.stdin.on('end', () => void stop('parent gone (stdin closed)'));
process.stdin.on('error', () => void stop('parent gone (stdin error)'));
process.stdin.resume();
