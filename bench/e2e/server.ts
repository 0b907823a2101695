/**
 * What the harness needs from a server under test, whichever it is: where to reach it inside its
 * namespace, its PID (CPU time and peak RSS come from /proc/PID), and how to stop it.
 */

import type { LowerSet, RoundDirs } from './layers.js';
import type { Target } from './loadgen.js';
import type { Netns } from './netns.js';

export type ServerKind = 'fallthru' | 'ganesha';

export interface ServerUnderTest extends Target {
  kind: ServerKind;
  /** The process doing the NFS work. */
  pid: number;
  /** Why it is no longer running, or undefined while it is. */
  deadReason(): string | undefined;
  /** For a fallthru started with profiling on: profile the calls between start and stop. */
  profiler?: { start(): Promise<void>; stop(): Promise<string> };
  stop(): Promise<void>;
}

export interface StartParams {
  ns: Netns;
  layers: LowerSet;
  dirs: RoundDirs;
  /** Open-file limit, the same for both servers. */
  nofile: number;
  /** fallthru only: an async export (answers before changes are durable). */
  async?: boolean;
  /** fallthru only: allow per-phase CPU profiles, written into this directory. */
  profileDir?: string;
}

/** The NFS and MOUNT ports inside each namespace (the standard ones: the namespace is private). */
export const NFS_PORT = 2049;
export const MOUNT_PORT = 20048;
export const EXPORT_PATH = '/union';
