/**
 * System mode against Debian's rpcbind daemon, in private network and mount namespaces (see
 * test/lib/portmap-netns.ts): auto mode must find it, register through it, and clean up.
 */

import t from 'tap';
import { fileURLToPath } from 'node:url';
import { missingTools, netnsUnavailableReason, runScenario, type ToolResult } from '../lib/portmap-netns.js';

const scenario = fileURLToPath(new URL('../lib/portmap-scenario-system.js', import.meta.url));
const skip = netnsUnavailableReason() ?? missingTools(['rpcinfo', 'rpcbind', 'ip']);

function rows(res: unknown): string[] {
  return (res as ToolResult).stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/).slice(0, 4).join(' '))
    .filter(Boolean);
}

t.test('register with a running rpcbind, then unregister', { skip }, async (t) => {
  const r = await runScenario<Record<string, unknown>>(scenario);
  t.equal(r.rpcbindReady, true, 'rpcbind came up in the namespace');
  t.equal(r.mode, 'system', 'auto mode found the system rpcbind');

  const ours = (list: string[]) => list.filter((row) => /^20000[12] /.test(row));
  t.same(ours(rows(r.registered)), ['200001 1 tcp 4001', '200001 1 udp 4002', '200001 3 tcp 4001', '200002 1 tcp 4003']);
  t.match((r.registeredV4 as ToolResult).stdout, /^\s*200002\s+1\s+tcp6,tcp\s/m, 'the dual-stack mapping registered tcp6 too (v4 SET)');
  t.same(ours(rows(r.reregistered)).sort(), ['200001 1 tcp 4005', '200001 1 udp 4002', '200001 3 tcp 4001', '200002 1 tcp 4003'],
    'registering an existing row replaces it');

  t.same(ours(rows(r.unregistered)), [], 'close() removed every registration');
  t.notMatch((r.unregisteredV4 as ToolResult).stdout, /20000[12]/, 'including the inet6 ones');
  t.ok(rows(r.unregistered).includes('100000 2 tcp 111'), "rpcbind's own rows are untouched");
  t.same(r.rpcbindExit, { code: 0, signal: null, stderr: '' }, 'rpcbind stopped cleanly on SIGTERM');
});
