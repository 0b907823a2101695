/**
 * Connection behaviour over real sockets: malformed records do not break a connection, replies
 * come back in completion order, caps and back-pressure hold, close() is graceful, and the client
 * retransmits over UDP and binds a chosen source port.
 */

import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { XdrReader } from '../../protocol/xdr/index.js';
import {
  AcceptStat,
  decodeCallHeader,
  decodeReplyHeader,
  encodeCallHeader,
  RpcClient,
  RpcServer,
  RpcTransportError,
  writeSuccessHeader,
  type Logger,
  type LogFields,
  type RpcProgram,
} from '../../protocol/rpc/index.js';
import { XdrWriter } from '../../protocol/xdr/index.js';
import { bigReturned, ECHO_MAX, TEST_PROGRAM, TEST_VERSION_LOW as V, TestProc, testProgram } from '../lib/rpc-test-program.js';
import { frameRecord, RawTcp, xdrWords } from '../lib/rpc-raw.js';

async function startServer(opts: ConstructorParameters<typeof RpcServer>[0] = {}, programs: RpcProgram[] = [testProgram]) {
  const server = new RpcServer(opts);
  for (const p of programs) server.register(p);
  const ports = await server.listen({ tcpPort: 0, udpPort: 0 });
  return { server, tcpPort: ports.tcpPort!, udpPort: ports.udpPort! };
}

function callBody(xid: number, proc: number, ...args: Array<number | Buffer>): Buffer {
  return xdrWords(xid, 0, 2, TEST_PROGRAM, V, proc, 0, 0, 0, 0, ...args);
}

function replyOf(record: Buffer) {
  const r = new XdrReader(record);
  return { header: decodeReplyHeader(r), r };
}

/** A free port number on 127.0.0.1 for the given transport (bound, read, released). */
async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'tcp') {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  }
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const main = await startServer();
t.teardown(() => main.server.close());

t.test('malformed records are answered or dropped; the next call on the connection works', async (t) => {
  const raw = await RawTcp.connect(main.tcpPort);
  t.teardown(() => raw.destroy());
  raw.write(frameRecord(Buffer.from([1, 2, 3]))); // too short: dropped
  raw.write(frameRecord(xdrWords(5, 1, 0, 0, 0, 0))); // a REPLY sent to a server: dropped
  raw.write(frameRecord(callBody(10, TestProc.ECHO, 1000))); // opaque<64> claiming 1000 bytes
  raw.write(frameRecord(callBody(11, TestProc.THROW)));
  raw.write(frameRecord(callBody(12, TestProc.ECHO, 3, Buffer.from([7, 8, 9, 0])), [5, 17, 40])); // 4 fragments
  const replies = (await raw.waitForReplies(3)).map(replyOf);
  t.same(
    replies.map((x) => [x.header.xid, (x.header.body as { acceptStat: number }).acceptStat]),
    [
      [10, AcceptStat.GARBAGE_ARGS],
      [11, AcceptStat.SYSTEM_ERR],
      [12, AcceptStat.SUCCESS],
    ],
  );
  t.same([...replies[2].r.opaque(ECHO_MAX)], [7, 8, 9]);
  t.notOk(raw.closed, 'connection still open');
});

t.test('slow call then fast call on one connection: the fast one is answered first', async (t) => {
  const client = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: main.tcpPort });
  t.teardown(() => client.close());
  const order: string[] = [];
  const slow = client.call(TEST_PROGRAM, V, TestProc.SLOW, (w) => w.uint32(300)).then(() => order.push('slow'));
  const fast = client.call(TEST_PROGRAM, V, TestProc.NULL).then(() => order.push('fast'));
  await Promise.all([slow, fast]);
  t.same(order, ['fast', 'slow']);
});

t.test('oversized record closes that connection only', async (t) => {
  const raw = await RawTcp.connect(main.tcpPort);
  const other = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: main.tcpPort });
  t.teardown(() => other.close());
  raw.write(xdrWords(0x8000_0000 | (64 * 1024 * 1024)));
  await raw.waitClosed();
  t.ok(raw.closed, 'offending connection closed');
  await other.call(TEST_PROGRAM, V, TestProc.NULL);
  t.pass('other connection unaffected');
});

t.test('a peer that half-closes after sending still gets its replies', async (t) => {
  const raw = await RawTcp.connect(main.tcpPort);
  raw.write(frameRecord(callBody(21, TestProc.SLOW, 50)));
  raw.write(frameRecord(callBody(22, TestProc.NULL)));
  raw.socket.end();
  const replies = await raw.waitForReplies(2);
  t.same(replies.map((r) => replyOf(r).header.xid).sort(), [21, 22]);
});

t.test('per-connection in-flight cap: reading pauses, every call is still answered', async (t) => {
  let running = 0;
  let peak = 0;
  const counting: RpcProgram = {
    program: 0x40fa1200,
    name: 'counting',
    versions: new Map([
      [1, [
        {
          name: 'WAIT',
          decode: () => undefined,
          handle: async () => {
            peak = Math.max(peak, ++running);
            await new Promise((r) => setTimeout(r, 5));
            running--;
          },
          encode: () => {},
        },
      ]],
    ]),
  };
  const s = await startServer({ maxCallsInFlightPerConnection: 3 }, [counting]);
  t.teardown(() => s.server.close());
  const client = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: s.tcpPort });
  t.teardown(() => client.close());
  await Promise.all(Array.from({ length: 40 }, () => client.call(0x40fa1200, 1, 0)));
  t.equal(peak, 3, 'never more than the cap running at once on one connection');
});

t.test('a 1 MiB reply goes out whole (referenced, not copied)', async (t) => {
  const client = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: main.tcpPort });
  t.teardown(() => client.close());
  const r = await client.call(TEST_PROGRAM, V, TestProc.BIG, (w) => w.uint32(1 << 20));
  const data = r.opaque(1 << 20);
  t.equal(data.length, 1 << 20);
  t.ok(data.every((b) => b === 0x5a));
});

t.test('a buffer lent to a reply comes back once the reply is sent, or dropped', async (t) => {
  bigReturned.length = 0;
  const client = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: main.tcpPort });
  await Promise.all([1 << 20, 4096, 70_000].map((n) => client.call(TEST_PROGRAM, V, TestProc.BIG, (w) => w.uint32(n))));
  t.same(bigReturned.map((b) => b.length).sort((a, b) => a - b), [4096, 70_000, 1 << 20], 'each given back once after its reply left');
  const udp = await RpcClient.connect({ transport: 'udp', host: '127.0.0.1', port: main.udpPort });
  await udp.call(TEST_PROGRAM, V, TestProc.BIG, (w) => w.uint32(8192));
  t.equal(bigReturned.length, 4, 'over UDP too');
  await udp.close();
  // A reply whose connection goes away (written or not): its buffer still comes back.
  const raw = await RawTcp.connect(main.tcpPort);
  raw.write(frameRecord(callBody(77, TestProc.BIG, 1 << 22)));
  raw.destroy();
  for (let i = 0; i < 200 && bigReturned.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(bigReturned.length, 5, 'given back when the connection was closed before the reply');
  await client.close();
});

t.test('close() is graceful: in-flight calls are answered, then new connections are refused', async (t) => {
  // A gate procedure: reports that it started, then waits to be released. No timing involved.
  let started = 0;
  let onStart: () => void = () => {};
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  const gate: RpcProgram = {
    program: 0x40fa1201,
    name: 'gate',
    versions: new Map([[1, [{ name: 'GATE', decode: () => undefined, handle: async () => { started++; onStart(); await released; return 7; }, encode: (w, v: number) => void w.uint32(v) }]]]),
  };
  const s = await startServer({}, [gate]);
  const tcp = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: s.tcpPort });
  const udp = await RpcClient.connect({ transport: 'udp', host: '127.0.0.1', port: s.udpPort });
  t.teardown(() => Promise.all([tcp.close(), udp.close()]));
  const bothStarted = new Promise<void>((r) => (onStart = () => started === 2 && r()));
  const viaTcp = tcp.call(0x40fa1201, 1, 0);
  const viaUdp = udp.call(0x40fa1201, 1, 0);
  await bothStarted;
  let closed = false;
  const closing = s.server.close().then(() => (closed = true));
  await t.rejects(RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: s.tcpPort }), 'no new connections once closing');
  t.notOk(closed, 'close() waits for the calls in flight');
  release();
  t.equal((await viaTcp).uint32(), 7);
  t.equal((await viaUdp).uint32(), 7);
  await closing;
  t.ok(closed);
});

t.test('TCP client fails outstanding calls when the server drops the connection', async (t) => {
  const srv = net.createServer((sock) => sock.once('data', () => sock.destroy()));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise((r) => srv.close(r)));
  const client = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
  t.teardown(() => client.close());
  await t.rejects(client.call(1, 1, 0), RpcTransportError);
  await t.rejects(client.call(1, 1, 0), RpcTransportError, 'later calls fail at once');
});

t.test('UDP client retransmits with the same xid until answered', async (t) => {
  const fake = dgram.createSocket('udp4');
  await new Promise<void>((r) => fake.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => fake.close(() => r())));
  const seenXids: number[] = [];
  fake.on('message', (msg, from) => {
    const call = decodeCallHeader(new XdrReader(msg));
    seenXids.push(call.xid);
    if (seenXids.length < 3) return; // lose the first two
    const w = new XdrWriter(64);
    writeSuccessHeader(w, call.xid);
    w.uint32(99);
    fake.send(w.toBuffer(), from.port, from.address);
  });
  const client = await RpcClient.connect({ transport: 'udp', host: '127.0.0.1', port: fake.address().port, retransmitMs: 10, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  const r = await client.call(5, 1, 0);
  t.equal(r.uint32(), 99);
  t.equal(seenXids.length, 3);
  t.equal(new Set(seenXids).size, 1, 'one xid for all transmissions');
});

for (const transport of ['tcp', 'udp'] as const) {
  t.test(`${transport} client binds the requested local port`, async (t) => {
    const localPort = await freePort(transport);
    const port = transport === 'tcp' ? main.tcpPort : main.udpPort;
    const client = await RpcClient.connect({ transport, host: '127.0.0.1', port, localPort, localAddress: '127.0.0.1' });
    t.teardown(() => client.close());
    const r = await client.call(TEST_PROGRAM, V, TestProc.WHOAMI);
    r.uint32(); // flavor
    t.equal(r.string(8), transport);
    t.equal(r.string(64), '127.0.0.1');
    t.equal(r.uint32(), localPort);
  });
}

t.test('FALLTHRU_TRACE=rpc traces calls as JSON-ready fields', async (t) => {
  const lines: Array<{ msg: string; fields?: LogFields }> = [];
  const logger: Logger = { log: (level, msg, fields) => level === 'trace' && lines.push({ msg, fields }) };
  const s = await startServer({ logger, trace: 'nfs3,rpc' });
  t.teardown(() => s.server.close());
  const client = await RpcClient.connect({ transport: 'udp', host: '127.0.0.1', port: s.udpPort });
  t.teardown(() => client.close());
  await client.call(TEST_PROGRAM, V, TestProc.NULL);
  await t.rejects(client.call(TEST_PROGRAM, V, 77));
  t.match(lines, [
    { msg: 'call', fields: { sub: 'rpc', program: TEST_PROGRAM, procedure: 'NULL', status: 'SUCCESS' } },
    { msg: 'reject', fields: { sub: 'rpc', procedure: 77, status: 'PROC_UNAVAIL' } },
  ]);
  t.doesNotThrow(() => lines.forEach((l) => JSON.stringify(l)));
});

t.test('client exchange: a hand-built call header is answered', async (t) => {
  const client = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: main.tcpPort });
  t.teardown(() => client.close());
  const { header, reader } = await client.exchange((w, xid) => {
    encodeCallHeader(w, { xid, program: TEST_PROGRAM, version: V, procedure: TestProc.SLOW });
    w.uint32(1);
  });
  t.match(header.body, { acceptStat: AcceptStat.SUCCESS });
  t.equal(reader.uint32(), 1);
});
