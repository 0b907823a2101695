/** The e2e suite's Markdown: the side-by-side table, peak RSS, growth and the merged listing. */

import { costUnit, type PhaseSpec } from './phases.js';
import type { RoundResult } from './round.js';
import type { ServerKind } from './server.js';
import { growthExponent, peakRss, type PhaseStats, type ServerPhaseStats, type Spread } from './stats.js';

export function num(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

const ratio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '–');
const range = (s: Spread | undefined) => (s && Number.isFinite(s.median) ? `${num(s.min)}–${num(s.max)}` : '–');
const unitOf = (spec: PhaseSpec) => (spec.unit === 'bytes' ? 'MB/s' : `${spec.opName}/s`);
const mib = (bytes: number) => (Number.isFinite(bytes) ? `${Math.round(bytes / 2 ** 20)} MiB` : '–');

function checks(st: PhaseStats): string {
  const kinds = ['fallthru', 'ganesha'] as const;
  const bad = kinds.filter((k) => st.by[k] && !st.by[k]!.correct);
  const late = kinds.filter((k) => st.by[k]?.timedOut).map((k) => `${k} timed out in ${st.by[k]!.timedOut} round(s) (> ${st.by[k]!.timeoutSeconds} s)`);
  if (!kinds.some((k) => st.by[k])) return 'not run';
  return [...(bad.length ? [`**WRONG: ${bad.join(', ')}**`] : []), ...late].join('; ') || 'ok';
}

/** A median rate, or "timeout" when no round finished. */
function rateCell(s: ServerPhaseStats | undefined): string {
  if (s && s.timedOut === s.rounds) return `timeout (> ${s.timeoutSeconds} s)`;
  return num(s?.rate.median ?? NaN);
}

/** Median peak RSS of a phase in MiB, without the unit (the header has it). */
const rssCell = (s: ServerPhaseStats | undefined) => (s && Number.isFinite(s.rss.median) ? String(Math.round(s.rss.median / 2 ** 20)) : '–');

/** One row per phase: throughput and CPU per op of each server, ratios, spreads, correctness. */
export function phaseTable(stats: PhaseStats[]): string {
  const lines = [
    '| Phase | Unit | fallthru | ganesha | speed f/g | fallthru CPU | ganesha CPU | CPU unit | CPU f/g | fallthru spread | ganesha spread | peak MiB f / g | Checks |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const st of stats) {
    const f = st.by.fallthru;
    const g = st.by.ganesha;
    lines.push(
      `| ${st.spec.label} | ${unitOf(st.spec)} | ${rateCell(f)} | ${rateCell(g)} | ${ratio(st.speedRatio)} | ` +
        `${num(f?.cost.median ?? NaN)} | ${num(g?.cost.median ?? NaN)} | ${costUnit(st.spec)} | ${ratio(st.costRatio)} | ` +
        `${range(f?.rate)} | ${range(g?.rate)} | ${rssCell(f)} / ${rssCell(g)} | ${checks(st)} |`,
    );
  }
  return lines.join('\n');
}

export function problems(stats: PhaseStats[]): string[] {
  return stats.flatMap((st) =>
    (['fallthru', 'ganesha'] as const).flatMap((k) => (st.by[k]?.problems ?? []).map((p) => `${k} ${st.spec.key}: ${p}`)),
  );
}

export function rssLine(rounds: RoundResult[], servers: ServerKind[], what = 'Peak RSS'): string {
  const parts = servers.map((k) => {
    const rss = peakRss(rounds, k);
    const cpu = rounds.filter((r) => r.kind === k).map((r) => r.totalCpu);
    return `${k} ${mib(rss.median)} (${mib(rss.min)}–${mib(rss.max)}), server CPU per round ${cpu.map((c) => c.toFixed(1)).join(' / ')} s`;
  });
  return `${what} (median, min–max over rounds): ${parts.join('; ')}.`;
}

export interface GrowthPoint {
  size: number;
  stats: PhaseStats[];
}

/** Per size: throughput and CPU µs per op of each server; then the slope of CPU per op. */
export function growthTable(points: GrowthPoint[], servers: ServerKind[]): string {
  if (!points.length) return '';
  const keys = points[0].stats.map((s) => s.spec);
  const head = keys.flatMap((k) => [`${k.label} ${unitOf(k)}`, `${k.label} CPU µs/op`]);
  const lines = [`| Files | Server | ${head.join(' | ')} |`, `| ---: | --- | ${head.map(() => '---:').join(' | ')} |`];
  for (const p of points) {
    for (const kind of servers) {
      const cells = p.stats.flatMap((st) => {
        const s = st.by[kind];
        return [num(s?.rate.median ?? NaN), num(s ? s.cost.median * 1000 : NaN)];
      });
      lines.push(`| ${p.size.toLocaleString('en-US')} | ${kind} | ${cells.join(' | ')} |`);
    }
  }
  const slope = keys.map((k) => `${k.label} CPU/op`);
  lines.push('', `| Cost growth per 10× files (10^slope; 1.00× = flat) | ${slope.join(' | ')} |`, `| --- | ${slope.map(() => '---:').join(' | ')} |`);
  for (const kind of servers) {
    const cells = keys.map((k) => {
      const b = growthExponent(points.map((p) => ({ size: p.size, cost: p.stats.find((s) => s.spec.key === k.key)?.by[kind]?.cost.median ?? NaN })));
      return Number.isFinite(b) ? `${Math.pow(10, b).toFixed(2)}× (slope ${b.toFixed(3)})` : '–';
    });
    lines.push(`| ${kind} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function problemsSection(all: string[]): string {
  if (!all.length) return 'Every phase of every round answered correctly (no NFS errors, every check passed).';
  return ['**Wrong answers** (these rows are not valid results):', '', ...all.slice(0, 30).map((p) => `- ${p}`)].join('\n');
}
