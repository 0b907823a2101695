/**
 * Child process of crash.test.ts: opens the union and runs a seeded mixed workload against it
 * (creates, file-sync writes, renames, unlinks, rmdirs, mkdirs, copy-ups, hard links) until the
 * parent kills it with SIGKILL. Every op is logged before it starts and acknowledged after it
 * returns (see crash-log.ts). Prints "ready" once the union is open.
 *
 * Usage: node crash-child.js '<CrashChildArgs as JSON>'
 */
import { readFileSync } from 'node:fs';
import { Prng } from './prng.js';
import { AckLogWriter, type CrashChildArgs } from './crash-log.js';
import { ModelFs } from './model-fs.js';
import { OpGenerator } from './op-gen.js';
import { MUTATING, applyOp } from './ops.js';
import type { Snapshot } from './snapshot.js';
import { UnionPathFs, loadUnionOpener } from './union-adapter.js';

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as CrashChildArgs;
  const open = await loadUnionOpener();
  if (!open) throw new Error('union-core is not built');
  const union = new UnionPathFs('union-core', await open({ lowers: args.lowers, upper: args.upper, work: args.work, async: args.async }));
  process.stdout.write('ready\n');

  // The generator only needs the shape of the namespace; content stays unknown (null).
  const state = new Map(JSON.parse(readFileSync(args.statePath, 'utf8')) as [string, never][]) as Snapshot;
  const model = ModelFs.fromSnapshot(state);
  const gen = new OpGenerator(new Prng(args.seed), model);
  const log = new AckLogWriter(args.logPath);
  for (let i = 0; i < args.maxOps; i++) {
    const op = gen.next();
    // Reads change nothing a crash could break; keep the workload to changes.
    if (!MUTATING.has(op.op)) continue;
    log.intent(i, op);
    const r = await applyOp(union, op);
    log.ack(i, r.ok ? 'ok' : r.errno);
    await applyOp(model, op);
    if (r.ok) gen.noteSuccess(op);
  }
  log.close();
  process.stdout.write('done\n');
  // Stay alive until killed, so every run ends the same way.
  setInterval(() => {}, 1 << 30);
}

main().catch((err) => {
  process.stderr.write(`crash-child: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
