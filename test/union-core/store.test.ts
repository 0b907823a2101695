/**
 * The metadata store's transactions: each is atomic on its own inside the open batch (a throw
 * undoes exactly its own writes, nested ones included), and what a batch committed survives a
 * reopen once durable() resolved.
 */

import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore, blankNode } from '../../union-core/store.js';

function freshStore(t: Test): { store: MetadataStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fallthru-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'meta.sqlite');
  return { store: new MetadataStore(path), path };
}

const entry = (name: string, id: bigint) => ({ dir: 1n, name, id, cookie: id });

t.test('a throwing transaction undoes its own writes and only those', async (t) => {
  const { store } = freshStore(t);
  store.transaction(() => store.putEntry(entry('kept', 10n)));
  t.throws(() =>
    store.transaction(() => {
      store.putEntry(entry('undone', 11n));
      throw new Error('refused');
    }),
  );
  t.ok(store.getEntry(1n, 'kept'), 'the earlier transaction of the same batch stays');
  t.notOk(store.getEntry(1n, 'undone'), 'the refused one left nothing');
  store.transaction(() => store.putEntry(entry('after', 12n)));
  t.ok(store.getEntry(1n, 'after'), 'later transactions of the batch still work');
  await store.durable();
  store.close();
});

t.test('nested transactions: a caught inner failure keeps the outer writes', async (t) => {
  const { store } = freshStore(t);
  const outcome = store.transaction(() => {
    store.putEntry(entry('outer', 20n));
    try {
      store.transaction(() => {
        store.putEntry(entry('inner', 21n));
        throw new Error('inner refused');
      });
    } catch {
      // the outer goes on
    }
    store.transaction(() => store.putEntry(entry('inner-ok', 22n)));
    return 'done';
  });
  t.equal(outcome, 'done', 'the result comes back');
  t.ok(store.getEntry(1n, 'outer'));
  t.notOk(store.getEntry(1n, 'inner'));
  t.ok(store.getEntry(1n, 'inner-ok'));
  t.throws(() =>
    store.transaction(() => {
      store.putEntry(entry('outer2', 23n));
      store.transaction(() => store.putEntry(entry('inner2', 24n)));
      throw new Error('outer refused');
    }),
  );
  t.notOk(store.getEntry(1n, 'outer2'), 'an outer failure undoes the outer writes');
  t.notOk(store.getEntry(1n, 'inner2'), 'and the inner ones it released');
  await store.durable();
  store.close();
});

t.test('a refused transaction leaves no cached row behind', async (t) => {
  const { store } = freshStore(t);
  store.transaction(() => store.putNode({ ...blankNode(5n, 'file'), mode: 0o600 }));
  t.throws(() =>
    store.transaction(() => {
      store.putNode({ ...blankNode(5n, 'file'), mode: 0o777 });
      throw new Error('refused');
    }),
  );
  t.equal(store.getNode(5n)?.mode, 0o600, 'the node reads as before the refused write');
  await store.durable();
  store.close();
});

t.test('what durable() covered is there after a reopen', async (t) => {
  const { store, path } = freshStore(t);
  store.transaction(() => {
    store.putNode({ ...blankNode(7n, 'dir'), upper: true, complete: true });
    store.putEntry(entry('a', 8n));
  });
  await store.durable();
  store.close();
  const again = new MetadataStore(path);
  t.equal(again.getNode(7n)?.kind, 'dir');
  t.equal(again.getEntry(1n, 'a')?.id, 8n);
  again.close();
});

t.test('node rows read back exactly, wide integers included', async (t) => {
  const { store, path } = freshStore(t);
  const plain = { ...blankNode(20n, 'file'), layer: 1, nlink: 3, mode: 0o640, uid: 1000, gid: 100, rdev: 0x800001 };
  // Nanosecond times and a big cookie counter do not fit a double: they must not be rounded.
  const wide = {
    ...blankNode(21n, 'dir'), upper: true, complete: true, opaque: true, redirect: 'a/b', nextCookie: 2n ** 60n + 1n,
    indexed: false, atime: 1_700_000_000_123_456_789n, mtime: 1_700_000_001_000_000_001n, ctime: 3n, verifier: Buffer.from('12345678'),
  };
  const indexed = { ...blankNode(22n, 'file'), upper: true, indexed: true, nlink: 2 };
  // Rows without overrides are read in their short form (NODE_COMMON).
  const bare = { ...blankNode(23n, 'file'), layer: 2 };
  const bareDir = { ...blankNode(24n, 'dir'), upper: true, complete: true, opaque: true, layer: 0, nextCookie: 12_345n };
  const bareIndexed = { ...blankNode(25n, 'file'), upper: true, indexed: true };
  const bigCookie = { ...blankNode(26n, 'dir'), upper: true, nextCookie: 2n ** 53n + 1n };
  const rows = [plain, wide, indexed, bare, bareDir, bareIndexed, bigCookie];
  store.transaction(() => rows.forEach((n) => store.putNode(n)));
  await store.durable();
  store.close();
  const again = new MetadataStore(path);
  for (const n of rows) t.strictSame(again.getNode(n.id), n, `node ${n.id}`);
  t.strictSame(again.allNodes().filter((n) => n.id >= 20n), rows, 'allNodes agrees');
  t.equal(again.getNode(99n), undefined);
  again.close();
});

t.test('markOpened records when the store was opened', async (t) => {
  const { store, path } = freshStore(t);
  store.markOpened();
  const opened = store.getMeta('opened');
  t.ok(opened && !Number.isNaN(Date.parse(opened)), 'an ISO time');
  store.close();
  const again = new MetadataStore(path);
  t.equal(again.getMeta('opened'), opened, 'kept across a reopen');
  again.close();
});
