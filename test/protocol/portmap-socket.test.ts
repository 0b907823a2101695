/**
 * startPortmap('builtin') over real loopback sockets on ephemeral ports: the binder lists itself
 * where it really listens, and bad calls get the right RPC status without hurting the next call.
 */

import t from 'tap';
import { RpcClient, RpcError } from '../../protocol/rpc/index.js';
import { AcceptStat } from '../../protocol/rpc/types.js';
// Through the table of contents, as the server will import it.
import { startPortmap, encodeMapping, decodePmaplist, uaddrPort } from '../../protocol/portmap/index.js';

t.test('builtin binder on ephemeral ports', async (t) => {
  const pm = await startPortmap({
    mode: 'builtin',
    host: '127.0.0.1',
    port: 0,
    mappings: [{ prog: 100003, vers: 3, protocol: 'tcp', port: 2049 }],
  });
  t.teardown(() => pm.close());
  t.equal(pm.mode, 'builtin');
  const self = pm.registry!.list().filter((r) => r.prog === 100000);
  const tcpPort = uaddrPort(self.find((r) => r.netid === 'tcp')!.uaddr);
  const udpPort = uaddrPort(self.find((r) => r.netid === 'udp')!.uaddr);
  t.ok(tcpPort > 0 && udpPort > 0, 'both transports listed');

  for (const [transport, port] of [['tcp', tcpPort], ['udp', udpPort]] as const) {
    const client = await RpcClient.connect({ transport, host: '127.0.0.1', port, timeoutMs: 5000 });
    t.teardown(() => client.close());

    const getport = await client.call(100000, 2, 3, (w) => encodeMapping(w, { prog: 100000, vers: 2, prot: transport === 'tcp' ? 6 : 17, port: 0 }));
    t.equal(getport.uint32(), port, `${transport}: the binder's own row names the port it listens on`);

    const garbage = await client.call(100000, 2, 3, (w) => w.uint32(100003)).catch((e: unknown) => e);
    t.equal((garbage as RpcError).acceptStat, AcceptStat.GARBAGE_ARGS, `${transport}: truncated mapping → GARBAGE_ARGS`);

    const mismatch = await client.call(100000, 5, 0).catch((e: unknown) => e);
    t.match(mismatch, { acceptStat: AcceptStat.PROG_MISMATCH, low: 2, high: 4 }, `${transport}: version 5 → PROG_MISMATCH 2..4`);

    const callit = await client.call(100000, 2, 5, (w) => w.uint32(1).uint32(1).uint32(0).uint32(0)).catch((e: unknown) => e);
    t.equal((callit as RpcError).acceptStat, AcceptStat.PROC_UNAVAIL, `${transport}: CALLIT → PROC_UNAVAIL`);

    const dump = decodePmaplist(await client.call(100000, 2, 4));
    t.ok(dump.some((m) => m.prog === 100003 && m.port === 2049), `${transport}: the next call still works`);
  }
});
