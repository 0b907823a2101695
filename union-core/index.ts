/**
 * union-core: the writable-overlay engine. Table of contents:
 *   union.ts      Union.open and the operations (UnionFs)       types.ts    the public contract
 *   lookup.ts     lookup rule                                   readdir.ts  fallthrus and cookies
 *   copy-up.ts    copy-up rule (data, dirs, hard-link index)    whiteout.ts unlink/rmdir rule
 *   create.ts     create/mkdir/symlink/mknod/link               rename.ts   rename rule (redirects)
 *   setattr.ts    setattr + metadata-only copy-up              data.ts     read/write/commit
 *   journal.ts    crash-safe namespace changes (redo journal)   check.ts    consistency check
 *   store.ts      metadata store (SQLite)                       identity.ts stable fileids
 *   namespace.ts  paths, lower directories                      layers.ts   layer validation
 *   lower-links.ts link counts of lower hard links (index)
 */
export { Union } from './union.js';
export { BoundedMap, OBJECT_CACHE_MAX } from './bounded-map.js';
export { PackedCache } from './packed-cache.js';
export * from './types.js';
