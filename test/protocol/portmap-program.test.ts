import t from 'tap';
import { createPortmapProgram } from '../../protocol/portmap/program.js';
import { PortmapRegistry } from '../../protocol/portmap/registry.js';
import { XdrReader } from '../../protocol/xdr/index.js';
import { decodePmaplist } from '../../protocol/portmap/pmap-codec.js';
import { decodeRpList, decodeRpcbEntryList } from '../../protocol/portmap/rpcb-codec.js';
import { decodeRpcbStatByVers } from '../../protocol/portmap/rpcb-stat-codec.js';
import { u32, xstr, cat, TRUE, FALSE } from '../lib/portmap-xdr-builder.js';
import { callProcedure, authSys } from '../lib/portmap-calls.js';

const NFS = 100003;
const MOUNT = 100005;
const rpcb = (prog: number, vers: number, netid: string, uaddr: string, owner = '') =>
  cat(u32(prog, vers), xstr(netid), xstr(uaddr), xstr(owner));
const str = (b: Buffer) => new XdrReader(b).string(1024);

function fixture() {
  const registry = new PortmapRegistry('superuser');
  registry.set({ prog: NFS, vers: 3, protocol: 'tcp', port: 2049 });
  registry.set({ prog: NFS, vers: 3, protocol: 'udp', port: 2049 });
  registry.set({ prog: MOUNT, vers: 3, protocol: 'tcp', port: 20048, host: '::' });
  return createPortmapProgram({ registry });
}

t.test('v2 GETPORT answers registered ports, falls back to another version, else 0', async (t) => {
  const p = fixture();
  t.same(await callProcedure(p, 2, 3, u32(NFS, 3, 6, 0)), u32(2049));
  t.same(await callProcedure(p, 2, 3, u32(NFS, 3, 17, 0)), u32(2049));
  t.same(await callProcedure(p, 2, 3, u32(NFS, 4, 6, 0)), u32(2049), 'other version: client learns the range from the service');
  t.same(await callProcedure(p, 2, 3, u32(MOUNT, 3, 17, 0)), u32(0), 'not on udp');
  t.same(await callProcedure(p, 2, 3, u32(NFS, 3, 132, 0)), u32(0), 'unknown protocol');
});

t.test('v2 DUMP lists inet rows only, as (prog, vers, prot, port)', async (t) => {
  const p = fixture();
  const list = decodePmaplist(new XdrReader(await callProcedure(p, 2, 4, Buffer.alloc(0))));
  t.same(list, [
    { prog: NFS, vers: 3, prot: 6, port: 2049 },
    { prog: NFS, vers: 3, prot: 17, port: 2049 },
    { prog: MOUNT, vers: 3, prot: 6, port: 20048 },
  ]);
});

t.test('v2 SET refuses duplicates and non-loopback callers; UNSET removes tcp and udp', async (t) => {
  const p = fixture();
  const set = (m: Buffer, remoteAddress = '127.0.0.1') => callProcedure(p, 2, 1, m, { remoteAddress });
  t.same(await set(u32(300000, 1, 17, 4000)), TRUE);
  t.same(await set(u32(300000, 1, 6, 4001), '::ffff:127.0.0.1'), TRUE);
  t.same(await set(u32(300000, 1, 6, 4002)), FALSE, 'already registered');
  t.same(await set(u32(300001, 1, 6, 4002), '10.0.0.2'), FALSE, 'remote caller');
  t.same(await set(u32(300001, 1, 6, 70000)), FALSE, 'port out of range');
  t.same(await callProcedure(p, 2, 3, u32(300000, 1, 6, 0)), u32(4001));
  t.same(await callProcedure(p, 2, 3, u32(300001, 1, 6, 0)), u32(0));
  t.same(await callProcedure(p, 2, 2, u32(300000, 1, 0, 0), { remoteAddress: '10.0.0.2' }), FALSE, 'remote UNSET');
  t.same(await callProcedure(p, 2, 2, u32(300000, 1, 0, 0)), TRUE);
  t.same(await callProcedure(p, 2, 3, u32(300000, 1, 17, 0)), u32(0), 'udp gone too');
  t.same(await callProcedure(p, 2, 2, u32(300000, 1, 0, 0)), FALSE, 'nothing left');
});

t.test('owners: a caller removes only its own mappings; superuser removes any', async (t) => {
  const p = fixture();
  t.same(await callProcedure(p, 4, 1, rpcb(300002, 1, 'tcp', '127.0.0.1.15.160', 'forged'), { cred: authSys(1000) }), TRUE);
  const dump = decodeRpList(new XdrReader(await callProcedure(p, 4, 4, Buffer.alloc(0))));
  t.equal(dump.find((r) => r.prog === 300002)?.owner, '1000', 'owner comes from the caller, not r_owner');
  t.same(await callProcedure(p, 4, 2, rpcb(300002, 1, '', ''), { cred: authSys(1001) }), FALSE, 'another user');
  t.same(await callProcedure(p, 4, 2, rpcb(NFS, 3, '', ''), { cred: authSys(1000) }), FALSE, 'our own services are protected');
  t.same(await callProcedure(p, 4, 2, rpcb(300002, 1, '', '')), FALSE, 'AUTH_NONE is "unknown"');
  t.same(await callProcedure(p, 4, 2, rpcb(300002, 1, '', ''), { cred: authSys(0) }), TRUE, 'superuser');
});

t.test('v3/v4 SET validates netid and address family; UNSET by netid', async (t) => {
  const p = fixture();
  const set = (b: Buffer) => callProcedure(p, 3, 1, b);
  t.same(await set(rpcb(300003, 2, 'local', '/run/x.sock')), FALSE, 'unknown netid');
  t.same(await set(rpcb(300003, 2, 'tcp', '::1.15.160')), FALSE, 'inet6 address on an inet netid');
  t.same(await set(rpcb(300003, 2, 'udp6', 'nonsense')), FALSE);
  t.same(await set(rpcb(300003, 2, 'udp6', '::1.15.160')), TRUE);
  t.same(await set(rpcb(300003, 2, 'udp', '127.0.0.1.15.160')), TRUE);
  t.same(await callProcedure(p, 3, 2, rpcb(300003, 2, 'udp6', '')), TRUE);
  const left = decodeRpList(new XdrReader(await callProcedure(p, 3, 4, Buffer.alloc(0)))).filter((r) => r.prog === 300003);
  t.same(left.map((r) => r.netid), ['udp']);
});

t.test('GETADDR answers for the transport the call came over, merged with the local address', async (t) => {
  const p = fixture();
  const getaddr = (vers: number, b: Buffer, ctx: object) => callProcedure(p, vers, 3, b, ctx).then(str);
  const q = rpcb(MOUNT, 3, 'udp', '');
  t.equal(await getaddr(4, q, { transport: 'tcp', remoteAddress: '10.0.0.9', localAddress: '10.0.0.1' }), '10.0.0.1.78.80',
    'r_netid ignored: asked over tcp, answered for tcp');
  t.equal(await getaddr(3, q, { transport: 'tcp', remoteAddress: '::ffff:10.0.0.9', localAddress: '::ffff:10.0.0.1' }), '10.0.0.1.78.80');
  t.equal(await getaddr(4, q, { transport: 'tcp', remoteAddress: 'fe80::9', localAddress: 'fe80::1' }), 'fe80::1.78.80', 'tcp6');
  t.equal(await getaddr(4, q, { transport: 'udp', remoteAddress: '10.0.0.9', localAddress: '10.0.0.1' }), '', 'not on udp');
  t.equal(await getaddr(4, q, { transport: 'tcp', remoteAddress: '10.0.0.9' }), '0.0.0.0.78.80', 'no local address known');
  t.equal(await getaddr(4, rpcb(MOUNT, 1, '', ''), { transport: 'tcp' }), '0.0.0.0.78.80', 'GETADDR: any version');
  t.equal(await callProcedure(p, 4, 9, rpcb(MOUNT, 1, '', ''), { transport: 'tcp' }).then(str), '', 'GETVERSADDR: exact only');
  t.equal(await callProcedure(p, 4, 9, rpcb(MOUNT, 3, '', ''), { transport: 'tcp' }).then(str), '0.0.0.0.78.80');
});

t.test('GETADDRLIST lists every transport of the exact version in the caller family', async (t) => {
  const p = fixture();
  const list = (ctx: object) => callProcedure(p, 4, 11, rpcb(NFS, 3, '', ''), ctx).then((b) => decodeRpcbEntryList(new XdrReader(b)));
  t.same(await list({ remoteAddress: '10.0.0.9', localAddress: '10.0.0.1' }), [
    { maddr: '10.0.0.1.8.1', netid: 'tcp', semantics: 3, protofmly: 'inet', proto: 'tcp' },
    { maddr: '10.0.0.1.8.1', netid: 'udp', semantics: 1, protofmly: 'inet', proto: 'udp' },
  ]);
  t.same(await list({ remoteAddress: '::1' }), [], 'no inet6 rows for NFS');
});

t.test('unsupported procedures are absent (PROC_UNAVAIL), present ones are named', async (t) => {
  const p = fixture();
  t.equal(p.versions.get(2)?.[5], undefined, 'CALLIT');
  for (const proc of [5, 7, 8]) t.equal(p.versions.get(3)?.[proc], undefined, `v3 proc ${proc}`);
  for (const proc of [5, 7, 8, 10]) t.equal(p.versions.get(4)?.[proc], undefined, `v4 proc ${proc}`);
  t.equal(p.versions.get(3)?.[9], undefined, 'GETVERSADDR is v4 only');
  t.same([...p.versions.keys()], [2, 3, 4]);
  t.same(p.versions.get(4)?.map((d) => d?.name), ['NULL', 'SET', 'UNSET', 'GETADDR', 'DUMP', undefined, 'GETTIME',
    undefined, undefined, 'GETVERSADDR', undefined, 'GETADDRLIST', 'GETSTAT']);
});

t.test('GETTIME and GETSTAT', async (t) => {
  const p = fixture();
  const now = Math.floor(Date.now() / 1000);
  const time = new XdrReader(await callProcedure(p, 3, 6, Buffer.alloc(0))).uint32();
  t.ok(time >= now - 1 && time <= now + 60, 'GETTIME is the current time in seconds');
  await callProcedure(p, 2, 3, u32(NFS, 3, 6, 0));
  await callProcedure(p, 2, 3, u32(999, 1, 6, 0));
  await callProcedure(p, 2, 1, u32(300000, 1, 6, 4000));
  await callProcedure(p, 4, 0, Buffer.alloc(0));
  const [v2, v3, v4] = decodeRpcbStatByVers(new XdrReader(await callProcedure(p, 4, 12, Buffer.alloc(0))));
  t.equal(v2.info[3], 2, 'two GETPORTs');
  t.equal(v2.info[1], 1, 'one SET call');
  t.equal(v2.setinfo, 1);
  t.same(v2.addrinfo, [
    { prog: NFS, vers: 3, success: 1, failure: 0, netid: 'tcp' },
    { prog: 999, vers: 1, success: 0, failure: 1, netid: 'tcp' },
  ]);
  t.equal(v3.info[6], 1, 'the GETTIME');
  t.equal(v4.info[0], 1, 'the NULL');
  t.equal(v4.info[12], 1, 'this GETSTAT counted itself');
});
