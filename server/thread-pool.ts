/**
 * Size of libuv's thread pool, set before anything uses it (import this module first). The pool
 * runs the calls that wait for the disk — fsyncs, new inodes, file data, cold lower lookups — and
 * libuv's default of 4 threads let four such waits hold up every other one: with a client's 16
 * calls in flight, creations queued behind fsyncs. An explicit UV_THREADPOOL_SIZE wins.
 */

export const DEFAULT_THREAD_POOL_SIZE = 16;

process.env.UV_THREADPOOL_SIZE ??= String(DEFAULT_THREAD_POOL_SIZE);
