/**
 * Consistency check (later `fallthru fsck`): compares the store with the upper, the index and the
 * lowers, and reports; it changes nothing.
 */

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnionContext } from './context.js';
import type { CheckProblem } from './types.js';
import { ROOT_ID } from './store.js';
import { backingPath, relPath, lstatOrNull } from './namespace.js';
import { kindOf, lowerFileid } from './identity.js';

export async function checkUnion(ctx: UnionContext): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const report = (kind: string, detail: string, path?: string) => problems.push({ kind, detail, path });
  const { store } = ctx;

  // A live directory sweep is bookkeeping of work in progress, not a change left undone.
  for (const i of store.intents()) if (!ctx.sweeps.holds(i.seq)) report('pending-intent', `namespace change ${i.seq} not applied: ${i.steps}`);
  const leftovers = await readdir(ctx.layers.tmpDir);
  if (leftovers.length) report('work-leftovers', `${leftovers.length} temporaries in the work directory`);

  const nodes = new Map(store.allNodes().map((n) => [n.id, n]));
  const named = new Set<bigint>([ROOT_ID]);
  const namesByDir = new Map<bigint, Set<string>>();
  const cookies = new Set<string>();
  for (const e of store.allEntries()) {
    const cookie = `${e.dir}/${e.cookie}`;
    if (cookies.has(cookie)) report('cookie-repeated', `entry ${e.name} in directory ${e.dir} repeats cookie ${e.cookie}`);
    cookies.add(cookie);
    named.add(e.id);
    if (!nodes.has(e.id)) report('dangling-entry', `entry ${e.name} in directory ${e.dir} names missing object ${e.id}`);
    const dir = nodes.get(e.dir);
    if (!dir) report('orphan-entry', `entry ${e.name} belongs to missing directory ${e.dir}`);
    else if (e.cookie >= dir.nextCookie) report('cookie-reuse-risk', `entry ${e.name} cookie ${e.cookie} >= next ${dir.nextCookie}`);
    if (!namesByDir.has(e.dir)) namesByDir.set(e.dir, new Set());
    namesByDir.get(e.dir)!.add(e.name);
  }

  for (const node of nodes.values()) {
    if (!named.has(node.id)) {
      // A lower or indexed file whose recorded names were all removed lives on through visible lower
      // names not looked up yet, as long as its count says so (whiteout.ts).
      if (node.upper || node.kind === 'dir' || (node.nlink ?? 1) < 1) report('unnamed-object', `object ${node.id} has no name`);
      continue;
    }
    let path: string;
    try {
      path = backingPath(ctx, node);
    } catch (e) {
      report('unresolvable', `object ${node.id}: ${String(e)}`);
      continue;
    }
    const st = await lstatOrNull(path);
    const where = node.id === ROOT_ID ? '/' : safeRel(ctx, node.id);
    if (!st) {
      report(node.upper || node.indexed ? 'missing-upper' : 'missing-lower', `backing ${path} of object ${node.id} is missing`, where);
      continue;
    }
    const actual = kindOf(st);
    const placeholder = ['char', 'block', 'fifo', 'socket'].includes(node.kind) && actual === 'file';
    if (actual !== node.kind && !placeholder && (node.upper || node.indexed)) {
      report('type-mismatch', `object ${node.id} is ${node.kind} in the store but ${actual} on disk`, where);
    }
    if (!node.upper && !node.indexed && node.layer !== null && node.id >= 1n << 48n) {
      if (lowerFileid(node.layer, st.ino) !== node.id) report('lower-changed', `lower object ${path} was replaced`, where);
    }
    if (node.kind === 'dir' && node.upper && node.complete) {
      const known = namesByDir.get(node.id) ?? new Set<string>();
      for (const name of await readdir(path)) {
        if (!known.has(name)) report('untracked-upper', `upper entry ${join(path, name)} has no row`, where);
      }
    }
  }
  return problems;
}

function safeRel(ctx: UnionContext, id: bigint): string | undefined {
  try {
    return '/' + relPath(ctx, id);
  } catch {
    return undefined;
  }
}
