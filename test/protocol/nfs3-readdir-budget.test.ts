/**
 * READDIR / READDIRPLUS size accounting: the budget's arithmetic must match the encoders byte for
 * byte, so a handler that stops when `add` says no produces a reply body of at most `count`
 * (`maxcount`) bytes, and one more entry would have exceeded it.
 */

import t from 'tap';
import { XdrWriter } from '../../protocol/xdr/index.js';
import {
  DirlistBudget,
  Nfsstat3,
  dirlistOverhead,
  encodeReaddir3Res,
  encodeReaddirplus3Res,
  entry3Size,
  entryplus3Size,
  nameBudget,
  type Entry3,
  type Entryplus3,
  type Fattr3,
} from '../../protocol/nfs3/index.js';
import { DIR_ATTR, FH, FILE_ATTR, VERF } from '../lib/golden-nfs3.js';

/** mulberry32 so the directory contents are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

function makeDir(rand: () => number, n: number): Entryplus3[] {
  return Array.from({ length: n }, (_, i) => {
    const nameLen = 1 + Math.floor(rand() * 40);
    const name = `${'é'.repeat(Math.floor(rand() * 3))}${'f'.repeat(nameLen)}${i}`;
    const withAttrs = rand() < 0.8;
    return {
      fileid: BigInt(i + 100),
      name,
      cookie: BigInt(i + 3),
      nameAttributes: withAttrs ? FILE_ATTR : undefined,
      nameHandle: withAttrs ? FH.subarray(0, 1 + Math.floor(rand() * 12)) : undefined,
    };
  });
}

function readdirBody(dirAttributes: Fattr3 | undefined, entries: Entry3[], eof: boolean): number {
  const w = new XdrWriter();
  encodeReaddir3Res(w, { status: Nfsstat3.NFS3_OK, dirAttributes, cookieverf: VERF, entries, eof });
  return w.length();
}

function readdirplusBody(dirAttributes: Fattr3 | undefined, entries: Entryplus3[], eof: boolean): number {
  const w = new XdrWriter();
  encodeReaddirplus3Res(w, { status: Nfsstat3.NFS3_OK, dirAttributes, cookieverf: VERF, entries, eof });
  return w.length();
}

t.test('sizes match the encoders exactly', async (t) => {
  const rand = prng(1);
  const dir = makeDir(rand, 200);
  for (const dirAttributes of [DIR_ATTR, undefined]) {
    t.equal(readdirBody(dirAttributes, [], true), dirlistOverhead(dirAttributes), 'empty READDIR reply');
    t.equal(readdirplusBody(dirAttributes, [], true), dirlistOverhead(dirAttributes), 'empty READDIRPLUS reply');
    const plain = dir.map(({ fileid, name, cookie }) => ({ fileid, name, cookie }));
    const expectedPlain = dirlistOverhead(dirAttributes) + plain.reduce((s, e) => s + entry3Size(e.name), 0);
    t.equal(readdirBody(dirAttributes, plain, false), expectedPlain, 'READDIR with 200 entries');
    const expectedPlus = dirlistOverhead(dirAttributes) + dir.reduce((s, e) => s + entryplus3Size(e), 0);
    t.equal(readdirplusBody(dirAttributes, dir, false), expectedPlus, 'READDIRPLUS with 200 entries');
  }
});

t.test('the worked example in readdir-budget.ts', async (t) => {
  const b = DirlistBudget.forReaddir(200, DIR_ATTR);
  const e = (cookie: bigint): Entry3 => ({ fileid: cookie, name: 'a.txt', cookie });
  t.equal(b.replyBytes, 108);
  t.ok(b.addEntry3(e(3n)));
  t.ok(b.addEntry3(e(4n)));
  t.equal(b.replyBytes, 172);
  t.notOk(b.addEntry3(e(5n)), 'the third entry would make 204 > 200');
  t.notOk(b.addEntry3({ fileid: 6n, name: '', cookie: 6n }), 'nothing is accepted after a refusal');
  t.equal(b.count, 2);
  t.notOk(b.tooSmall);
});

t.test('READDIR stops exactly at count', async (t) => {
  const rand = prng(2);
  const dir = makeDir(rand, 300).map(({ fileid, name, cookie }) => ({ fileid, name, cookie }));
  for (let i = 0; i < 200; i++) {
    const count = 120 + Math.floor(rand() * 6000);
    const dirAttributes = rand() < 0.5 ? DIR_ATTR : undefined;
    const budget = DirlistBudget.forReaddir(count, dirAttributes);
    const picked: Entry3[] = [];
    for (const e of dir) {
      if (!budget.addEntry3(e)) break;
      picked.push(e);
    }
    const body = readdirBody(dirAttributes, picked, picked.length === dir.length);
    if (body > count) t.fail(`count ${count}: body ${body}`);
    if (budget.replyBytes !== body) t.fail(`count ${count}: budget says ${budget.replyBytes}, encoder wrote ${body}`);
    if (picked.length < dir.length) {
      const oneMore = readdirBody(dirAttributes, dir.slice(0, picked.length + 1), false);
      if (oneMore <= count) t.fail(`count ${count}: one more entry (${oneMore} bytes) would have fit`);
    }
  }
  t.pass('200 random counts: body <= count, and one more entry never fits');
});

t.test('READDIRPLUS stops exactly at maxcount, and at dircount as counted', async (t) => {
  const rand = prng(3);
  const dir = makeDir(rand, 300);
  for (let i = 0; i < 200; i++) {
    const maxcount = 200 + Math.floor(rand() * 20000);
    const dircount = rand() < 0.3 ? Infinity : Math.floor(rand() * 4000);
    const dirAttributes = rand() < 0.5 ? DIR_ATTR : undefined;
    const budget = DirlistBudget.forReaddirplus(maxcount, dircount, dirAttributes);
    const picked: Entryplus3[] = [];
    for (const e of dir) {
      if (!budget.addEntryplus3(e)) break;
      picked.push(e);
    }
    const body = readdirplusBody(dirAttributes, picked, picked.length === dir.length);
    if (body > maxcount) t.fail(`maxcount ${maxcount}: body ${body}`);
    if (budget.replyBytes !== body) t.fail(`maxcount ${maxcount}: budget ${budget.replyBytes} != ${body}`);
    const dirBytes = picked.reduce((s, e) => s + entry3Size(e.name), 0);
    if (picked.length > 1 && dirBytes > dircount) t.fail(`dircount ${dircount}: ${dirBytes} directory bytes`);
    if (picked.length > 0 && picked.length < dir.length) {
      const next = dir[picked.length];
      const overMax = readdirplusBody(dirAttributes, dir.slice(0, picked.length + 1), false) > maxcount;
      const overDir = dirBytes + entry3Size(next.name) > dircount;
      if (!overMax && !overDir) t.fail(`maxcount ${maxcount} dircount ${dircount}: the next entry would have fit`);
    }
  }
  t.pass('200 random maxcount/dircount pairs');
});

t.test('the name budget takes every entry the full budget takes, and stops at the names', async (t) => {
  const rand = prng(5);
  const dir = makeDir(rand, 300);
  for (let i = 0; i < 200; i++) {
    const maxcount = 200 + Math.floor(rand() * 20000);
    const dircount = Math.floor(rand() * 4000);
    const budget = DirlistBudget.forReaddirplus(maxcount, dircount, DIR_ATTR);
    const names = nameBudget(dircount);
    let full = 0;
    while (full < dir.length && budget.addEntryplus3(dir[full])) full++;
    let named = 0;
    while (named < dir.length && names(dir[named].name)) named++;
    if (named < full) t.fail(`maxcount ${maxcount} dircount ${dircount}: names ${named} < full ${full}`);
    const nameBytes = dir.slice(0, named).reduce((s, e) => s + entry3Size(e.name), 0);
    if (named > 1 && nameBytes > dircount) t.fail(`dircount ${dircount}: ${nameBytes} name bytes`);
    if (named < dir.length && named > 0 && nameBytes + entry3Size(dir[named].name) <= dircount) t.fail(`dircount ${dircount}: stopped early`);
  }
  t.pass('200 random maxcount/dircount pairs');
});

t.test('dircount is a hint: it never refuses the first entry', async (t) => {
  const [first] = makeDir(prng(4), 1);
  const budget = DirlistBudget.forReaddirplus(65536, 0, DIR_ATTR);
  t.ok(budget.addEntryplus3(first), 'first entry accepted despite dircount 0');
  t.notOk(budget.addEntryplus3({ ...first, cookie: 99n }), 'the second is refused');
  t.notOk(budget.tooSmall);
});

t.test('TOOSMALL decisions', async (t) => {
  const entry: Entry3 = { fileid: 5n, name: 'name-of-some-length', cookie: 9n };
  const overhead = dirlistOverhead(DIR_ATTR);
  const exact = DirlistBudget.forReaddir(overhead + entry3Size(entry.name), DIR_ATTR);
  t.ok(exact.addEntry3(entry), 'an entry that fits to the byte is accepted');
  t.notOk(exact.tooSmall);

  const short = DirlistBudget.forReaddir(overhead + entry3Size(entry.name) - 1, DIR_ATTR);
  t.notOk(short.addEntry3(entry), 'one byte short');
  t.ok(short.tooSmall, 'not even one entry fits: NFS3ERR_TOOSMALL');

  const emptyDir = DirlistBudget.forReaddir(overhead, DIR_ATTR);
  t.notOk(emptyDir.tooSmall, 'no entries left at this cookie, and the empty reply fits: not TOOSMALL');

  const tiny = DirlistBudget.forReaddir(overhead - 1, DIR_ATTR);
  t.ok(tiny.tooSmall, 'a count below the fixed overhead is TOOSMALL even for an empty directory');

  const noAttrs = DirlistBudget.forReaddir(overhead - 1, undefined);
  t.notOk(noAttrs.tooSmall, 'without dir attributes the overhead is 84 bytes smaller');
});
