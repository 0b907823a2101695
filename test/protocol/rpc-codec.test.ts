/**
 * Call and reply header codecs against golden bytes from an independent naive builder (xdrWords),
 * and the staged call parse the dispatcher relies on.
 */

import t from 'tap';
import { XdrReader, XdrWriter } from '../../protocol/xdr/index.js';
import {
  acceptedBody,
  AcceptStat,
  authErrorBody,
  AuthFlavor,
  AuthStat,
  credentialsFromAuth,
  credentialsToAuth,
  decodeCallHeader,
  decodeReplyHeader,
  encodeCallHeader,
  encodeStatusReply,
  parseCall,
  RejectStat,
  ReplyStat,
  RPC_MISMATCH_BODY,
  writeSuccessHeader,
} from '../../protocol/rpc/index.js';
import { xdrWords } from '../lib/rpc-raw.js';

const PROG = 100003;

t.test('call header with AUTH_SYS: golden bytes and round trip', async (t) => {
  const cred = { flavor: AuthFlavor.AUTH_SYS as const, stamp: 0x11223344, machineName: 'host', uid: 1000, gid: 50, gids: [7, 8] };
  const authBody = xdrWords(0x11223344, 4, Buffer.from('host'), 1000, 50, 2, 7, 8);
  const golden = xdrWords(0xdeadbeef, 0, 2, PROG, 3, 6, 1, authBody.length, authBody, 0, 0);
  const w = new XdrWriter(16);
  encodeCallHeader(w, { xid: 0xdeadbeef, program: PROG, version: 3, procedure: 6, cred: credentialsToAuth(cred) });
  t.same(w.toBuffer(), golden);
  const h = decodeCallHeader(new XdrReader(golden));
  t.same([h.xid, h.rpcvers, h.program, h.version, h.procedure], [0xdeadbeef, 2, PROG, 3, 6]);
  t.same(credentialsFromAuth(h.cred), cred);
  t.equal(h.verf.flavor, AuthFlavor.AUTH_NONE);
});

t.test('AUTH_SYS limits: machinename 255 bytes and 16 gids pass, one more is BADCRED', async (t) => {
  const at = (name: string, gids: number[]) =>
    credentialsFromAuth({ flavor: AuthFlavor.AUTH_SYS, body: credentialsToAuth({ flavor: AuthFlavor.AUTH_SYS, stamp: 0, machineName: name, uid: 0, gid: 0, gids }).body });
  t.equal(typeof at('m'.repeat(255), new Array(16).fill(3)), 'object');
  t.equal(at('m'.repeat(256), []), AuthStat.AUTH_BADCRED);
  t.equal(at('m', new Array(17).fill(3)), AuthStat.AUTH_BADCRED);
});

t.test('staged call parse', async (t) => {
  const full = xdrWords(9, 0, 2, PROG, 3, 0, 0, 0, 0, 0);
  t.same(parseCall(new XdrReader(full.subarray(0, 11))).kind, 'drop', 'shorter than xid+type+rpcvers');
  t.same(parseCall(new XdrReader(xdrWords(9, 1, 2, 0, 0, 0))).kind, 'drop', 'a REPLY');
  t.same(parseCall(new XdrReader(xdrWords(9, 0, 3))), { kind: 'rpc-mismatch', xid: 9, rpcvers: 3 });
  t.same(parseCall(new XdrReader(full.subarray(0, 20))).kind, 'drop', 'no procedure number');
  t.match(parseCall(new XdrReader(full.subarray(0, 28))), { kind: 'auth-error', xid: 9, stat: AuthStat.AUTH_BADCRED });
  t.match(parseCall(new XdrReader(xdrWords(9, 0, 2, PROG, 3, 0, 0, 401))), { kind: 'auth-error', stat: AuthStat.AUTH_BADCRED });
  t.match(parseCall(new XdrReader(full.subarray(0, 36))), { kind: 'auth-error', stat: AuthStat.AUTH_BADVERF });
  const r = new XdrReader(Buffer.concat([full, xdrWords(42)]));
  t.equal(parseCall(r).kind, 'call');
  t.equal(r.uint32(), 42, 'reader left at the arguments');
});

t.test('reply golden bytes and decode, with and without record mark', async (t) => {
  const xid = 0x01020304;
  const cases: Array<[string, Buffer[], Buffer, object]> = [
    ['PROG_UNAVAIL', encodeStatusReply(xid, acceptedBody(AcceptStat.PROG_UNAVAIL), false), xdrWords(xid, 1, 0, 0, 0, 1), { acceptStat: AcceptStat.PROG_UNAVAIL }],
    ['PROG_MISMATCH', encodeStatusReply(xid, acceptedBody(AcceptStat.PROG_MISMATCH, { low: 2, high: 4 }), false), xdrWords(xid, 1, 0, 0, 0, 2, 2, 4), { mismatch: { low: 2, high: 4 } }],
    ['PROC_UNAVAIL', encodeStatusReply(xid, acceptedBody(AcceptStat.PROC_UNAVAIL), false), xdrWords(xid, 1, 0, 0, 0, 3), { acceptStat: 3 }],
    ['GARBAGE_ARGS', encodeStatusReply(xid, acceptedBody(AcceptStat.GARBAGE_ARGS), false), xdrWords(xid, 1, 0, 0, 0, 4), { acceptStat: 4 }],
    ['SYSTEM_ERR', encodeStatusReply(xid, acceptedBody(AcceptStat.SYSTEM_ERR), false), xdrWords(xid, 1, 0, 0, 0, 5), { acceptStat: 5 }],
    ['RPC_MISMATCH', encodeStatusReply(xid, RPC_MISMATCH_BODY, false), xdrWords(xid, 1, 1, 0, 2, 2), { rejectStat: RejectStat.RPC_MISMATCH, mismatch: { low: 2, high: 2 } }],
    ['AUTH_TOOWEAK', encodeStatusReply(xid, authErrorBody(AuthStat.AUTH_TOOWEAK), false), xdrWords(xid, 1, 1, 1, 5), { rejectStat: RejectStat.AUTH_ERROR, authStat: AuthStat.AUTH_TOOWEAK }],
  ];
  for (const [name, chunks, golden, expected] of cases) {
    t.same(Buffer.concat(chunks), golden, name);
    t.match(decodeReplyHeader(new XdrReader(golden)), { xid, body: expected }, name);
  }
  // Templates are reused: a second reply with another xid must not disturb the first.
  const a = encodeStatusReply(1, acceptedBody(AcceptStat.PROC_UNAVAIL), true)[0];
  const b = encodeStatusReply(2, acceptedBody(AcceptStat.PROC_UNAVAIL), true)[0];
  t.same([a.readUInt32BE(0), a.readUInt32BE(4), b.readUInt32BE(4)], [(0x8000_0000 | 24) >>> 0, 1, 2]);
});

t.test('SUCCESS header then results; decoder leaves the reader at the results', async (t) => {
  const w = new XdrWriter(8);
  writeSuccessHeader(w, 77);
  w.uint32(1234);
  const buf = w.toBuffer();
  t.same(buf, xdrWords(77, 1, 0, 0, 0, 0, 1234));
  const r = new XdrReader(buf);
  t.match(decodeReplyHeader(r), { xid: 77, body: { replyStat: ReplyStat.MSG_ACCEPTED, acceptStat: AcceptStat.SUCCESS } });
  t.equal(r.uint32(), 1234);
});

t.test('reply decoder rejects bad unions', async (t) => {
  t.throws(() => decodeReplyHeader(new XdrReader(xdrWords(1, 0))), 'msg_type CALL');
  t.throws(() => decodeReplyHeader(new XdrReader(xdrWords(1, 1, 2))), 'reply_stat 2');
  t.throws(() => decodeReplyHeader(new XdrReader(xdrWords(1, 1, 0, 0, 0, 6))), 'accept_stat 6');
  t.throws(() => decodeReplyHeader(new XdrReader(xdrWords(1, 1, 1, 2))), 'reject_stat 2');
  t.throws(() => decodeReplyHeader(new XdrReader(xdrWords(1, 1, 0, 0, 0, 2, 1))), 'truncated mismatch');
});
