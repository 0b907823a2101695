/**
 * setattr rule: mode, owner, size, times — with POSIX permission rules — and metadata-only
 * copy-up: for an object still on a lower layer, mode/owner/time changes are overrides in the
 * store (no data copied, so chmod of a huge lower file is one row). Objects on the upper are
 * changed for real; owners only when the server is privileged, else as overrides too.
 */

import type { UnionContext } from './context.js';
import { chmodPath, lchownPath, lutimesPath } from './upper-fs.js';
import type { Attr, Caller, SetAttrs, TimeSet, Wcc } from './types.js';
import type { NodeRow } from './store.js';
import { nodeOf, backingPath } from './namespace.js';
import { getAttr, inGroup, permBits, wccOf, nowNs, timespecToNs, nsToTimespec } from './attrs.js';
import { modeAfterWrite, truncateRule } from './data.js';
import { commitAndApply } from './journal.js';
import { fail } from './errors.js';

function checkSetattrPermissions(attr: Attr, set: SetAttrs, caller: Caller): void {
  const root = caller.uid === 0;
  const owner = root || caller.uid === attr.uid;
  if (set.mode !== undefined && !owner) fail('EPERM', 'only the owner may change the mode');
  if (set.uid !== undefined && set.uid !== attr.uid && !root) fail('EPERM', 'only root may change the owner');
  if (set.gid !== undefined && set.gid !== attr.gid && !(root || (caller.uid === attr.uid && inGroup(caller, set.gid)))) {
    fail('EPERM', 'may not change the group');
  }
  if (set.size !== undefined) {
    if (attr.type === 'dir') fail('EISDIR');
    if (attr.type !== 'file') fail('EINVAL');
    if ((permBits(attr, caller) & 2) === 0) fail('EACCES');
  }
  for (const t of [set.atime, set.mtime]) {
    if (t === undefined) continue;
    if (t === 'server') {
      if (!owner && (permBits(attr, caller) & 2) === 0) fail('EACCES');
    } else if (!owner) {
      fail('EPERM', 'only the owner may set explicit times');
    }
  }
}

/** The mode after a change of owner: set-id bits drop, as chown(2) does on Linux. */
function modeAfterChown(attr: Attr, set: SetAttrs, mode: number): number {
  const changesOwner = (set.uid !== undefined && set.uid !== attr.uid) || (set.gid !== undefined && set.gid !== attr.gid);
  if (!changesOwner || attr.type === 'dir') return mode;
  const groupExec = (mode & 0o010) !== 0;
  return mode & ~0o4000 & ~(groupExec ? 0o2000 : 0);
}

function timeNs(t: TimeSet): bigint {
  return t === 'server' ? nowNs() : timespecToNs(t);
}

async function applyForReal(ctx: UnionContext, node: NodeRow, attr: Attr, set: SetAttrs, mode: number): Promise<Partial<NodeRow>> {
  const path = backingPath(ctx, node);
  const overrides: Partial<NodeRow> = {};
  const wantUid = set.uid ?? attr.uid;
  const wantGid = set.gid ?? attr.gid;
  if (set.uid !== undefined || set.gid !== undefined) {
    if (ctx.privileged) lchownPath(path, wantUid, wantGid);
    else Object.assign(overrides, { uid: wantUid, gid: wantGid });
  }
  if (node.kind !== 'symlink' && (set.mode !== undefined || mode !== attr.mode)) chmodPath(path, mode);
  if (set.atime !== undefined || set.mtime !== undefined) {
    const a = set.atime !== undefined ? timeNs(set.atime) : timespecToNs(attr.atime);
    const m = set.mtime !== undefined ? timeNs(set.mtime) : timespecToNs(attr.mtime);
    const toDate = (ns: bigint) => {
      const t = nsToTimespec(ns);
      return t.sec + t.nsec / 1e9;
    };
    lutimesPath(path, toDate(a), toDate(m));
  }
  if (node.kind !== 'symlink' && !ctx.async) await ctx.metadata.after(path);
  return overrides;
}

export async function setattrRule(ctx: UnionContext, id: bigint, set: SetAttrs, caller: Caller): Promise<Wcc> {
  const before = await getAttr(ctx, nodeOf(ctx, id));
  checkSetattrPermissions(before, set, caller);
  if (set.size !== undefined) await truncateRule(ctx, id, set.size);
  const node = nodeOf(ctx, id);
  // Only a truncate changed the object since `before` was read (copy-up, size, times).
  const attr = set.size !== undefined ? await getAttr(ctx, node) : before;
  let mode = set.mode !== undefined ? set.mode & 0o7777 : attr.mode;
  mode = modeAfterChown(attr, set, mode);
  // chmod by anyone but root cannot set set-group-ID for a group it is not in (Linux setattr_copy):
  // the server chmods as root, and any owner could otherwise make a setgid program of that group.
  if (set.mode !== undefined && caller.uid !== 0 && !inGroup(caller, set.gid ?? attr.gid)) mode &= ~0o2000;
  // A truncate is a write: it drops set-id bits as write does (data.ts), unless a mode is given.
  if (set.size !== undefined && set.mode === undefined) mode = modeAfterWrite(mode, caller);
  const metaChange =
    set.mode !== undefined || set.uid !== undefined || set.gid !== undefined || set.atime !== undefined || set.mtime !== undefined || mode !== attr.mode;
  let rowChange: Partial<NodeRow> = {};
  if (node.upper || node.indexed) {
    if (metaChange) rowChange = await applyForReal(ctx, node, attr, set, mode);
  } else if (metaChange) {
    // Metadata-only copy-up: the lower object stays where it is; the store holds the change.
    rowChange = {
      mode: node.kind === 'symlink' ? node.mode : mode,
      uid: set.uid ?? attr.uid,
      gid: set.gid ?? attr.gid,
      atime: set.atime !== undefined ? timeNs(set.atime) : node.atime,
      mtime: set.mtime !== undefined ? timeNs(set.mtime) : node.mtime,
      ctime: nowNs(),
    };
  }
  // The first SETATTR after an exclusive create ends the verifier's life (RFC 1813 3.3.8).
  if (Object.keys(rowChange).length > 0 || node.verifier !== null) {
    await commitAndApply(ctx, () => {
      ctx.store.putNode({ ...nodeOf(ctx, id), ...rowChange, verifier: null });
      return { renames: [] };
    });
  }
  ctx.upperAttrs.forget(id);
  return { before: wccOf(before), after: await getAttr(ctx, nodeOf(ctx, id)) };
}
