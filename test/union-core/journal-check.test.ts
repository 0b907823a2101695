/**
 * A sync union whose upper is on an ext4 without a journal says so at open (journal-check.ts); on
 * a journalled ext4, or as an async union, it says nothing. Needs root and loop devices (skipped
 * without them).
 */

import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Union } from '../../union-core/index.js';
import { journalLessExt4 } from '../../union-core/journal-check.js';

function canLoopMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'ignore' });
    execFileSync('losetup', ['-f'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A fresh 32 MiB ext4 mounted for the test, with or without a journal. */
function ext4(t: Test, journal: boolean): string {
  const base = mkdtempSync(join(tmpdir(), 'ft-journal-'));
  const image = join(base, 'fs.img');
  const root = join(base, 'mnt');
  writeFileSync(image, '');
  truncateSync(image, 32 * 2 ** 20);
  execFileSync('mkfs.ext4', ['-q', '-F', ...(journal ? [] : ['-O', '^has_journal']), image]);
  mkdirSync(root);
  execFileSync('mount', ['-o', 'loop', image, root]);
  t.teardown(() => {
    execFileSync('umount', [root]);
    rmSync(base, { recursive: true, force: true });
  });
  for (const d of ['lower', 'upper', 'work']) mkdirSync(join(root, d));
  return root;
}

async function warningsAtOpen(root: string, async: boolean): Promise<string[]> {
  const warnings: string[] = [];
  const u = await Union.open({
    lowers: [join(root, 'lower')], upper: join(root, 'upper'), work: join(root, 'work'), async,
    log: (level, msg) => void (level === 'warn' && warnings.push(msg)),
  });
  await u.close();
  return warnings;
}

t.test('an upper on an ext4 without a journal is named at open', { skip: !canLoopMount() && 'needs root and loop devices' }, async (t) => {
  const bare = ext4(t, false);
  const journalled = ext4(t, true);
  t.match(journalLessExt4(bare), /^loop\d+$/, 'no journal: its device');
  t.equal(journalLessExt4(journalled), undefined, 'a journal');
  t.equal(journalLessExt4('/proc'), undefined, 'not ext4');
  t.match(await warningsAtOpen(bare, false), [/ext4 without a journal/], 'a sync union warns');
  t.same(await warningsAtOpen(bare, true), [], 'an async union promises nothing to warn about');
  t.same(await warningsAtOpen(journalled, false), [], 'a journalled upper is fine');
});
