import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '../../server/config.js';
import { parseConfig, readConfigFile, requireConfigDirectories } from '../../server/config-file.js';
import { defaultExport, expectUsageError as usageError } from './helpers.js';

/** deploy/examples/ of the checkout (the compiled test runs from dist/test/server/). */
const EXAMPLES = fileURLToPath(new URL('../../../deploy/examples/', import.meta.url));

const layers = { lowers: ['/srv/golden'], upper: '/srv/u1', work: '/srv/w1' };

t.test('a minimal export gets the defaults', async (t) => {
  const config = parseConfig({ exports: [layers] }, '/etc/fallthru');
  t.same(config, {
    exports: [defaultExport(layers)],
    bind: DEFAULTS.bind,
    nfsPort: DEFAULTS.nfsPort,
    mountPort: DEFAULTS.mountPort,
    portmap: DEFAULTS.portmap,
    portmapPort: DEFAULTS.portmapPort,
  });
});

t.test('every key is read', async (t) => {
  const config = parseConfig(
    {
      '//': 'comments are ignored',
      bind: '0.0.0.0',
      nfsPort: 12049,
      mountPort: 0,
      portmap: 'builtin',
      portmapPort: 1111,
      exports: [
        { path: '/a//b/', ...layers, readOnly: true, squash: 'all', anonUid: 1000, anonGid: 100, allow: ['10.0.0.0/8', '::1'], secure: true, async: true, '// why': 'x' },
      ],
    },
    '/',
  );
  t.match(config, { bind: '0.0.0.0', nfsPort: 12049, mountPort: 0, portmap: 'builtin', portmapPort: 1111 });
  t.match(config.exports[0], { path: '/a/b', readOnly: true, squash: 'all', anonUid: 1000, anonGid: 100, secure: true, async: true });
  t.same(config.exports[0].allow, [
    { spec: '10.0.0.0/8', address: '10.0.0.0', prefixLength: 8 },
    { spec: '::1', address: '::1', prefixLength: 128 },
  ]);
});

t.test('relative directories resolve against the config file directory', async (t) => {
  const config = parseConfig({ exports: [{ lowers: ['golden', '../base'], upper: 'u', work: '/abs/w' }] }, '/etc/fallthru');
  t.same(config.exports[0].lowers, ['/etc/fallthru/golden', '/etc/base']);
  t.equal(config.exports[0].upper, '/etc/fallthru/u');
  t.equal(config.exports[0].work, '/abs/w');

  const dir = mkdtempSync(join(tmpdir(), 'ft-config-'));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ exports: [{ lowers: ['l'], upper: 'u', work: 'w' }] }));
  t.equal(readConfigFile(join(dir, 'c.json')).exports[0].upper, join(dir, 'u'));
});

t.test('exports may share lowers (one golden root under many exports)', async (t) => {
  const config = parseConfig(
    {
      exports: [
        { path: '/n1', lowers: ['/g'], upper: '/n/1/u', work: '/n/1/w' },
        { path: '/n2', lowers: ['/g'], upper: '/n/2/u', work: '/n/2/w' },
      ],
    },
    '/',
  );
  t.equal(config.exports.length, 2);
});

t.test('each mistake is one line naming the key', async (t) => {
  const ex = (over: Record<string, unknown>) => ({ exports: [{ ...layers, ...over }] });
  const two = (second: Record<string, unknown>) => ({ exports: [{ path: '/a', ...layers }, { path: '/b', lowers: ['/g'], ...second }] });
  const cases: [unknown, RegExp][] = [
    [[], /^config: must be an object, not an array$/],
    [null, /^config: must be an object, not null$/],
    [{ exports: [layers], nfsport: 1 }, /^config nfsport: unknown key \(known: bind, nfsPort, .*exports\)$/],
    [{}, /^config exports: missing/],
    [{ exports: {} }, /^config exports: must be an array of exports, not an object$/],
    [{ exports: [] }, /^config exports: at least one export is needed$/],
    [{ exports: ['/srv'] }, /^config exports\[0\]: must be an object, not a string$/],
    [ex({ uppr: '/x' }), /^config exports\[0\]\.uppr: unknown key \(known: path, lowers, upper/],
    [{ exports: [{ upper: '/u', work: '/w' }] }, /^config exports\[0\]\.lowers: missing/],
    [ex({ lowers: [] }), /^config exports\[0\]\.lowers: at least one lower directory is needed$/],
    [ex({ lowers: '/srv/golden' }), /^config exports\[0\]\.lowers: must be an array of strings, not a string$/],
    [ex({ lowers: ['/a', 7] }), /^config exports\[0\]\.lowers\[1\]: must be a string, not a number$/],
    [ex({ lowers: ['/a', ''] }), /^config exports\[0\]\.lowers\[1\]: a directory is needed$/],
    [ex({ upper: undefined }), /^config exports\[0\]\.upper: missing/],
    [ex({ work: 3 }), /^config exports\[0\]\.work: must be a string, not a number$/],
    [ex({ path: 'union' }), /^config exports\[0\]\.path: union is not an absolute path/],
    [ex({ path: '/a/../b' }), /^config exports\[0\]\.path: \/a\/..\/b must not contain . or .. parts$/],
    [ex({ path: 5 }), /^config exports\[0\]\.path: must be a string, not a number$/],
    [ex({ readOnly: 'yes' }), /^config exports\[0\]\.readOnly: must be a boolean, not a string$/],
    [ex({ squash: 'root_squash' }), /^config exports\[0\]\.squash: root_squash is not one of root, all, none$/],
    [ex({ anonUid: -1 }), /^config exports\[0\]\.anonUid: -1 is not a uid\/gid/],
    [ex({ anonGid: 1.5 }), /^config exports\[0\]\.anonGid: 1.5 is not a uid\/gid/],
    [ex({ anonUid: '65534' }), /^config exports\[0\]\.anonUid: must be a number, not a string$/],
    [ex({ allow: '10.0.0.0/8' }), /^config exports\[0\]\.allow: must be an array of strings/],
    [ex({ allow: ['10.0.0.0/33'] }), /^config exports\[0\]\.allow: "10.0.0.0\/33": \/33 is not an IPv4 prefix length/],
    [ex({ allow: ['*.example.com'] }), /^config exports\[0\]\.allow: "\*.example.com" is not an IP address/],
    [ex({ secure: 1 }), /^config exports\[0\]\.secure: must be a boolean, not a number$/],
    [ex({ async: 'yes' }), /^config exports\[0\]\.async: must be a boolean, not a string$/],
    [{ exports: [layers], nfsPort: 70000 }, /^config nfsPort: 70000 is not a port number \(0-65535\)$/],
    [{ exports: [layers], mountPort: '20048' }, /^config mountPort: must be a number, not a string$/],
    [{ exports: [layers], portmapPort: -1 }, /^config portmapPort: -1 is not a port number/],
    [{ exports: [layers], portmap: 'rpcbind' }, /^config portmap: rpcbind is not one of builtin, system, none, auto$/],
    [{ exports: [layers], bind: 'localhost' }, /^config bind: localhost is not an IP address/],
    [{ exports: [{ ...layers }, { lowers: ['/g'], upper: '/u2', work: '/w2' }] }, /^config exports\[1\]\.path: \/union is already exported by exports\[0\]$/],
    [two({ upper: '/srv/u1', work: '/w2' }), /^config exports\[1\]\.upper: \/srv\/u1 is already used by exports\[0\]\.upper$/],
    [two({ upper: '/srv/w1', work: '/w2' }), /^config exports\[1\]\.upper: \/srv\/w1 is already used by exports\[0\]\.work$/],
    [two({ upper: '/u2', work: '/srv/u1/w' }), /^config exports\[1\]\.work: \/srv\/u1\/w overlaps exports\[0\]\.upper \(\/srv\/u1\)$/],
    [two({ upper: '/srv', work: '/w2' }), /^config exports\[1\]\.upper: \/srv overlaps exports\[0\]\.upper/],
    [ex({ upper: '/same', work: '/same' }), /^config exports\[0\]\.work: \/same is already used by exports\[0\]\.upper$/],
  ];
  for (const [json, message] of cases) usageError(t, () => parseConfig(json, '/'), message, JSON.stringify(json));
});

t.test('an unreadable or malformed file is one line naming --config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ft-config-'));
  usageError(t, () => readConfigFile(join(dir, 'none.json')), /^--config \S+none.json: no such file$/);
  writeFileSync(join(dir, 'bad.json'), '{ "exports": [ }');
  usageError(t, () => readConfigFile(join(dir, 'bad.json')), /^--config \S+bad.json: not valid JSON \(/);
  usageError(t, () => readConfigFile(dir), /^--config \S+: cannot be read \(EISDIR\)$/);
});

t.test('layer directories are checked on disk, named by key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ft-config-'));
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'file'), '');
  const config = (over: Record<string, unknown>) =>
    parseConfig({ exports: [{ lowers: ['lower'], upper: 'upper', work: 'work', ...over }] }, dir);
  requireConfigDirectories(config({}));
  t.pass('existing directories pass');
  usageError(t, () => requireConfigDirectories(config({ lowers: ['lower', 'gone'] })), /^config exports\[0\]\.lowers\[1\] \S+\/gone: no such directory$/);
  usageError(t, () => requireConfigDirectories(config({ upper: 'file' })), /^config exports\[0\]\.upper \S+\/file: not a directory$/);
  usageError(t, () => requireConfigDirectories(config({ work: 'file/sub' })), /^config exports\[0\]\.work \S+: not a directory$/);
});

t.test('every deploy example parses', async (t) => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
  t.same(files.sort(), ['ci-golden-image.json', 'developer-throwaway.json', 'diskless-cluster.json']);
  for (const f of files) {
    const config = readConfigFile(join(EXAMPLES, f));
    t.ok(config.exports.length > 0, `${f}: ${config.exports.map((e) => e.path).join(' ')}`);
  }
  const cluster = readConfigFile(join(EXAMPLES, 'diskless-cluster.json'));
  t.equal(new Set(cluster.exports.map((e) => e.lowers[0])).size, 1, 'the cluster shares one golden root');
  t.ok(cluster.exports.filter((e) => !e.readOnly).every((e) => e.squash === 'none' && e.allow.length === 1));
  const dev = readConfigFile(join(EXAMPLES, 'developer-throwaway.json'));
  t.equal(dev.exports[0].upper, join(EXAMPLES, 'upper'), 'relative to the example file');
});
