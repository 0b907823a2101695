/**
 * Wire check by an independent decoder: real calls (our codecs behind the RPC call header) and
 * the real replies of program 100000 (through the RPC dispatcher) are written to a pcap on port
 * 111 over TCP and UDP, and tshark's portmap/rpcbind dissector must read every one of them
 * without a malformed-packet or error-level complaint, seeing the values we put in.
 */

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcDispatcher, encodeCallHeader } from '../../protocol/rpc/index.js';
import { XdrWriter } from '../../protocol/xdr/index.js';
import { createPortmapProgram } from '../../protocol/portmap/program.js';
import { PortmapRegistry } from '../../protocol/portmap/registry.js';
import { encodeMapping, encodeCallArgs } from '../../protocol/portmap/pmap-codec.js';
import { encodeRpcb } from '../../protocol/portmap/rpcb-codec.js';
import { PcapWriter, type Flow } from '../lib/pcap.js';
import { missingTools } from '../lib/portmap-netns.js';

const skip = missingTools(['tshark']);

interface Call {
  vers: number;
  proc: number;
  args?: (w: XdrWriter) => void;
}

const nfsRpcb = (vers: number, netid = '') => (w: XdrWriter) =>
  encodeRpcb(w, { prog: 100003, vers, netid, uaddr: '', owner: '' });

const CALLS: Call[] = [
  { vers: 2, proc: 0 },
  { vers: 2, proc: 1, args: (w) => encodeMapping(w, { prog: 300000, vers: 1, prot: 17, port: 999 }) },
  { vers: 2, proc: 3, args: (w) => encodeMapping(w, { prog: 100003, vers: 3, prot: 6, port: 0 }) },
  { vers: 2, proc: 4 },
  { vers: 2, proc: 2, args: (w) => encodeMapping(w, { prog: 300000, vers: 1, prot: 0, port: 0 }) },
  { vers: 2, proc: 5, args: (w) => encodeCallArgs(w, { prog: 100003, vers: 3, proc: 0, args: Buffer.alloc(0) }) },
  { vers: 3, proc: 3, args: nfsRpcb(3, 'tcp') },
  { vers: 3, proc: 4 },
  { vers: 3, proc: 6 },
  { vers: 3, proc: 1, args: (w) => encodeRpcb(w, { prog: 300001, vers: 2, netid: 'tcp6', uaddr: '::1.3.232', owner: 'x' }) },
  { vers: 3, proc: 2, args: (w) => encodeRpcb(w, { prog: 300001, vers: 2, netid: '', uaddr: '', owner: 'x' }) },
  { vers: 4, proc: 3, args: nfsRpcb(3, 'tcp') },
  { vers: 4, proc: 9, args: nfsRpcb(3, 'tcp') },
  { vers: 4, proc: 4 },
  { vers: 4, proc: 11, args: nfsRpcb(3) },
  { vers: 4, proc: 12 },
];

function tshark(file: string, ...args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, '-o', 'tcp.desegment_tcp_streams:TRUE', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout;
}

t.test('tshark decodes portmap v2/v3/v4 calls and replies on port 111', { skip }, async (t) => {
  const registry = new PortmapRegistry('superuser');
  registry.set({ prog: 100003, vers: 3, protocol: 'tcp', port: 2049 });
  registry.set({ prog: 100003, vers: 3, protocol: 'udp', port: 2049, host: '::' });
  const dispatcher = new RpcDispatcher();
  dispatcher.register(createPortmapProgram({ registry }));

  const pcap = new PcapWriter();
  const tcpFlow: Flow = { client: { ip: '127.0.0.1', port: 700 }, server: { ip: '127.0.0.1', port: 111 } };
  const udpFlow: Flow = { client: { ip: '127.0.0.1', port: 701 }, server: { ip: '127.0.0.1', port: 111 } };
  let xid = 0x5000;
  for (const transport of ['tcp', 'udp'] as const) {
    for (const c of CALLS) {
      const w = new XdrWriter(128);
      encodeCallHeader(w, { xid: ++xid, program: 100000, version: c.vers, procedure: c.proc });
      c.args?.(w);
      const call = w.toBuffer();
      const from = { transport, remoteAddress: '127.0.0.1', remotePort: 700, localPort: 111 };
      const reply = await dispatcher.dispatch(call, from, false);
      t.ok(reply, `v${c.vers} proc ${c.proc} over ${transport} has a reply`);
      const replyBytes = Buffer.concat(reply!);
      if (transport === 'tcp') {
        pcap.tcpRpc(tcpFlow, 'toServer', call);
        pcap.tcpRpc(tcpFlow, 'toClient', replyBytes);
      } else {
        pcap.udp(udpFlow, 'toServer', call);
        pcap.udp(udpFlow, 'toClient', replyBytes);
      }
    }
  }
  pcap.closeAll();

  const dir = mkdtempSync(join(tmpdir(), 'portmap-pcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'portmap.pcap');
  pcap.writeFile(file);

  const complaints = tshark(file, '-Y', '_ws.malformed || _ws.expert.severity >= "error"', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message');
  t.equal(complaints.trim(), '', 'no malformed packets, no error-level expert info');

  const calls = tshark(file, '-Y', 'rpc.msgtyp == 0 && rpc.program == 100000', '-T', 'fields', '-e', 'rpc.xid').trim().split('\n');
  const replies = tshark(file, '-Y', 'rpc.msgtyp == 1 && rpc.program == 100000', '-T', 'fields', '-e', 'rpc.xid').trim().split('\n');
  t.equal(calls.length, 2 * CALLS.length, 'every call is dissected as portmap');
  t.equal(replies.length, 2 * CALLS.length, 'every reply is matched to its call');

  const verbose = tshark(file, '-V', '-Y', 'rpc.msgtyp == 1');
  t.match(verbose, /Port: 2049/, 'GETPORT reply decoded');
  t.match(verbose, /Universal Address: 0\.0\.0\.0\.8\.1/, 'GETADDR reply decoded');
  t.match(verbose, /Network Id: udp6/, 'v3/v4 DUMP lists the inet6 row');
  const procUnavail = tshark(file, '-Y', 'rpc.state_accept == 3', '-T', 'fields', '-e', 'rpc.procedure').trim().split('\n');
  t.same(procUnavail, ['5', '5'], 'only CALLIT is refused (PROC_UNAVAIL), over TCP and UDP');
  t.notMatch(verbose, /Malformed|Exception occurred/);
});
