/**
 * The NFSv3 and MOUNT procedure tables: every number has a codec named after the RFC procedure,
 * the mutating / non-idempotent flags match RFC 1813 semantics, and procedureDef joins a codec with
 * a handler into what the RPC dispatcher expects.
 */

import t from 'tap';
import { XdrReader, XdrWriter } from '../../protocol/xdr/index.js';
import { NFS3_PROCEDURES, NFS3_PROCEDURE_NUMBERS, Nfs3Proc, Nfsstat3, procedureDef } from '../../protocol/nfs3/index.js';
import { MOUNT1_PROCEDURES, MOUNT3_PROCEDURES, MountProc } from '../../protocol/mount3/index.js';
import type { CallContext } from '../../protocol/rpc/types.js';
import { AuthFlavor } from '../../protocol/rpc/types.js';

const NAMES = [
  'NULL', 'GETATTR', 'SETATTR', 'LOOKUP', 'ACCESS', 'READLINK', 'READ', 'WRITE', 'CREATE', 'MKDIR', 'SYMLINK',
  'MKNOD', 'REMOVE', 'RMDIR', 'RENAME', 'LINK', 'READDIR', 'READDIRPLUS', 'FSSTAT', 'FSINFO', 'PATHCONF', 'COMMIT',
];

t.test('NFSv3 table: 22 procedures with their RFC names and flags', async (t) => {
  t.same(NFS3_PROCEDURE_NUMBERS.map((p) => NFS3_PROCEDURES[p].name), NAMES);
  const mutating = NFS3_PROCEDURE_NUMBERS.filter((p) => NFS3_PROCEDURES[p].mutates).map((p) => NFS3_PROCEDURES[p].name);
  t.same(mutating, ['SETATTR', 'WRITE', 'CREATE', 'MKDIR', 'SYMLINK', 'MKNOD', 'REMOVE', 'RMDIR', 'RENAME', 'LINK']);
  const cached = NFS3_PROCEDURE_NUMBERS.filter((p) => NFS3_PROCEDURES[p].cacheReply).map((p) => NFS3_PROCEDURES[p].name);
  t.same(cached, mutating, 'exactly the non-idempotent procedures go through the reply cache');
});

t.test('MOUNT tables: v3 and v1 share everything but MNT', async (t) => {
  for (const p of [MountProc.NULL, MountProc.DUMP, MountProc.UMNT, MountProc.UMNTALL, MountProc.EXPORT]) {
    t.equal(MOUNT1_PROCEDURES[p], MOUNT3_PROCEDURES[p], `procedure ${p} is shared`);
  }
  t.not(MOUNT1_PROCEDURES[MountProc.MNT].encodeRes, MOUNT3_PROCEDURES[MountProc.MNT].encodeRes);
  t.ok(MOUNT3_PROCEDURES[MountProc.MNT].cacheReply, 'MNT changes the mount list');
  t.notOk(MOUNT3_PROCEDURES[MountProc.MNT].mutates, 'but not the exported file system');
});

t.test('procedureDef joins a codec and a handler', async (t) => {
  const codec = NFS3_PROCEDURES[Nfs3Proc.GETATTR];
  const def = procedureDef(codec, (args) => ({ status: Nfsstat3.NFS3ERR_STALE as const, seen: args.object.length }));
  t.equal(def.name, 'GETATTR');
  t.equal(def.decode, codec.decodeArgs);
  t.equal(def.encode, codec.encodeRes);
  t.equal(def.mutates, false);
  const w = new XdrWriter();
  codec.encodeArgs(w, { object: Buffer.from([9, 9, 9]) });
  const ctx: CallContext = {
    xid: 1, program: 100003, version: 3, procedure: 1, cred: { flavor: AuthFlavor.AUTH_NONE },
    transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 800, localPort: 2049,
  };
  const res = await def.handle(def.decode(new XdrReader(w.toBuffer())), ctx);
  t.same(res, { status: Nfsstat3.NFS3ERR_STALE, seen: 3 });
  const out = new XdrWriter();
  def.encode(out, res);
  t.same([...out.toBuffer()], [0, 0, 0x00, 70], 'the failure arm of GETATTR is the status alone');
});
