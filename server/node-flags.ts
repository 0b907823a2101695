/**
 * V8 flags that only take effect on node's command line (the young generation is sized when the
 * heap is made, before any of our code runs): the `fallthru` launcher's first line, `npm run
 * demo` and the benchmark's server process give them; a test checks that they agree.
 *
 * --max-semi-space-size=8: a server's per-call garbage (arguments, promises, a reply) dies within
 * its call, a millisecond or so, so a young generation of 2 x 8 MiB collects it as well as the
 * default 2 x 16 MiB; the difference is 16 MiB of RSS (peak 274 -> 257 MiB in a 100,000-file
 * run, server CPU within that run's noise).
 *
 * --no-allocation-site-pretenuring: V8 watches where objects are allocated and, when many from
 * one site survive a young collection, allocates that site's later objects straight in the old
 * generation. A pass of READDIRPLUS over 100,000 files (16 replies of 256 entries under
 * construction at once) made the listing's sites long-lived that way; every later listing then
 * filled the old generation with entries dead a millisecond later, each young collection scanned
 * their pointers into the young generation (5 ms instead of 0.3 ms), and a full collection ran
 * every ~130 ms: a 50,000-entry listing cost 2.5x the CPU it costs in a fresh server. Our
 * long-lived data sit in packed typed arrays, so the heuristic has little to win here. Measured
 * (100,000 files, two alternating runs each): READDIRPLUS CPU -55%, 50,000-entry listings
 * -50% / -70%, the rest equal or better within the noise, same peak RSS.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--no-allocation-site-pretenuring'];
