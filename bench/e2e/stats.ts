/**
 * Summaries of rounds: per phase and server the median and spread of throughput and CPU cost,
 * the fallthru/ganesha ratios, and whether every round answered correctly. Also the growth slope.
 */

import { correct, cpuCost, rate, type PhaseSample, type PhaseSpec } from './phases.js';
import type { RoundResult } from './round.js';
import type { ServerKind } from './server.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return { median: NaN, min: NaN, max: NaN };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

export interface ServerPhaseStats {
  rate: Spread;
  cost: Spread;
  /** Peak RSS during the phase, bytes. */
  rss: Spread;
  rounds: number;
  /** Rounds in which the phase did not finish within its limit (excluded from the spreads). */
  timedOut: number;
  /** The longest limit that ran out, seconds. */
  timeoutSeconds: number;
  correct: boolean;
  /** Failed checks and first messages of wrong rounds. */
  problems: string[];
}

export interface PhaseStats {
  spec: PhaseSpec;
  by: Partial<Record<ServerKind, ServerPhaseStats>>;
  /** fallthru / ganesha median throughput (above 1: fallthru faster). */
  speedRatio: number;
  /** fallthru / ganesha median CPU per op (below 1: fallthru cheaper). */
  costRatio: number;
}

export function phaseStats(plan: PhaseSpec[], rounds: RoundResult[]): PhaseStats[] {
  return plan.map((spec) => {
    const by: PhaseStats['by'] = {};
    for (const kind of ['fallthru', 'ganesha'] as const) {
      const samples = rounds
        .filter((r) => r.kind === kind)
        .map((r) => r.samples.find((s) => s.key === spec.key))
        .filter((s): s is PhaseSample => s !== undefined);
      if (!samples.length) continue;
      const wrong = samples.filter((s) => !correct(s));
      const done = samples.filter((s) => !s.timedOut);
      const late = samples.filter((s) => s.timedOut);
      by[kind] = {
        rate: spread(done.map((s) => rate(spec, s))),
        cost: spread(done.map((s) => cpuCost(spec, s))),
        rss: spread(samples.map((s) => s.peakRss ?? NaN)),
        rounds: samples.length,
        timedOut: late.length,
        timeoutSeconds: Math.max(0, ...late.map((s) => s.seconds)),
        correct: wrong.length === 0,
        problems: wrong.flatMap((s) => [
          ...(s.errors ? [`${s.errors} NFS errors`] : []),
          ...s.failed.map((f) => `check failed: ${f}`),
          ...s.messages.slice(0, 2),
        ]),
      };
    }
    const f = by.fallthru;
    const g = by.ganesha;
    return {
      spec,
      by,
      speedRatio: f && g ? f.rate.median / g.rate.median : NaN,
      costRatio: f && g ? f.cost.median / g.cost.median : NaN,
    };
  });
}

export function peakRss(rounds: RoundResult[], kind: ServerKind): Spread {
  return spread(rounds.filter((r) => r.kind === kind).map((r) => r.peakRss));
}

/**
 * Growth exponent b of cost ∝ size^b (least squares on log-log points): 0 is flat, 1 is linear
 * in the tree size. Reported as the factor 10^b by which cost per op grows per 10x more files.
 */
export function growthExponent(points: Array<{ size: number; cost: number }>): number {
  const p = points.filter((x) => x.size > 0 && x.cost > 0 && Number.isFinite(x.cost));
  if (p.length < 2) return NaN;
  const xs = p.map((x) => Math.log10(x.size));
  const ys = p.map((x) => Math.log10(x.cost));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : NaN;
}
