/**
 * The built-in portmapper on port 111, queried by Debian's rpcinfo (libtirpc), inside private
 * network and mount namespaces (see test/lib/portmap-netns.ts).
 */

import t from 'tap';
import { fileURLToPath } from 'node:url';
import { missingTools, netnsUnavailableReason, runScenario, type ToolResult } from '../lib/portmap-netns.js';

const scenario = fileURLToPath(new URL('../lib/portmap-scenario-builtin.js', import.meta.url));
const skip = netnsUnavailableReason() ?? missingTools(['rpcinfo', 'ip']);

interface BuiltinResult {
  mode: string;
  ports: { tcpPort: number; udpPort: number };
  wireSet: boolean;
  wireUnset: boolean;
  [tool: string]: unknown;
}

/** rpcinfo -p rows as "prog vers proto port". */
function pmapRows(out: string): string[] {
  return out
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/).slice(0, 4).join(' '))
    .filter(Boolean);
}

t.test('rpcinfo against the built-in portmapper', { skip }, async (t) => {
  const r = await runScenario<BuiltinResult>(scenario);
  const tool = (name: string) => {
    const res = r[name] as ToolResult;
    t.equal(res.code, 0, `rpcinfo ${name} exits 0 (stderr: ${res.stderr.trim()})`);
    return res.stdout;
  };
  const { tcpPort, udpPort } = r.ports;
  t.equal(r.mode, 'builtin', 'auto mode chose builtin: nothing else on port 111');

  t.same(pmapRows(tool('p')), [
    '100000 4 tcp 111', '100000 3 tcp 111', '100000 2 tcp 111',
    '100000 4 udp 111', '100000 3 udp 111', '100000 2 udp 111',
    `200001 1 tcp ${tcpPort}`, `200001 1 udp ${udpPort}`, `200001 2 tcp ${tcpPort}`,
    '200002 1 tcp 4321',
  ], 'rpcinfo -p (v2 DUMP) lists the binder and the fake programs; the inet6-only row is not in v2');

  t.match(tool('t-pmap2'), /program 100000 version 2 ready and waiting/);
  t.match(tool('T-tcp-pmap4'), /program 100000 version 4 ready and waiting/);
  t.match(tool('u-pmap2'), /program 100000 version 2 ready and waiting/);

  const s = tool('s');
  t.match(s, /^\s*100000\s+2,3,4\s+udp,tcp\s+portmapper\s+superuser$/m, 'rpcinfo -s (v4 DUMP): the binder');
  t.match(s, /^\s*200001\s+2,1\s+udp,tcp\s/m, 'rpcinfo -s: both versions of the fake program');
  t.match(s, /^\s*200002\s+1\s+udp6,tcp\s/m, 'rpcinfo -s: inet6 rows appear in v4');

  t.match(tool('t-fake1'), /program 200001 version 1 ready and waiting/, 'GETADDR led rpcinfo to the fake service over TCP');
  t.match(tool('u-fake-all'), /version 1 ready and waiting\n.*version 2 ready and waiting/,
    'version probing: GETADDR for version 0 still answers, the service reports its range');
  t.match(tool('t-fake-all'), /version 1 ready and waiting\n.*version 2 ready and waiting/);

  const l = tool('l-fake1');
  t.match(l, new RegExp(`inet/tcp/cots_ord\\s+127\\.0\\.0\\.1\\.${tcpPort >> 8}\\.${tcpPort & 0xff}\\s`), 'GETADDRLIST: tcp');
  t.match(l, new RegExp(`inet/udp/clts\\s+127\\.0\\.0\\.1\\.${udpPort >> 8}\\.${udpPort & 0xff}\\s`), 'GETADDRLIST: udp');

  const m = tool('m');
  t.match(m, /PORTMAP \(version 2\) statistics/, 'rpcinfo -m decodes GETSTAT');
  t.match(m, /RPCB_GETADDR \(version 4\) call statistics[\s\S]*200001\s+1\s+tcp\s+\d+/);

  t.equal(r.wireSet, true, 'v2 SET over UDP from loopback');
  t.ok(pmapRows(tool('p-after-set')).includes('300000 1 udp 999'), 'the wire registration is listed');
  t.equal(r.wireUnset, true, 'v2 UNSET');
  t.notOk(pmapRows(tool('p-after-unset')).some((row) => row.startsWith('300000 ')), 'and gone again');
});
