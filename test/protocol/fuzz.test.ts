/**
 * Fuzz the RPC transports: 160,000 seeded random and mutated records (truncated, oversized,
 * lying lengths, bad discriminants, bad credentials, noise, fragment garbage) over TCP and UDP on
 * 127.0.0.1. The process must not crash; every reply must decode with the reply decoder and carry
 * the xid of something we sent; every well-formed call must get exactly the status it deserves;
 * memory must stay bounded.
 */

import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { XdrReader } from '../../protocol/xdr/index.js';
import {
  decodeReplyHeader,
  describeReply,
  RpcClient,
  RpcServer,
  type Logger,
  type ProcedureDef,
  type ReplyHeader,
  type RpcProgram,
} from '../../protocol/rpc/index.js';
import { ECHO_MAX, TEST_PROGRAM, testProgram, TestProc } from '../lib/rpc-test-program.js';
import { FUZZ_PROCEDURES, FuzzRecords, seededRandom, type FuzzRecord } from '../lib/rpc-fuzz-records.js';
import { frameRecord, RawTcp, RawUdp, xdrWords } from '../lib/rpc-raw.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const TCP_RECORDS = 100_000;
const UDP_RECORDS = 50_000;
const FRAMING_CONNECTIONS = 400;
const RECORDS_PER_FRAMING_CONNECTION = 25;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * The fuzz server runs the test program without its timer and big-reply procedures (every call
 * finishes within the microtasks of its read), plus a BARRIER program whose one procedure answers
 * only after a setImmediate: its reply is therefore sent after the replies of every record read
 * before it, which lets the test know when a batch is complete without timed waits.
 */
const BARRIER_PROGRAM = 0x40fa1300;
const table = testProgram.versions.get(2)!;
const fuzzTable = table.map((p, i) => (FUZZ_PROCEDURES.includes(i) ? p : undefined));
const fuzzProgram: RpcProgram = { ...testProgram, versions: new Map([...testProgram.versions.keys()].map((v) => [v, fuzzTable])) };
const barrier: ProcedureDef = {
  name: 'BARRIER',
  decode: () => undefined,
  handle: () => new Promise<void>((r) => setImmediate(r)),
  encode: () => {},
};
const barrierProgram: RpcProgram = { program: BARRIER_PROGRAM, name: 'barrier', versions: new Map([[1, [barrier]]]) };

let errorLines = 0;
const logger: Logger = { log: (level) => void (level === 'error' && errorLines++) };
const server = new RpcServer({ logger, maxRecordSize: 64 * 1024 });
server.register(fuzzProgram).register(barrierProgram);
const bound = await server.listen({ tcpPort: 0, udpPort: 0 });
const tcpPort = bound.tcpPort!;
const udpPort = bound.udpPort!;
t.teardown(() => server.close());

/** Bookkeeping shared by all transports. */
class Ledger {
  readonly sentXids = new Set<number>();
  readonly expected = new Map<number, FuzzRecord>();
  /** Xids of records a server must answer, whatever the answer. */
  readonly mustAnswer = new Set<number>();
  /** Reply statuses by xid (describeReply text). */
  readonly replies = new Map<number, string[]>();
  /** Echoed bytes of SUCCESS replies by xid. */
  readonly echoes = new Map<number, Buffer[]>();
  undecodable = 0;
  unknownXid = 0;
  records = 0;

  sent(rec: FuzzRecord): void {
    this.records++;
    if (rec.body.length >= 4) this.sentXids.add(rec.body.readUInt32BE(0));
    if (rec.expect) this.expected.set(rec.body.readUInt32BE(0), rec);
    if (mustBeAnswered(rec.body)) this.mustAnswer.add(rec.body.readUInt32BE(0));
  }

  received(reply: Buffer): void {
    const r = new XdrReader(reply);
    let header: ReplyHeader;
    try {
      header = decodeReplyHeader(r);
    } catch {
      this.undecodable++;
      return;
    }
    if (!this.sentXids.has(header.xid)) this.unknownXid++;
    const status = describeReply(header.body);
    push(this.replies, header.xid, status);
    // A mutated record may reuse the xid of a well-formed ECHO (a flipped low byte), so the
    // echo is checked only among replies that read as one.
    if (status === 'SUCCESS' && this.expected.get(header.xid)?.echo) {
      try {
        push(this.echoes, header.xid, Buffer.from(r.opaque(ECHO_MAX)));
      } catch {
        // not an ECHO reply: the colliding record's
      }
    }
  }

  /** Well-formed calls without exactly their expected reply, and unanswered calls, by description. */
  misses(): string[] {
    const out: string[] = [];
    for (const xid of this.mustAnswer) if (!this.replies.has(xid)) out.push(`xid ${xid}: no reply`);
    for (const [xid, rec] of this.expected) {
      const got = this.replies.get(xid) ?? [];
      if (!got.includes(rec.expect!)) out.push(`xid ${xid}: expected ${rec.expect}, got [${got.join(', ')}]`);
      else if (rec.echo && !this.echoes.get(xid)?.some((e) => e.equals(rec.echo!))) out.push(`xid ${xid}: echo differs`);
    }
    return out;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/**
 * Independent oracle of the drop rule (see protocol/rpc/call.ts): a record is answered when it
 * holds xid, msg_type CALL and rpcvers, and either rpcvers is wrong or prog/vers/proc follow.
 */
function mustBeAnswered(body: Buffer): boolean {
  if (body.length < 12 || body.readUInt32BE(4) !== 0) return false;
  return body.readUInt32BE(8) !== 2 || body.length >= 24;
}

function barrierCall(xid: number): Buffer {
  return xdrWords(xid, 0, 2, BARRIER_PROGRAM, 1, 0, 0, 0, 0, 0);
}

/** Memory after collecting twice, a turn apart (finished sockets and promises let go first). */
async function memory() {
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}

// Warm up (JIT, socket buffers, reply templates) before the memory baseline.
{
  const warm = await RpcClient.connect({ transport: 'tcp', host: '127.0.0.1', port: tcpPort });
  for (let i = 0; i < 200; i++) await warm.call(TEST_PROGRAM, 2, TestProc.ECHO, (w) => w.opaque(Buffer.alloc(i % 64)));
  await warm.close();
}
const before = await memory();
const rnd = seededRandom(SEED ^ 0xabcdef);

t.test('TCP: well-framed stream of fuzzed records on one connection', async (t) => {
  const gen = new FuzzRecords(SEED, 0x1000_0000);
  const ledger = new Ledger();
  const raw = await RawTcp.connect(tcpPort);
  t.teardown(() => raw.destroy());
  const BATCH = 2000;
  for (let batch = 0; ledger.records < TCP_RECORDS; batch++) {
    const parts: Buffer[] = [];
    for (let i = 0; i < BATCH; i++) {
      const rec = gen.next();
      ledger.sent(rec);
      // A third of the records are split into several fragments.
      const splits = rnd() < 0.33 ? [Math.floor(rnd() * rec.body.length), Math.floor(rnd() * rec.body.length)] : [];
      parts.push(frameRecord(rec.body, splits));
    }
    const sentinel = 0xf000_0000 + batch;
    ledger.sentXids.add(sentinel);
    parts.push(frameRecord(barrierCall(sentinel)));
    const stream = Buffer.concat(parts);
    // Written in random-sized pieces so records and headers straddle reads.
    for (let at = 0; at < stream.length; ) {
      const n = 1 + Math.floor(rnd() * 3000);
      raw.write(stream.subarray(at, at + n));
      at += n;
    }
    for (;;) {
      await raw.waitForReplies(1);
      const replies = raw.take();
      for (const reply of replies) ledger.received(reply);
      if (raw.closed || replies[replies.length - 1].readUInt32BE(0) === sentinel) break;
    }
    if (raw.closed) break;
  }
  t.notOk(raw.closed, 'the connection survived every malformed call');
  t.equal(ledger.undecodable, 0, 'every reply decodes');
  t.equal(ledger.unknownXid, 0, 'every reply carries a sent xid');
  const misses = ledger.misses();
  t.same(misses.slice(0, 5), [], `well-formed calls answered as expected (${ledger.expected.size} checked), every readable call answered (${ledger.mustAnswer.size})`);
  t.ok(ledger.records >= TCP_RECORDS, `${ledger.records} records sent`);
});

t.test('UDP: one fuzzed datagram per call', async (t) => {
  const gen = new FuzzRecords(SEED + 1, 0x2000_0000);
  const ledger = new Ledger();
  const udp = await RawUdp.open(udpPort);
  t.teardown(() => udp.close());
  // A small window keeps both socket receive buffers far from overflowing: no loss on loopback.
  const WINDOW = 32;
  for (let batch = 0; ledger.records < UDP_RECORDS; batch++) {
    for (let i = 0; i < WINDOW; i++) {
      const rec = gen.next();
      ledger.sent(rec);
      await udp.send(rec.body);
    }
    const sentinel = 0xe000_0000 + batch;
    ledger.sentXids.add(sentinel);
    await udp.send(barrierCall(sentinel));
    for (;;) {
      await udp.waitForReplies(1);
      const replies = udp.take();
      for (const reply of replies) ledger.received(reply);
      if (replies[replies.length - 1].readUInt32BE(0) === sentinel) break;
    }
  }
  t.equal(ledger.undecodable, 0, 'every reply decodes');
  t.equal(ledger.unknownXid, 0, 'every reply carries a sent xid');
  t.same(ledger.misses().slice(0, 5), [], `well-formed calls answered as expected (${ledger.expected.size} checked), every readable call answered (${ledger.mustAnswer.size})`);
  t.ok(ledger.records >= UDP_RECORDS, `${ledger.records} records sent`);
});

t.test('TCP: fragment garbage closes only the offending connections', async (t) => {
  const gen = new FuzzRecords(SEED + 2, 0x3000_0000);
  const ledger = new Ledger();
  for (let c = 0; c < FRAMING_CONNECTIONS; c++) {
    const raw = await RawTcp.connect(tcpPort);
    const parts: Buffer[] = [];
    for (let i = 0; i < RECORDS_PER_FRAMING_CONNECTION; i++) {
      const rec = gen.next();
      ledger.sent(rec);
      parts.push(frameRecord(rec.body));
    }
    // Then garbage framing: a random header (usually an absurd length), a truncated header, a
    // run of non-last empty fragments, or a fragment cut short.
    const kind = c % 4;
    if (kind === 0) parts.push(xdrWords(Math.floor(rnd() * 0x1_0000_0000)));
    else if (kind === 1) parts.push(Buffer.from([0x80, 0x00]));
    else if (kind === 2) parts.push(...Array.from({ length: 50 }, () => xdrWords(0)));
    else parts.push(xdrWords(0x8000_0000 | 100), Buffer.alloc(10));
    raw.write(Buffer.concat(parts));
    raw.socket.end(); // half-close: the server answers what it has, then closes
    await raw.waitClosed();
    for (const reply of raw.replies) ledger.received(reply);
  }
  t.equal(ledger.undecodable, 0, 'every reply decodes');
  t.equal(ledger.unknownXid, 0, 'every reply carries a sent xid');
  t.same(ledger.misses().slice(0, 5), [], `well-formed calls answered as expected (${ledger.expected.size} checked), every readable call answered (${ledger.mustAnswer.size})`);
  t.ok(server.tcpConnectionCount <= 1, 'no framing-test connection left open');
});

t.test('server alive, memory bounded', async (t) => {
  const client = await RpcClient.connect({ transport: 'udp', host: '127.0.0.1', port: udpPort });
  t.teardown(() => client.close());
  const r = await client.call(TEST_PROGRAM, 2, TestProc.ECHO, (w) => w.opaque(Buffer.from('still here')));
  t.equal(r.opaque(ECHO_MAX).toString(), 'still here');
  const after = await memory();
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  t.comment(
    `heap ${mib(before.heap)} → ${mib(after.heap)} MiB, buffers ${mib(before.buffers)} → ${mib(after.buffers)} MiB, ` +
      `rss ${mib(before.rss)} → ${mib(after.rss)} MiB; ${errorLines} handler error lines`,
  );
  // The ledgers of the tests above are garbage by now, so heap growth measures what the server
  // kept. Buffer memory gets a looser bound: pooled 8 KiB slabs stay alive while any slice of
  // them does, and RSS a loose one: the allocator keeps freed pages for reuse.
  t.ok(after.heap - before.heap < 16 * 2 ** 20, `heap growth ${mib(after.heap - before.heap)} MiB < 16 MiB`);
  t.ok(after.buffers - before.buffers < 64 * 2 ** 20, `buffer growth ${mib(after.buffers - before.buffers)} MiB < 64 MiB`);
  t.ok(after.rss - before.rss < 512 * 2 ** 20, `rss growth ${mib(after.rss - before.rss)} MiB < 512 MiB`);
});
