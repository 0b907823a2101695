/**
 * Scenario (run inside private namespaces by portmap-system.test.ts): Debian's rpcbind runs in
 * the foreground on port 111; startPortmap in auto mode must find it, register our programs
 * through it, and unregister them on close.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPortmap } from '../../protocol/portmap/start.js';
import { probeRpcbind } from '../../protocol/portmap/system-rpcbind.js';
import { runTool, type ToolResult } from './portmap-netns.js';

const results: Record<string, ToolResult | unknown> = {};

// -f: stay in the foreground (our child, stopped by pid); -w: warm start files, harmless on a
// fresh /run. (Not -h: rpcbind -h ADDR is known to crash.)
const rpcbind = spawn('rpcbind', ['-f', '-w'], { stdio: ['ignore', 'ignore', 'pipe'] });
let rpcbindStderr = '';
rpcbind.stderr.on('data', (d: Buffer) => (rpcbindStderr += d.toString()));
const exited = once(rpcbind, 'exit');

try {
  // Readiness: rpcbind needs a moment to bind its sockets.
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    ready = await probeRpcbind({ timeoutMs: 1000 });
    if (!ready) await sleep(100);
  }
  results.rpcbindReady = ready;

  const pm = await startPortmap({
    mode: 'auto',
    mappings: [
      { prog: 200001, vers: 1, protocol: 'tcp', port: 4001 },
      { prog: 200001, vers: 1, protocol: 'udp', port: 4002 },
      { prog: 200001, vers: 3, protocol: 'tcp', port: 4001 },
      { prog: 200002, vers: 1, protocol: 'tcp', port: 4003, host: '::' },
    ],
  });
  results.mode = pm.mode;
  results.registered = await runTool('rpcinfo', ['-p', '127.0.0.1']);
  results.registeredV4 = await runTool('rpcinfo', ['-s', '127.0.0.1']);
  // Registering again (a restart after a crash left rows behind) must replace, not fail.
  await pm.add([{ prog: 200001, vers: 1, protocol: 'tcp', port: 4005 }]);
  results.reregistered = await runTool('rpcinfo', ['-p', '127.0.0.1']);
  await pm.close();
  results.unregistered = await runTool('rpcinfo', ['-p', '127.0.0.1']);
  results.unregisteredV4 = await runTool('rpcinfo', ['-s', '127.0.0.1']);
} finally {
  rpcbind.kill('SIGTERM');
  const [code, signal] = await exited;
  results.rpcbindExit = { code, signal, stderr: rpcbindStderr };
}
console.log(JSON.stringify(results));
