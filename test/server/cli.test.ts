import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromArgs, logLevelFromArgs, parseCommandLine, settingsFromArgs, UsageError, type Flags } from '../../server/cli-args.js';
import { DEFAULTS } from '../../server/config.js';
import { SERVER_DEFAULTS } from '../../server/config-values.js';
import { demoDefaults, prepareDemoTree, writeDemoLower } from '../../server/demo.js';
import { Union } from '../../union-core/index.js';
import { defaultExport, expectUsageError } from './helpers.js';

const CLI = fileURLToPath(new URL('../../server/cli.js', import.meta.url));

function scratch(): { base: string; lower: string; upper: string; work: string; file: string } {
  const base = mkdtempSync(join(tmpdir(), 'ft-cli-'));
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(base, d));
  writeFileSync(join(base, 'file'), '');
  return { base, lower: join(base, 'lower'), upper: join(base, 'upper'), work: join(base, 'work'), file: join(base, 'file') };
}

function run(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('layer flags make one export with the serve defaults', async (t) => {
  const s = scratch();
  const config = configFromArgs({ lower: s.lower, upper: s.upper, work: s.work });
  t.same(config, {
    exports: [defaultExport({ lowers: [s.lower], upper: s.upper, work: s.work })],
    ...SERVER_DEFAULTS,
  });
});

t.test('every serve flag is read', async (t) => {
  const s = scratch();
  mkdirSync(join(s.base, 'lower2'));
  const flags: Flags = {
    lower: [s.lower, join(s.base, 'lower2')],
    upper: s.upper,
    work: s.work,
    export: '/exp//x/',
    'nfs-port': '12049',
    'mount-port': '0',
    portmap: 'none',
    'portmap-port': '1111',
    bind: '::',
    allow: ['10.0.0.0/8,192.168.1.7', '::1'],
    ro: true,
    squash: 'all',
    anonuid: '1000',
    anongid: '100',
    secure: true,
    async: true,
  };
  const config = configFromArgs(flags);
  t.match(config, { bind: '::', nfsPort: 12049, mountPort: 0, portmap: 'none', portmapPort: 1111 });
  const [exp] = config.exports;
  t.match(exp, { path: '/exp/x', readOnly: true, squash: 'all', anonUid: 1000, anonGid: 100, secure: true, async: true });
  t.same(exp.lowers, [s.lower, join(s.base, 'lower2')], 'lowers in the order given, highest first');
  t.same(exp.allow.map((r) => r.spec), ['10.0.0.0/8', '192.168.1.7', '::1'], 'repeated and comma-separated');
});

t.test('relative directories are made absolute against the working directory', async (t) => {
  const s = scratch();
  const config = configFromArgs({ lower: relative(process.cwd(), s.lower), upper: relative(process.cwd(), s.upper), work: s.work });
  t.equal(config.exports[0].lowers[0], s.lower);
  t.equal(config.exports[0].upper, s.upper);
});

t.test('each bad flag is one line naming it', async (t) => {
  const s = scratch();
  const ok = { lower: s.lower, upper: s.upper, work: s.work };
  const cases: [Flags, RegExp][] = [
    [{ ...ok, 'nfs-port': '70000' }, /^--nfs-port: 70000 is not a port number \(0-65535\)$/],
    [{ ...ok, 'nfs-port': 'abc' }, /^--nfs-port: abc is not a port number/],
    [{ ...ok, 'nfs-port': '-1' }, /^--nfs-port: -1 is not a port number/],
    [{ ...ok, 'nfs-port': '' }, /^--nfs-port: "" is not a port number/],
    [{ ...ok, 'nfs-port': '20.49' }, /^--nfs-port: 20.49 is not a port number/],
    [{ ...ok, 'mount-port': '1e3' }, /^--mount-port: 1e3 is not a port number/],
    [{ ...ok, 'portmap-port': '65536' }, /^--portmap-port: 65536 is not a port number/],
    [{ ...ok, portmap: 'rpcbind' }, /^--portmap: rpcbind is not one of builtin, system, none, auto$/],
    [{ ...ok, bind: 'localhost' }, /^--bind: localhost is not an IP address/],
    [{ ...ok, bind: '10.0.0.256' }, /^--bind: 10.0.0.256 is not an IP address/],
    [{ ...ok, export: 'union' }, /^--export: union is not an absolute path/],
    [{ ...ok, export: '/a/./b' }, /^--export: \/a\/.\/b must not contain . or .. parts$/],
    [{ ...ok, export: '/' + 'x'.repeat(1024) }, /^--export: longer than 1024 bytes$/],
    [{ ...ok, squash: 'no_root_squash' }, /^--squash: no_root_squash is not one of root, all, none$/],
    [{ ...ok, anonuid: '-5' }, /^--anonuid: -5 is not a uid\/gid \(0-4294967295\)$/],
    [{ ...ok, anonuid: '4294967296' }, /^--anonuid: 4294967296 is not a uid\/gid/],
    [{ ...ok, anongid: 'nogroup' }, /^--anongid: nogroup is not a uid\/gid/],
    [{ ...ok, allow: '10.0.0.0/33' }, /^--allow: "10.0.0.0\/33": \/33 is not an IPv4 prefix length \(0-32\)$/],
    [{ ...ok, allow: ['10.0.0.0/8', 'host.example'] }, /^--allow: "host.example" is not an IP address/],
    [{ ...ok, allow: '10.0.0.1,' }, /^--allow: "" is not an IP address/],
    [{ ...ok, upper: [s.upper, s.work] }, /^--upper: given more than once$/],
    [{ ...ok, 'nfs-port': ['1', '2'] }, /^--nfs-port: given more than once$/],
    [{ ...ok, ro: [true, false] }, /^--ro: given more than once$/],
    [{}, /^no union given: use --lower DIR .* or --config FILE$/],
    [{ upper: s.upper, work: s.work }, /^--lower: missing/],
    [{ lower: s.lower, work: s.work }, /^--upper: missing/],
    [{ lower: s.lower, upper: s.upper }, /^--work: missing/],
    [{ ...ok, lower: '' }, /^--lower: a directory is needed$/],
    [{ ...ok, lower: [s.lower, join(s.base, 'gone')] }, /^--lower \S+\/gone: no such directory$/],
    [{ ...ok, lower: s.file }, /^--lower \S+\/file: not a directory$/],
    [{ ...ok, upper: join(s.base, 'gone') }, /^--upper \S+\/gone: no such directory$/],
    [{ ...ok, work: join(s.file, 'sub') }, /^--work \S+\/file\/sub: not a directory$/],
    [{ ...ok, config: join(s.base, 'c.json') }, /^--config: cannot be combined with --lower/],
  ];
  for (const [flags, message] of cases) expectUsageError(t, () => configFromArgs(flags), message, JSON.stringify(flags));
  expectUsageError(t, () => logLevelFromArgs({ 'log-level': 'loud' }), /^--log-level: loud is not one of trace, debug, info, warn, error$/);
  t.equal(logLevelFromArgs({}), 'info');
});

t.test('an upper or work directory the server cannot write is refused', { skip: process.getuid?.() === 0 && 'root writes anywhere' }, async (t) => {
  const s = scratch();
  chmodSync(s.upper, 0o555);
  expectUsageError(t, () => configFromArgs({ lower: s.lower, upper: s.upper, work: s.work }), /^--upper \S+: not writable$/);
});

t.test('--config declares the exports; server-wide flags override the file', async (t) => {
  const s = scratch();
  const file = join(s.base, 'c.json');
  writeFileSync(file, JSON.stringify({ nfsPort: 2050, bind: '0.0.0.0', exports: [{ path: '/x', lowers: ['lower'], upper: 'upper', work: 'work' }] }));
  const config = configFromArgs({ config: file, 'nfs-port': '3049' });
  t.match(config, { nfsPort: 3049, bind: '0.0.0.0', mountPort: DEFAULTS.mountPort });
  t.match(config.exports[0], { path: '/x', lowers: [s.lower], upper: s.upper });
  for (const flag of ['upper', 'export', 'ro', 'allow', 'squash', 'anonuid', 'secure', 'async']) {
    expectUsageError(t, () => configFromArgs({ config: file, [flag]: 'x' }), new RegExp(`^--config: cannot be combined with --${flag} `));
  }
  writeFileSync(file, JSON.stringify({ exports: [{ lowers: ['missing'], upper: 'upper', work: 'work' }] }));
  expectUsageError(t, () => configFromArgs({ config: file }), /^config exports\[0\]\.lowers\[0\] \S+\/missing: no such directory$/);
  expectUsageError(t, () => configFromArgs({ config: join(s.base, 'nope.json') }), /^--config \S+nope.json: no such file$/);
});

t.test('the command line parses into a command and its flags', async (t) => {
  const serve = await parseCommandLine(['serve', '--lower', 'a', '--lower', 'b', '--upper', 'u', '--work', 'w', '--nfs-port', '-1', '--ro']);
  t.match(serve, { name: 'serve', flags: { lower: ['a', 'b'], upper: 'u', 'nfs-port': '-1', ro: true } });
  t.match(await parseCommandLine(['fsck', '--config', 'c.json']), { name: 'fsck', flags: { config: 'c.json' } });
  t.match(await parseCommandLine(['demo', '--dir', 'd', '--portmap', 'none']), { name: 'demo', flags: { dir: 'd', portmap: 'none' } });
  const bad: [string[], RegExp][] = [
    [[], /^a command is needed: serve, demo or fsck \(see fallthru --help\)$/],
    [['mount'], /^unknown command "mount" \(commands: serve, demo, fsck; see fallthru --help\)$/],
    [['serve', '--lowr', 'x'], /^unknown argument: --lowr \(see fallthru --help\)$/],
    [['serve', 'extra'], /^unknown argument: extra/],
    [['fsck', '--nfs-port', '1'], /^unknown argument: --nfs-port/],
    [['demo', '--lower', 'x'], /^unknown argument: --lower/],
  ];
  for (const [args, message] of bad) {
    await t.rejects(parseCommandLine(args), { name: 'UsageError', message }, args.join(' ') || '(nothing)');
  }
});

t.test('demo: server settings need no root unless running as root', async (t) => {
  t.match(demoDefaults(true), { nfsPort: 2049, mountPort: 20048, portmap: 'auto', bind: '127.0.0.1' });
  const user = demoDefaults(false);
  t.ok(user.nfsPort >= 1024 && user.mountPort >= 1024, 'unprivileged ports');
  t.not(user.nfsPort, 2049, 'clear of a host NFS server');
  t.equal(user.portmap, 'none');
  t.match(settingsFromArgs({ 'nfs-port': '5555' }, user), { nfsPort: 5555, mountPort: user.mountPort });
});

/** Every object under `root`: relative path, type, mode, size, link count, mtime, contents. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const st = lstatSync(join(root, rel));
    const kind = st.isSymbolicLink() ? `-> ${readlinkSync(join(root, rel))}` : st.isDirectory() ? 'dir' : readFileSync(join(root, rel), 'utf8');
    out.push(`${rel} ${(st.mode & 0o7777).toString(8)} n${st.nlink} ${st.mtime.toISOString()} ${kind}`);
    if (st.isDirectory()) for (const name of readdirSync(join(root, rel)).sort()) walk(rel ? join(rel, name) : name);
  };
  walk('');
  return out;
}

t.test('demo: the lower tree is the same every time', async (t) => {
  const a = mkdtempSync(join(tmpdir(), 'ft-demo-'));
  const b = mkdtempSync(join(tmpdir(), 'ft-demo-'));
  await writeDemoLower(join(a, 'lower'));
  await writeDemoLower(join(b, 'lower'));
  const snap = snapshot(join(a, 'lower'));
  t.same(snapshot(join(b, 'lower')), snap);
  t.ok(snap.length >= 10, 'a few dirs and files');
  const lower = join(a, 'lower');
  t.equal(statSync(join(lower, 'data/numbers.txt')).ino, statSync(join(lower, 'data/numbers-link.txt')).ino, 'a hard link');
  t.equal(statSync(join(lower, 'data/numbers.txt')).nlink, 2);
  t.equal(readlinkSync(join(lower, 'guide')), 'docs/guide.txt', 'a relative symlink');
  t.equal(statSync(join(lower, 'src/hello.sh')).mode & 0o777, 0o755, 'an executable');
  t.ok(statSync(join(lower, 'empty')).isDirectory(), 'an empty directory');
  t.equal(statSync(lower).mtime.toISOString(), '2024-01-01T00:00:00.000Z', 'fixed times, directories included');
});

t.test('demo: prepareDemoTree makes the layers once and then keeps them', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ft-demo-')), 'nested', '.demo');
  const first = await prepareDemoTree(dir);
  t.same(first, { lower: join(dir, 'lower'), upper: join(dir, 'upper'), work: join(dir, 'work'), created: true });
  t.same(readdirSync(dir).sort(), ['lower', 'upper', 'work'], 'no building leftovers');
  writeFileSync(join(dir, 'lower', 'README.txt'), 'edited by hand');
  writeFileSync(join(dir, 'upper', 'change'), 'a client change');
  const second = await prepareDemoTree(dir);
  t.equal(second.created, false);
  t.equal(readFileSync(join(dir, 'lower', 'README.txt'), 'utf8'), 'edited by hand', 'an existing lower is reused as is');
  t.ok(existsSync(join(dir, 'upper', 'change')), 'changes are kept');
  t.same(configFromArgs({ lower: second.lower, upper: second.upper, work: second.work }, demoDefaults(false)).nfsPort, demoDefaults(false).nfsPort);
});

t.test('built CLI: --help and --version answer on stdout and exit 0', async (t) => {
  const help = run(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /serve/);
  t.match(help.stdout, /demo/);
  t.match(help.stdout, /fsck/);
  t.equal(help.stderr, '');
  const serveHelp = run(['serve', '--help']);
  t.equal(serveHelp.status, 0);
  t.match(serveHelp.stdout, /--nfs-port/);
  t.match(serveHelp.stdout, /--config/);
  const version = run(['--version']);
  t.equal(version.status, 0);
  t.equal(version.stdout.trim(), JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
});

t.test('built CLI: usage errors exit 2 with one line on stderr', async (t) => {
  const s = scratch();
  const cases: [string[], RegExp][] = [
    [['serve', '--nfs-port', '70000', '--lower', s.lower, '--upper', s.upper, '--work', s.work], /^fallthru: --nfs-port: 70000 is not a port number \(0-65535\)\n$/],
    [['serve', '--lower', join(s.base, 'missing'), '--upper', s.upper, '--work', s.work], /^fallthru: --lower \S+\/missing: no such directory\n$/],
    [['serve', '--bogus'], /^fallthru: unknown argument: --bogus \(see fallthru --help\)\n$/],
    [[], /^fallthru: a command is needed/],
    [['fsck'], /^fallthru: no union given/],
  ];
  for (const [args, stderr] of cases) {
    const r = run(args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, stderr, `${args.join(' ')}: stderr`);
    t.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  }
});

t.test('built CLI: demo checks its flags before writing anything', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ft-demo-')), '.demo');
  const r = run(['demo', '--dir', dir, '--mount-port', '99999']);
  t.equal(r.status, 2);
  t.match(r.stderr, /^fallthru: --mount-port: 99999 is not a port number/);
  t.notOk(existsSync(dir));
});

t.test('built CLI: fsck reports a clean union with 0 and problems with 1', async (t) => {
  const s = scratch();
  writeFileSync(join(s.lower, 'a'), 'a');
  const args = ['fsck', '--lower', s.lower, '--upper', s.upper, '--work', s.work, '--log-level', 'warn'];
  const clean = run(args);
  t.equal(clean.status, 0, clean.stderr);
  t.equal(clean.stdout, '/union: clean\n');
  // A file the union created, then removed from the upper behind its back.
  const union = await Union.open({ lowers: [s.lower], upper: s.upper, work: s.work });
  await union.create(union.rootId, 'made', { mode: 'guarded', attrs: { mode: 0o644 } }, { uid: 0, gid: 0, groups: [] });
  await union.close();
  rmSync(join(s.upper, 'made'));
  const dirty = run(args);
  t.equal(dirty.status, 1);
  t.match(dirty.stdout, /^\/union: missing-upper \/made: /m);
  t.match(dirty.stdout, /^\/union: 1 problem\(s\)$/m);
});

t.test('UsageError is what configFromArgs throws', async (t) => {
  t.throws(() => configFromArgs({}), UsageError);
});

t.test('the launcher and npm run demo give node the flags the server is tuned with', async (t) => {
  const { NODE_FLAGS } = await import('../../server/node-flags.js');
  const shebang = readFileSync(CLI, 'utf8').split('\n')[0];
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> };
  for (const flag of NODE_FLAGS) {
    t.ok(shebang.split(' ').includes(flag), `the fallthru command's first line gives ${flag}`);
    t.ok(pkg.scripts.demo.split(' ').includes(flag), `npm run demo gives ${flag}`);
  }
  // Run as the kernel would (the file's mode in a fresh checkout may lack the execute bit).
  const [interpreter, ...args] = shebang.slice(2).split(' ');
  const run = spawnSync(interpreter, [...args, CLI, '--version'], { encoding: 'utf8' });
  t.equal(run.status, 0, `the launcher line runs as written: ${run.stderr}`);
});
