import t, { type Test } from 'tap';
import { XdrReader, XdrWriter, XdrDecodeError } from '../../protocol/xdr/index.js';
import {
  decodeMapping, encodeMapping, decodePmaplist, encodePmaplist, decodeCallArgs, encodeCallArgs,
  decodeCallResult, encodeCallResult,
} from '../../protocol/portmap/pmap-codec.js';
import {
  decodeRpcb, encodeRpcb, decodeRpList, encodeRpList, decodeRpcbEntryList, encodeRpcbEntryList,
  decodeRpcbRmtcallres, encodeRpcbRmtcallres, decodeNetbuf, encodeNetbuf,
} from '../../protocol/portmap/rpcb-codec.js';
import { decodeRpcbStatByVers, encodeRpcbStatByVers, type RpcbStat } from '../../protocol/portmap/rpcb-stat-codec.js';
import { MAX_RPCB_STRING } from '../../protocol/portmap/constants.js';
import { u32, i32, xstr, xlist, cat, FALSE } from '../lib/portmap-xdr-builder.js';

function encoded<T>(encode: (w: XdrWriter, v: T) => void, v: T): Buffer {
  const w = new XdrWriter(8);
  encode(w, v);
  return w.toBuffer();
}

/** Golden bytes both ways: the encoder produces them, the decoder reads them back whole. */
function golden<T>(t: Test, name: string, encode: (w: XdrWriter, v: T) => void, decode: (r: XdrReader) => T, value: T, bytes: Buffer) {
  t.same([...encoded(encode, value)], [...bytes], `${name} encodes to golden bytes`);
  const r = new XdrReader(bytes);
  t.same(decode(r), value, `${name} decodes golden bytes`);
  t.ok(r.atEnd(), `${name} consumes every byte`);
}

t.test('v2 mapping and pmaplist', async (t) => {
  const m1 = { prog: 100003, vers: 3, prot: 6, port: 2049 };
  const m2 = { prog: 100005, vers: 1, prot: 17, port: 20048 };
  golden(t, 'mapping', encodeMapping, decodeMapping, m1, u32(100003, 3, 6, 2049));
  golden(t, 'pmaplist', encodePmaplist, decodePmaplist, [m1, m2], xlist([u32(100003, 3, 6, 2049), u32(100005, 1, 17, 20048)]));
  golden(t, 'empty pmaplist', encodePmaplist, decodePmaplist, [], FALSE);
});

t.test('CALLIT call_args and call_result', async (t) => {
  const args = { prog: 100024, vers: 1, proc: 0, args: Buffer.from([1, 2, 3]) };
  golden(t, 'call_args', encodeCallArgs, decodeCallArgs, args, cat(u32(100024, 1, 0), xstr(Buffer.from([1, 2, 3]))));
  const res = { port: 662, res: Buffer.from('abcde') };
  golden(t, 'call_result', encodeCallResult, decodeCallResult, res, cat(u32(662), xstr('abcde')));
});

t.test('rpcb and rp__list', async (t) => {
  const b = { prog: 100003, vers: 3, netid: 'tcp6', uaddr: '::.8.1', owner: 'superuser' };
  const bytes = cat(u32(100003, 3), xstr('tcp6'), xstr('::.8.1'), xstr('superuser'));
  golden(t, 'rpcb', encodeRpcb, decodeRpcb, b, bytes);
  const b2 = { prog: 100000, vers: 4, netid: 'udp', uaddr: '0.0.0.0.0.111', owner: 'unknown' };
  const bytes2 = cat(u32(100000, 4), xstr('udp'), xstr('0.0.0.0.0.111'), xstr('unknown'));
  golden(t, 'rp__list', encodeRpList, decodeRpList, [b, b2], xlist([bytes, bytes2]));
});

t.test('rpcb_entry_list, rpcb_rmtcallres and netbuf', async (t) => {
  const e = { maddr: '10.0.0.1.8.1', netid: 'tcp', semantics: 3, protofmly: 'inet', proto: 'tcp' };
  golden(t, 'rpcb_entry_list', encodeRpcbEntryList, decodeRpcbEntryList, [e],
    xlist([cat(xstr('10.0.0.1.8.1'), xstr('tcp'), u32(3), xstr('inet'), xstr('tcp'))]));
  golden(t, 'rpcb_rmtcallres', encodeRpcbRmtcallres, decodeRpcbRmtcallres,
    { uaddr: '127.0.0.1.2.150', results: Buffer.from([9]) }, cat(xstr('127.0.0.1.2.150'), xstr(Buffer.from([9]))));
  golden(t, 'netbuf', encodeNetbuf, decodeNetbuf, { maxlen: 16, buf: Buffer.from([0, 2, 0, 111]) }, cat(u32(16), xstr(Buffer.from([0, 2, 0, 111]))));
});

t.test('rpcb_stat_byvers: three fixed-size stats with their lists', async (t) => {
  const info = (k: number) => Array.from({ length: 13 }, (_, i) => i * k);
  const stats: RpcbStat[] = [
    { info: info(1), setinfo: 2, unsetinfo: 1, addrinfo: [{ prog: 100003, vers: 3, success: 4, failure: 0, netid: 'tcp' }], rmtinfo: [] },
    { info: info(0), setinfo: 0, unsetinfo: 0, addrinfo: [], rmtinfo: [] },
    { info: info(2), setinfo: 0, unsetinfo: 0, addrinfo: [],
      rmtinfo: [{ prog: 100024, vers: 1, proc: 0, success: 1, failure: -1, indirect: 0, netid: 'udp' }] },
  ];
  const bytes = cat(
    i32(...info(1), 2, 1), xlist([cat(u32(100003, 3), i32(4, 0), xstr('tcp'))]), FALSE,
    i32(...info(0), 0, 0), FALSE, FALSE,
    i32(...info(2), 0, 0), FALSE, xlist([cat(u32(100024, 1, 0), i32(1, -1, 0), xstr('udp'))]),
  );
  golden(t, 'rpcb_stat_byvers', encodeRpcbStatByVers, decodeRpcbStatByVers, stats, bytes);
  t.throws(() => encoded(encodeRpcbStatByVers, stats.slice(1)), RangeError);
});

t.test('malformed input raises XdrDecodeError and nothing else', async (t) => {
  const good = cat(u32(100003, 3), xstr('tcp'), xstr('0.0.0.0.8.1'), xstr('x'));
  for (let cut = 0; cut < good.length; cut += 4) {
    t.throws(() => decodeRpcb(new XdrReader(good.subarray(0, cut))), XdrDecodeError, `rpcb cut at ${cut}`);
  }
  const huge = cat(u32(1, 1), u32(MAX_RPCB_STRING + 1), Buffer.alloc(MAX_RPCB_STRING + 4));
  t.throws(() => decodeRpcb(new XdrReader(huge)), XdrDecodeError, 'netid longer than the cap');
  t.throws(() => decodePmaplist(new XdrReader(cat(u32(1), u32(1, 2, 6, 111), u32(2)))), XdrDecodeError, 'bad list bool');
  t.throws(() => decodePmaplist(new XdrReader(cat(u32(1), u32(1, 2, 6, 111)))), XdrDecodeError, 'list without its end');
});
