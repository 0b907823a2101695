/**
 * Scenario (run inside private namespaces by portmap-rpcinfo.test.ts): the built-in portmapper
 * on port 111 with a fake program 200001 (v1, v2, answering NULL on TCP and UDP) and a
 * registration-only program 200002, queried with Debian's rpcinfo.
 */

import { RpcClient, RpcServer } from '../../protocol/rpc/index.js';
import type { RpcProgram } from '../../protocol/rpc/types.js';
import { startPortmap } from '../../protocol/portmap/start.js';
import { encodeMapping } from '../../protocol/portmap/pmap-codec.js';
import { runTool, type ToolResult } from './portmap-netns.js';

const nullOnly = { name: 'NULL', decode: () => undefined, handle: () => undefined, encode: () => {} };
const fakeProgram: RpcProgram = { program: 200001, name: 'fake', versions: new Map([[1, [nullOnly]], [2, [nullOnly]]]) };

const fake = new RpcServer();
fake.register(fakeProgram);
const ports = await fake.listen({ host: '127.0.0.1', tcpPort: 0, udpPort: 0 });

// auto: nothing answers on 127.0.0.1:111 in a fresh namespace, so this must choose builtin.
const pm = await startPortmap({
  mode: 'auto',
  host: '0.0.0.0',
  mappings: [
    { prog: 200001, vers: 1, protocol: 'tcp', port: ports.tcpPort!, host: '127.0.0.1' },
    { prog: 200001, vers: 1, protocol: 'udp', port: ports.udpPort!, host: '127.0.0.1' },
    { prog: 200001, vers: 2, protocol: 'tcp', port: ports.tcpPort!, host: '127.0.0.1' },
    { prog: 200002, vers: 1, protocol: 'tcp', port: 4321 },
    { prog: 200002, vers: 1, protocol: 'udp', port: 4322, host: '::1' },
  ],
});

const results: Record<string, ToolResult | unknown> = { mode: pm.mode, ports };
const rpcinfo = async (name: string, ...args: string[]) => (results[name] = await runTool('rpcinfo', args));

await rpcinfo('p', '-p', '127.0.0.1');
await rpcinfo('t-pmap2', '-t', '127.0.0.1', '100000', '2');
await rpcinfo('T-tcp-pmap4', '-T', 'tcp', '127.0.0.1', '100000', '4');
await rpcinfo('u-pmap2', '-u', '127.0.0.1', '100000', '2');
await rpcinfo('s', '-s', '127.0.0.1');
await rpcinfo('t-fake1', '-t', '127.0.0.1', '200001', '1');
await rpcinfo('u-fake-all', '-u', '127.0.0.1', '200001');
await rpcinfo('t-fake-all', '-t', '127.0.0.1', '200001');
await rpcinfo('l-fake1', '-l', '127.0.0.1', '200001', '1');
await rpcinfo('m', '-m', '127.0.0.1');

// A wire SET from loopback over UDP (as old servers register), then UNSET.
const client = await RpcClient.connect({ transport: 'udp', host: '127.0.0.1', port: 111, timeoutMs: 5000 });
const set = await client.call(100000, 2, 1, (w) => encodeMapping(w, { prog: 300000, vers: 1, prot: 17, port: 999 }));
results.wireSet = set.bool();
await rpcinfo('p-after-set', '-p', '127.0.0.1');
const unset = await client.call(100000, 2, 2, (w) => encodeMapping(w, { prog: 300000, vers: 1, prot: 0, port: 0 }));
results.wireUnset = unset.bool();
await rpcinfo('p-after-unset', '-p', '127.0.0.1');
await client.close();

await pm.close();
await fake.close();
console.log(JSON.stringify(results));
