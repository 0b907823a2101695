import t from 'tap';
import {
  formatUaddr,
  parseUaddr,
  uaddrPort,
  isLoopbackAddress,
  isWildcardHost,
  mergeUaddr,
  unmapIpv4,
} from '../../protocol/portmap/uaddr.js';
import { netidOf, netidOfCall, netidOfIpProto, ipProtoOfNetid, netconfigOf, isNetid } from '../../protocol/portmap/netid.js';

t.test('inet universal addresses carry the port as two decimal bytes', async (t) => {
  t.equal(formatUaddr('127.0.0.1', 111), '127.0.0.1.0.111');
  t.equal(formatUaddr('10.1.2.3', 2049), '10.1.2.3.8.1');
  t.equal(formatUaddr('0.0.0.0', 65535), '0.0.0.0.255.255');
  t.same(parseUaddr('10.1.2.3.8.1'), { host: '10.1.2.3', port: 2049, family: 4 });
  t.equal(uaddrPort('192.168.0.1.3.32'), 800);
});

t.test('inet6 universal addresses, including embedded IPv4 tails', async (t) => {
  t.equal(formatUaddr('::1', 111), '::1.0.111');
  t.same(parseUaddr('::1.0.111'), { host: '::1', port: 111, family: 6 });
  t.same(parseUaddr('fe80::1:2.8.1'), { host: 'fe80::1:2', port: 2049, family: 6 });
  t.same(parseUaddr('::ffff:10.0.0.1.0.111'), { host: '::ffff:10.0.0.1', port: 111, family: 6 });
  t.same(parseUaddr('::.0.0'), { host: '::', port: 0, family: 6 });
});

t.test('malformed universal addresses do not parse', async (t) => {
  for (const bad of ['', '111', '127.0.0.1', '127.0.0.1.0', '127.0.0.1.0.256', '127.0.0.1.-1.0', '127.0.0.1.01.0',
    'host.example.0.111', '1.2.3.0.111', '127.0.0.1.0.111 ', '::1..111', '.0.111']) {
    t.equal(parseUaddr(bad), undefined, JSON.stringify(bad));
  }
  t.equal(uaddrPort('garbage'), 0);
  t.throws(() => formatUaddr('localhost', 111), RangeError);
  t.throws(() => formatUaddr('127.0.0.1', 65536), RangeError);
});

t.test('loopback and wildcard recognition', async (t) => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) t.ok(isLoopbackAddress(a), a);
  for (const a of ['10.0.0.1', '::2', '::', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1']) t.notOk(isLoopbackAddress(a), a);
  for (const h of ['0.0.0.0', '::', '0:0::0']) t.ok(isWildcardHost(h), h);
  for (const h of ['127.0.0.1', '::1']) t.notOk(isWildcardHost(h), h);
  t.equal(unmapIpv4('::FFFF:10.1.1.1'), '10.1.1.1');
  t.equal(unmapIpv4('::1'), '::1');
});

t.test('wildcard registrations are answered with the local address of the call', async (t) => {
  t.equal(mergeUaddr('0.0.0.0.8.1', '10.0.0.5'), '10.0.0.5.8.1');
  t.equal(mergeUaddr('0.0.0.0.8.1', '::ffff:10.0.0.5'), '10.0.0.5.8.1', 'dual-stack socket, IPv4 peer');
  t.equal(mergeUaddr('::.8.1', 'fe80::5'), 'fe80::5.8.1');
  t.equal(mergeUaddr('0.0.0.0.8.1', 'fe80::5'), '0.0.0.0.8.1', 'family mismatch leaves it alone');
  t.equal(mergeUaddr('10.9.9.9.8.1', '10.0.0.5'), '10.9.9.9.8.1', 'specific bind is kept');
  t.equal(mergeUaddr('0.0.0.0.8.1', undefined), '0.0.0.0.8.1');
});

t.test('netids', async (t) => {
  t.equal(netidOf('tcp', 4), 'tcp');
  t.equal(netidOf('udp', 6), 'udp6');
  t.equal(netidOfCall('udp', '::ffff:127.0.0.1'), 'udp');
  t.equal(netidOfCall('tcp', '::1'), 'tcp6');
  t.equal(netidOfIpProto(6), 'tcp');
  t.equal(netidOfIpProto(17), 'udp');
  t.equal(netidOfIpProto(132), undefined);
  t.equal(ipProtoOfNetid('tcp6'), undefined);
  t.same(netconfigOf('udp6'), { semantics: 1, protofmly: 'inet6', proto: 'udp' });
  t.same(netconfigOf('tcp'), { semantics: 3, protofmly: 'inet', proto: 'tcp' });
  t.ok(isNetid('tcp6'));
  t.notOk(isNetid('local'));
});
