/**
 * fallthru as its own process for the end-to-end benchmark (so its CPU time and RSS can be read
 * from /proc/PID like ganesha's): `node fallthru-entry.js CONFIG.json [PROFILE_DIR]` starts the
 * server, prints `READY {...}` on stdout, and closes cleanly on SIGTERM/SIGINT. Errors are one
 * line on stderr and exit 1.
 *
 * With PROFILE_DIR, SIGUSR2 toggles the V8 CPU profiler (in-process, the same sampler as
 * `node --cpu-prof`), so the harness can profile exactly one phase: the first signal prints
 * `PROFILE started`, the second writes PROFILE_DIR/<n>.cpuprofile and prints `PROFILE written
 * <path>`. (SIGUSR1 is taken: it opens Node's inspector.)
 */

import '../../server/thread-pool.js'; // first: sizes the thread pool before anything uses it
import '../../server/heap-tuning.js'; // first: caps old-generation growth before the heap fills
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { jsonLogger } from '../../protocol/rpc/index.js';
import type { ServerConfig } from '../../server/config.js';
import { startServer } from '../../server/serve.js';

function profileOnSignal(dir: string): void {
  const session = new Session();
  session.connect();
  let running = false;
  let count = 0;
  let busy: Promise<void> = session.post('Profiler.enable').then(() => undefined);
  process.on('SIGUSR2', () => {
    busy = busy
      .then(async () => {
        if (!running) {
          await session.post('Profiler.start');
          running = true;
          process.stdout.write('PROFILE started\n');
          return;
        }
        const { profile } = await session.post('Profiler.stop');
        running = false;
        const file = join(dir, `${++count}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        process.stdout.write(`PROFILE written ${file}\n`);
      })
      .catch((e: unknown) => void process.stderr.write(`fallthru-entry: profiler: ${String(e)}\n`));
  });
}

async function main(configPath: string | undefined, profileDir: string | undefined): Promise<void> {
  if (!configPath) throw new Error('usage: fallthru-entry CONFIG.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as ServerConfig;
  // Warnings and errors only: logging every call would measure the logger.
  const server = await startServer(config, { logger: jsonLogger(process.stderr, 'warn') });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`fallthru-entry: close failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (profileDir) profileOnSignal(profileDir);
  process.stdout.write(`READY ${JSON.stringify({ pid: process.pid, nfsPort: server.nfsPort, mountPort: server.mountPort })}\n`);
}

main(process.argv[2], process.argv[3]).catch((e: unknown) => {
  process.stderr.write(`fallthru-entry: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
