/**
 * lstat of many paths at once, on a worker thread. A listing of entries whose attributes are not
 * remembered (a tree of a million files, beyond the caches) spent a third of the event loop in
 * lstat, one at a time: each is a few microseconds of system call on the main thread, and the
 * thread pool's hand-off costs more than the lstat itself. A worker takes a whole page of paths
 * in one message, answers with one typed array, and stats while the event loop encodes other
 * replies.
 */

import { Worker } from 'node:worker_threads';
import type { StatCore } from './attrs.js';

/**
 * Per path: a status (1: stat'ed), then ino, mode, nlink, uid, gid, rdev, size, blocks, atimeNs,
 * mtimeNs, ctimeNs. The array is signed (times before 1970 are negative); ino, rdev, size and
 * blocks are read back unsigned.
 */
const WIDTH = 12;
const STATUS_STAT = 1n;

// CommonJS, run with eval: the worker needs no file of its own next to the compiled one.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { lstatSync } = require('node:fs');
parentPort.on('message', ({ id, paths }) => {
  const out = new BigInt64Array(paths.length * ${WIDTH});
  for (let i = 0; i < paths.length; i++) {
    let st;
    try {
      st = lstatSync(paths[i], { bigint: true, throwIfNoEntry: false });
    } catch {
      continue;
    }
    if (st === undefined) continue;
    const o = i * ${WIDTH};
    out[o] = ${STATUS_STAT}n;
    out[o + 1] = BigInt.asIntN(64, st.ino);
    out[o + 2] = st.mode;
    out[o + 3] = st.nlink;
    out[o + 4] = st.uid;
    out[o + 5] = st.gid;
    out[o + 6] = BigInt.asIntN(64, st.rdev);
    out[o + 7] = BigInt.asIntN(64, st.size);
    out[o + 8] = BigInt.asIntN(64, st.blocks);
    out[o + 9] = st.atimeNs;
    out[o + 10] = st.mtimeNs;
    out[o + 11] = st.ctimeNs;
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

interface Waiting {
  resolve: (out: BigInt64Array) => void;
  reject: (e: unknown) => void;
}

let worker: Worker | null = null;
const waiting = new Map<number, Waiting>();
let nextId = 0;

function startWorker(): Worker {
  // A small heap: it holds one page's stats at a time (V8's defaults cost ~20 MiB of RSS).
  const w = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
  w.on('message', ({ id, out }: { id: number; out: BigInt64Array }) => {
    const wait = waiting.get(id);
    waiting.delete(id);
    if (waiting.size === 0) w.unref();
    wait?.resolve(out);
  });
  const fail = (e: unknown) => {
    if (worker === w) worker = null;
    for (const wait of waiting.values()) wait.reject(e);
    waiting.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`stat thread exited (${code})`)));
  // Alive only while it has work: an idle thread never keeps a process from exiting (unref after
  // the listeners: adding them refs it again).
  w.unref();
  return w;
}

/** A 64-bit field stored signed, read back unsigned (a BigInt read costs one allocation, asUintN another). */
function unsigned(v: bigint): bigint {
  return v < 0n ? BigInt.asUintN(64, v) : v;
}

/**
 * lstat of each path: its StatCore, or undefined where the lstat found nothing or failed (the
 * caller takes its usual path for those, which reports the failure).
 */
export async function lstatMany(paths: readonly string[]): Promise<(StatCore | undefined)[]> {
  worker ??= startWorker();
  const id = nextId++;
  const out = await new Promise<BigInt64Array>((resolve, reject) => {
    if (waiting.size === 0) worker!.ref();
    waiting.set(id, { resolve, reject });
    worker!.postMessage({ id, paths });
  });
  const stats = new Array<StatCore | undefined>(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const o = i * WIDTH;
    if (out[o] !== STATUS_STAT) continue;
    stats[i] = {
      ino: unsigned(out[o + 1]),
      mode: out[o + 2],
      nlink: out[o + 3],
      uid: out[o + 4],
      gid: out[o + 5],
      rdev: unsigned(out[o + 6]),
      size: unsigned(out[o + 7]),
      blocks: unsigned(out[o + 8]),
      atimeNs: out[o + 9],
      mtimeNs: out[o + 10],
      ctimeNs: out[o + 11],
    };
  }
  return stats;
}
