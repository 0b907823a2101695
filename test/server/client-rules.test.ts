import t from 'tap';
import { ClientRuleError, clientAllowed, parseClientRule } from '../../server/client-rules.js';

t.test('entries parse to a canonical network and prefix', async (t) => {
  const cases: [string, string, number][] = [
    ['10.0.0.0/8', '10.0.0.0', 8],
    ['192.168.1.7', '192.168.1.7', 32],
    ['0.0.0.0/0', '0.0.0.0', 0],
    // Host bits are masked off, as exports(5) does.
    ['10.1.2.3/8', '10.0.0.0', 8],
    ['192.168.1.77/30', '192.168.1.76', 30],
    ['::1', '::1', 128],
    ['fd00::/8', 'fd00::', 8],
    ['FD12:3456:0:0::1/48', 'fd12:3456::', 48],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 128],
    ['::/0', '::', 0],
    // IPv4-mapped IPv6 rules become the IPv4 network they name.
    ['::ffff:10.0.0.0/104', '10.0.0.0', 8],
    ['::ffff:192.168.1.7', '192.168.1.7', 32],
    ['::FFFF:a00:1/120', '10.0.0.0', 24],
    [' 10.0.0.0/8 ', '10.0.0.0', 8],
  ];
  for (const [spec, address, prefixLength] of cases) {
    t.same(parseClientRule(spec), { spec, address, prefixLength }, spec);
  }
});

t.test('anything else is a ClientRuleError quoting the entry', async (t) => {
  const bad: [string, RegExp][] = [
    ['10.0.0.0/33', /"10.0.0.0\/33": \/33 is not an IPv4 prefix length \(0-32\)/],
    ['fd00::/129', /\/129 is not an IPv6 prefix length \(0-128\)/],
    ['10.0.0.0/', /\/ is not an IPv4 prefix length/],
    ['10.0.0.0/-1', /\/-1 is not/],
    ['10.0.0.0/8/9', /\/8\/9 is not/],
    ['10.0.0.0/0x8', /\/0x8 is not/],
    ['host.example.com', /"host.example.com" is not an IP address or CIDR network/],
    ['*', /"\*" is not an IP address/],
    ['@netgroup', /is not an IP address/],
    ['', /"" is not an IP address/],
    ['010.0.0.1', /is not an IP address/],
    ['10.0.0', /is not an IP address/],
    ['256.0.0.1/8', /is not an IP address/],
    ['fe80::1%eth0', /zone indexes/],
    ['fe80::/10%eth0', /is not an IPv6 prefix length|zone/],
  ];
  for (const [spec, message] of bad) {
    t.throws(() => parseClientRule(spec), { name: 'ClientRuleError', message }, JSON.stringify(spec));
  }
  t.ok(new ClientRuleError('x') instanceof Error);
});

t.test('no rules allow every client, even an unknown address', async (t) => {
  t.ok(clientAllowed([], '203.0.113.9'));
  t.ok(clientAllowed([], '::ffff:10.0.2.15'));
  t.ok(clientAllowed([], undefined));
});

t.test('IPv4 rules match plain and IPv4-mapped remote addresses', async (t) => {
  const rules = ['10.0.0.0/8', '192.168.1.7'].map(parseClientRule);
  t.ok(clientAllowed(rules, '10.0.2.15'));
  t.ok(clientAllowed(rules, '::ffff:10.0.2.15'), 'dual-stack socket spelling');
  t.ok(clientAllowed(rules, '::FFFF:192.168.1.7'));
  t.notOk(clientAllowed(rules, '192.168.1.8'));
  t.notOk(clientAllowed(rules, '::ffff:11.0.0.1'));
  t.notOk(clientAllowed(rules, '::1'));
});

t.test('a rule written as IPv4-mapped IPv6 matches plain IPv4 clients', async (t) => {
  const rules = [parseClientRule('::ffff:10.0.0.0/104')];
  t.ok(clientAllowed(rules, '10.9.8.7'));
  t.ok(clientAllowed(rules, '::ffff:10.9.8.7'));
  t.notOk(clientAllowed(rules, '11.0.0.1'));
});

t.test('IPv6 rules match IPv4 clients only through their mapped form', async (t) => {
  const rules = ['fd00::/8', '::1'].map(parseClientRule);
  t.ok(clientAllowed(rules, 'fd12::34'));
  t.ok(clientAllowed(rules, '0:0:0:0:0:0:0:1'));
  t.notOk(clientAllowed(rules, 'fe80::1'));
  t.notOk(clientAllowed(rules, '127.0.0.1'));
  t.ok(clientAllowed([parseClientRule('::/0')], '10.0.0.1'), '::/0 holds every mapped IPv4 address too');
  t.ok(clientAllowed([parseClientRule('::ffff:0:0/96')], '203.0.113.1'), 'every IPv4 client, spelled as IPv6');
});

t.test('a link-local client is matched without its zone index', async (t) => {
  const rules = [parseClientRule('fe80::/10')];
  t.ok(clientAllowed(rules, 'fe80::1%eth0'));
  t.notOk(clientAllowed([parseClientRule('fd00::/8')], 'fe80::1%eth0'));
});

t.test('a missing or unparsable remote address is refused when there are rules', async (t) => {
  const rules = [parseClientRule('0.0.0.0/0')];
  t.ok(clientAllowed(rules, '198.51.100.1'));
  t.notOk(clientAllowed(rules, undefined));
  t.notOk(clientAllowed(rules, ''));
  t.notOk(clientAllowed(rules, 'not-an-address'));
});

t.test('separate rule lists are matched separately (compiled lists are cached per array)', async (t) => {
  const a = [parseClientRule('10.0.0.0/8')];
  const b = [parseClientRule('172.16.0.0/12')];
  for (let i = 0; i < 3; i++) {
    t.ok(clientAllowed(a, '10.0.0.1'));
    t.notOk(clientAllowed(b, '10.0.0.1'));
    t.ok(clientAllowed(b, '172.20.0.1'));
  }
});
