/**
 * SystemRpcbind against our own binder over real loopback TCP sockets (ephemeral ports, no
 * namespace needed): v4 registration, the v2 fallback for an old port mapper, refusal and
 * rollback, and the probe.
 */

import t, { type Test } from 'tap';
import net from 'node:net';
import { RpcServer } from '../../protocol/rpc/index.js';
import type { RpcProgram } from '../../protocol/rpc/types.js';
import { createPortmapProgram, type PortmapProgram } from '../../protocol/portmap/program.js';
import { PortmapRegistry, type ServiceMapping } from '../../protocol/portmap/registry.js';
import { probeRpcbind, RpcbindRegistrationError, SystemRpcbind } from '../../protocol/portmap/system-rpcbind.js';

const MAPPINGS: ServiceMapping[] = [
  { prog: 200001, vers: 1, protocol: 'tcp', port: 4001 },
  { prog: 200001, vers: 1, protocol: 'udp', port: 4002 },
  { prog: 200002, vers: 1, protocol: 'tcp', port: 4003, host: '::' },
];

async function serve(t: Test, program: RpcProgram): Promise<number> {
  const server = new RpcServer();
  server.register(program);
  const { tcpPort } = await server.listen({ host: '127.0.0.1', tcpPort: 0 });
  t.teardown(() => server.close());
  return tcpPort!;
}

const rowsOf = (p: PortmapProgram) => p.registry.list().map((r) => `${r.prog}/${r.vers}/${r.netid} ${r.uaddr} ${r.owner}`);

t.test('v4 registration carries netids and universal addresses; unregisterAll removes them', async (t) => {
  const binder = createPortmapProgram({ registry: new PortmapRegistry('superuser') });
  const port = await serve(t, binder);
  const sys = new SystemRpcbind({ port });
  await sys.register(MAPPINGS);
  t.same(rowsOf(binder), [
    '200001/1/tcp 0.0.0.0.15.161 unknown',
    '200001/1/udp 0.0.0.0.15.162 unknown',
    '200002/1/tcp 0.0.0.0.15.163 unknown',
    '200002/1/tcp6 ::.15.163 unknown',
  ], 'owner is what the binder derives from an AUTH_NONE caller');
  t.equal(sys.registrations.length, 4);
  await sys.unregisterAll();
  t.same(rowsOf(binder), []);
  t.equal(sys.registrations.length, 0);
});

t.test('an old v2-only port mapper gets v2 SET/UNSET, inet rows only', async (t) => {
  const full = createPortmapProgram({ registry: new PortmapRegistry('superuser') });
  const v2Only: RpcProgram = { ...full, versions: new Map([[2, full.versions.get(2)!]]) };
  const port = await serve(t, v2Only);
  const sys = new SystemRpcbind({ port });
  await sys.register(MAPPINGS);
  t.same(rowsOf(full), [
    '200001/1/tcp 0.0.0.0.15.161 unknown',
    '200001/1/udp 0.0.0.0.15.162 unknown',
    '200002/1/tcp 0.0.0.0.15.163 unknown',
  ], 'TCP survives the UDP row being registered (UNSETs all come first)');
  await sys.unregisterAll();
  t.same(rowsOf(full), []);
});

t.test('a row owned by someone else is refused, and the batch is rolled back', async (t) => {
  const binder = createPortmapProgram({ registry: new PortmapRegistry('superuser') });
  binder.registry.set({ prog: 200002, vers: 1, protocol: 'tcp', port: 2049 });
  const port = await serve(t, binder);
  const sys = new SystemRpcbind({ port });
  const err = await sys.register(MAPPINGS).catch((e: unknown) => e);
  t.type(err, RpcbindRegistrationError);
  t.same((err as RpcbindRegistrationError).refused.map((r) => `${r.prog}/${r.vers}/${r.netid}`), ['200002/1/tcp']);
  t.same(rowsOf(binder), ['200002/1/tcp 0.0.0.0.8.1 superuser'], 'only the other owner\'s row is left');
  t.equal(sys.registrations.length, 0);
});

t.test('probeRpcbind', async (t) => {
  const port = await serve(t, createPortmapProgram());
  t.equal(await probeRpcbind({ port }), true, 'a binder answers NULL');
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const freePort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  t.equal(await probeRpcbind({ port: freePort }), false, 'connection refused');
  const other = await serve(t, { program: 200001, name: 'other', versions: new Map([[1, []]]) });
  t.equal(await probeRpcbind({ port: other }), false, 'something that is not a port mapper');
});
