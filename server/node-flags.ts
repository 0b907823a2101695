/**
 * V8 flags that only take effect on node's command line (the young generation is sized when the
 * heap is made, before any of our code runs): the `fallthru` launcher's first line, `npm run
 * demo` and the benchmark's server process give them; a test checks that they agree.
 *
 * --max-semi-space-size=8: a server's per-call garbage (arguments, promises, a reply) dies within
 * its call, a millisecond or so, so a young generation of 2 x 8 MiB collects it as well as the
 * default 2 x 16 MiB; the difference is 16 MiB of RSS (peak 274 -> 257 MiB in a 100,000-file
 * run, server CPU within that run's noise).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
