/**
 * One round for one server: a fresh namespace, fresh upper/work, a fresh server, the load
 * generator mounting it, then every phase of the plan with the server's CPU time read around
 * each. Everything started is stopped and removed on the way out, whatever failed.
 */

import { startFallthru } from './fallthru.js';
import { startGanesha } from './ganesha.js';
import { removeTree, roundDirs, type LowerSet } from './layers.js';
import { LoadgenSession, PhaseTimeout, probe, type PhaseResult } from './loadgen.js';
import { Netns } from './netns.js';
import { sampleOf, timedOutSample, type PhaseSample, type PhaseSpec } from './phases.js';
import { cpuSeconds, peakRssBytes, resetPeakRss } from './proc.js';
import type { ServerKind, ServerUnderTest, StartParams } from './server.js';

export interface RoundOptions {
  loadgen: string;
  scratch: string;
  inflight: number;
  nofile: number;
  /** fallthru: an async export. */
  async: boolean;
  /** Profile these phase keys (fallthru only) into profileDir. */
  profile?: { dir: string; phases: string[] };
  /** Progress lines (to stderr). */
  log: (line: string) => void;
}

export interface RoundResult {
  kind: ServerKind;
  samples: PhaseSample[];
  /** Peak resident set size of the server over the round, bytes. */
  peakRss: number;
  /** Server CPU seconds from ready to the end of the last phase. */
  totalCpu: number;
  /** Phase key → .cpuprofile path. */
  profiles: Record<string, string>;
}

const starters: Record<ServerKind, (p: StartParams) => Promise<ServerUnderTest>> = {
  fallthru: startFallthru,
  ganesha: startGanesha,
};

export async function runRound(kind: ServerKind, label: string, layers: LowerSet, plan: PhaseSpec[], o: RoundOptions): Promise<RoundResult> {
  const ns = await Netns.create(label);
  const dirs = roundDirs(o.scratch, label);
  try {
    const profileDir = kind === 'fallthru' && o.profile ? o.profile.dir : undefined;
    const server = await starters[kind]({ ns, layers, dirs, nofile: o.nofile, async: o.async, profileDir });
    try {
      await probe(ns, o.loadgen, server, 60_000, () => server.deadReason());
      const cpu0 = cpuSeconds(server.pid);
      let peakRss = peakRssBytes(server.pid);
      const session = await LoadgenSession.open(ns, o.loadgen, server, { inflight: o.inflight, lowerNames: layers.rootNames });
      const samples: PhaseSample[] = [];
      const profiles: Record<string, string> = {};
      try {
        for (const spec of plan) {
          const profiled = server.profiler && o.profile?.phases.includes(spec.key);
          if (profiled) await server.profiler!.start();
          const before = cpuSeconds(server.pid);
          resetPeakRss(server.pid);
          let result: PhaseResult;
          try {
            result = await session.command(spec.command, spec.timeoutMs);
          } catch (e) {
            if (e instanceof PhaseTimeout && !server.deadReason()) {
              // Too slow is a result, not a harness failure: record it and end this round.
              samples.push(timedOutSample(spec, e.seconds, cpuSeconds(server.pid) - before, e.message));
              o.log(`  ${label} ${spec.key}: TIMED OUT after ${e.seconds} s; rest of the round skipped`);
              break;
            }
            throw new Error(`${label} ${spec.key}: ${server.deadReason() ?? (e instanceof Error ? e.message : String(e))}`);
          }
          const sample = { ...sampleOf(spec, result, cpuSeconds(server.pid) - before), peakRss: peakRssBytes(server.pid) };
          peakRss = Math.max(peakRss, sample.peakRss);
          if (profiled) profiles[spec.key] = await server.profiler!.stop();
          samples.push(sample);
          o.log(`  ${label} ${spec.key}: ${describe(spec, sample)}`);
        }
      } finally {
        await session.close();
      }
      return { kind, samples, peakRss: Math.max(peakRss, peakRssBytes(server.pid)), totalCpu: cpuSeconds(server.pid) - cpu0, profiles };
    } finally {
      await server.stop();
    }
  } finally {
    await ns.close();
    await removeTree(dirs.root);
  }
}

function describe(spec: PhaseSpec, s: PhaseSample): string {
  const r = spec.unit === 'bytes' ? `${(s.bytes / s.seconds / 1e6).toFixed(0)} MB/s` : `${Math.round(s.ops / s.seconds)} ${spec.opName}/s`;
  const bad = s.errors || s.failed.length ? `  WRONG: ${s.errors} errors, failed ${s.failed.join(', ') || '-'}: ${s.messages[0] ?? ''}` : '';
  return `${r}, server CPU ${s.cpu.toFixed(2)} s${bad}`;
}
