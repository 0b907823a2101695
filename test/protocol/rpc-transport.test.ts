/**
 * RpcServer and RpcClient over real sockets on 127.0.0.1: every accept and reject status is
 * produced by the server and decoded by the client, over TCP and over UDP.
 */

import t from 'tap';
import { XdrReader } from '../../protocol/xdr/index.js';
import {
  AcceptStat,
  AuthFlavor,
  AuthStat,
  encodeCallHeader,
  RejectStat,
  ReplyStat,
  requireAuthSys,
  RpcClient,
  RpcError,
  RpcServer,
  type Credentials,
  type Logger,
  type LogFields,
} from '../../protocol/rpc/index.js';
import {
  ECHO_MAX,
  TEST_PROGRAM,
  TEST_PROGRAM_SYS_ONLY,
  TEST_VERSION_HIGH,
  TEST_VERSION_LOW,
  TestProc,
  testProgram,
  testProgramSysOnly,
} from '../lib/rpc-test-program.js';
import { xdrWords } from '../lib/rpc-raw.js';

const logs: Array<{ level: string; msg: string; fields?: LogFields }> = [];
const logger: Logger = { log: (level, msg, fields) => logs.push({ level, msg, fields }) };

const server = new RpcServer({ logger });
server.register(testProgram);
server.register(testProgramSysOnly, { authPolicy: requireAuthSys });
const ports = await server.listen({ tcpPort: 0, udpPort: 0 });
t.teardown(() => server.close());

const V = TEST_VERSION_LOW;
const sysCred: Credentials = { flavor: AuthFlavor.AUTH_SYS, stamp: 7, machineName: 'tester', uid: 1000, gid: 100, gids: [4, 24, 27] };

/** The RpcError a call rejects with; anything else (including success) fails the test. */
async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error('call succeeded but an RpcError was expected');
}

for (const transport of ['tcp', 'udp'] as const) {
  t.test(`${transport}: statuses`, async (t) => {
    const port = transport === 'tcp' ? ports.tcpPort! : ports.udpPort!;
    const client = await RpcClient.connect({ transport, host: '127.0.0.1', port, timeoutMs: 5000, retransmitMs: 2000 });
    t.teardown(() => client.close());

    t.test('SUCCESS: NULL, echo, union, hypers', async (t) => {
      const r0 = await client.call(TEST_PROGRAM, V, TestProc.NULL);
      t.ok(r0.atEnd(), 'NULL has no results');
      const data = Buffer.from('hello, fallthru');
      const r1 = await client.call(TEST_PROGRAM, V, TestProc.ECHO, (w) => w.opaque(data));
      t.same(r1.opaque(ECHO_MAX), data);
      const r2 = await client.call(TEST_PROGRAM, TEST_VERSION_HIGH, TestProc.UNION, (w) => w.uint32(2).string('ünïon'));
      t.equal(r2.uint32(), 2);
      t.equal(r2.string(32), 'ünïon');
      const r3 = await client.call(TEST_PROGRAM, V, TestProc.HYPERS, (w) => w.int64(-5n).uint64(2n ** 64n - 1n).int64(2n ** 62n));
      t.same([r3.int64(), r3.uint64(), r3.int64()], [2n ** 62n, 2n ** 64n - 1n, -5n]);
    });

    t.test('PROG_UNAVAIL', async (t) => {
      const e = await rejection(client.call(TEST_PROGRAM + 99, V, 0));
      t.equal(e.acceptStat, AcceptStat.PROG_UNAVAIL);
    });

    t.test('PROG_MISMATCH carries the registered low/high', async (t) => {
      const e = await rejection(client.call(TEST_PROGRAM, 9, 0));
      t.equal(e.acceptStat, AcceptStat.PROG_MISMATCH);
      t.same([e.low, e.high], [TEST_VERSION_LOW, TEST_VERSION_HIGH]);
    });

    t.test('PROC_UNAVAIL', async (t) => {
      const e = await rejection(client.call(TEST_PROGRAM, V, 99));
      t.equal(e.acceptStat, AcceptStat.PROC_UNAVAIL);
    });

    t.test('GARBAGE_ARGS for over-long, truncated and bad-union arguments; next call works', async (t) => {
      const tooLong = await rejection(client.call(TEST_PROGRAM, V, TestProc.ECHO, (w) => w.opaque(Buffer.alloc(ECHO_MAX + 1))));
      t.equal(tooLong.acceptStat, AcceptStat.GARBAGE_ARGS);
      const truncated = await rejection(client.call(TEST_PROGRAM, V, TestProc.HYPERS, (w) => w.int64(1n)));
      t.equal(truncated.acceptStat, AcceptStat.GARBAGE_ARGS);
      const badUnion = await rejection(client.call(TEST_PROGRAM, V, TestProc.UNION, (w) => w.uint32(7).uint32(0)));
      t.equal(badUnion.acceptStat, AcceptStat.GARBAGE_ARGS);
      const r = await client.call(TEST_PROGRAM, V, TestProc.ECHO, (w) => w.opaque(Buffer.from('after')));
      t.equal(r.opaque(ECHO_MAX).toString(), 'after');
    });

    t.test('SYSTEM_ERR for a throwing or rejecting handler, with one log line each', async (t) => {
      logs.length = 0;
      const thrown = await rejection(client.call(TEST_PROGRAM, V, TestProc.THROW));
      t.equal(thrown.acceptStat, AcceptStat.SYSTEM_ERR);
      const rejected = await rejection(client.call(TEST_PROGRAM, V, TestProc.REJECT));
      t.equal(rejected.acceptStat, AcceptStat.SYSTEM_ERR);
      const errors = logs.filter((l) => l.level === 'error');
      t.equal(errors.length, 2);
      t.same(errors[0].fields && { xid: errors[0].fields.xid, program: errors[0].fields.program, procedure: errors[0].fields.procedure }, {
        xid: thrown.xid >>> 0,
        program: TEST_PROGRAM,
        procedure: 'THROW',
      });
      await client.call(TEST_PROGRAM, V, TestProc.NULL);
    });

    t.test('RPC_MISMATCH for rpcvers 3, low = high = 2', async (t) => {
      const { header } = await client.exchange((w, xid) => encodeCallHeader(w, { xid, program: TEST_PROGRAM, version: V, procedure: 0, rpcvers: 3 }));
      const e = new RpcError(header.xid, header.body);
      t.equal(e.rejectStat, RejectStat.RPC_MISMATCH);
      t.same([e.low, e.high], [2, 2]);
    });

    t.test('AUTH_ERROR per credential flavor', async (t) => {
      const cases: Array<[string, number, Buffer, AuthStat]> = [
        ['AUTH_SYS with a truncated body', AuthFlavor.AUTH_SYS, xdrWords(1, 5), AuthStat.AUTH_BADCRED],
        ['AUTH_SYS with 17 gids', AuthFlavor.AUTH_SYS, xdrWords(1, 0, 0, 0, 17, ...new Array(17).fill(1)), AuthStat.AUTH_BADCRED],
        ['AUTH_SYS with trailing bytes', AuthFlavor.AUTH_SYS, xdrWords(1, 0, 0, 0, 0, 9), AuthStat.AUTH_BADCRED],
        ['AUTH_SHORT', AuthFlavor.AUTH_SHORT, xdrWords(1), AuthStat.AUTH_REJECTEDCRED],
        ['AUTH_DH', AuthFlavor.AUTH_DH, xdrWords(0), AuthStat.AUTH_BADCRED],
        ['RPCSEC_GSS', AuthFlavor.RPCSEC_GSS, xdrWords(1, 0, 0), AuthStat.AUTH_BADCRED],
      ];
      for (const [name, flavor, body, expected] of cases) {
        const e = await rejection(client.call(TEST_PROGRAM, V, TestProc.NULL, undefined, { auth: { flavor, body } }));
        t.equal(e.rejectStat, RejectStat.AUTH_ERROR, name);
        t.equal(e.authStat, expected, name);
      }
      // A credential body over 400 bytes is refused while reading the header.
      const big = await client.exchange((w, xid) => {
        w.uint32(xid).uint32(0).uint32(2).uint32(TEST_PROGRAM).uint32(V).uint32(0);
        w.uint32(AuthFlavor.AUTH_SYS).opaque(Buffer.alloc(404));
        w.uint32(0).uint32(0);
      });
      t.same(big.header.body, { replyStat: ReplyStat.MSG_DENIED, rejectStat: RejectStat.AUTH_ERROR, authStat: AuthStat.AUTH_BADCRED });
      const verf = await client.exchange((w, xid) =>
        encodeCallHeader(w, { xid, program: TEST_PROGRAM, version: V, procedure: 0, verf: { flavor: AuthFlavor.AUTH_SYS, body: Buffer.alloc(0) } }),
      );
      t.same(verf.header.body, { replyStat: ReplyStat.MSG_DENIED, rejectStat: RejectStat.AUTH_ERROR, authStat: AuthStat.AUTH_BADVERF });
    });

    t.test('auth policy: AUTH_NONE is too weak, AUTH_SYS passes, NULL stays open', async (t) => {
      const weak = await rejection(client.call(TEST_PROGRAM_SYS_ONLY, V, TestProc.WHOAMI));
      t.equal(weak.authStat, AuthStat.AUTH_TOOWEAK);
      await client.call(TEST_PROGRAM_SYS_ONLY, V, TestProc.NULL);
      const r = await client.call(TEST_PROGRAM_SYS_ONLY, V, TestProc.WHOAMI, undefined, { cred: sysCred });
      t.equal(r.uint32(), AuthFlavor.AUTH_SYS);
      t.same([r.uint32(), r.uint32(), r.string(255), r.uint32()], [1000, 100, 'tester', 3]);
      t.equal(r.string(8), transport);
      t.equal(r.string(64), '127.0.0.1');
      t.ok(r.uint32() > 0, 'remote port');
      t.equal(r.uint32(), port, 'local port');
    });
  });
}

t.test('XdrReader handed back is positioned at the results', async (t) => {
  const client = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: ports.tcpPort! });
  t.teardown(() => client.close());
  const r = await client.call(TEST_PROGRAM, V, TestProc.SLOW, (w) => w.uint32(0));
  t.type(r, XdrReader);
  t.equal(r.uint32(), 0);
  t.ok(r.atEnd());
});
