/**
 * Summaries of V8 .cpuprofile files (from fallthru-entry's per-phase profiler): the functions
 * with the most self time, and the files they live in, so whoever optimizes a phase starts from
 * where its time goes. Idle time (the event loop waiting for the network) is left out of the
 * percentages and stated separately.
 */

import { readFileSync } from 'node:fs';
import { repoRoot } from './paths.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: SelfTime[];
  files: SelfTime[];
}

function location(url: string, line: number): string {
  if (!url) return '';
  const root = `file://${repoRoot()}/`;
  const rel = url.startsWith(root) ? url.slice(root.length).replace(/^dist\//, '') : url.replace(/^file:\/\/.*\/node_modules\//, 'node_modules/');
  return line >= 0 ? `${rel}:${line + 1}` : rel;
}

export function summarize(path: string): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; charge it to the sampled node.
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const fns = new Map<string, SelfTime>();
  const files = new Map<string, SelfTime>();
  let idleMs = 0;
  let busyMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const name = functionName || '(anonymous)';
    const where = location(url, lineNumber);
    const key = `${name} ${where}`;
    const f = fns.get(key) ?? { name, where, ms: 0 };
    f.ms += ms;
    fns.set(key, f);
    const file = location(url, -1) || name;
    const g = files.get(file) ?? { name: file, where: '', ms: 0 };
    g.ms += ms;
    files.set(file, g);
  }
  const top = (m: Map<string, SelfTime>, n: number) => [...m.values()].sort((a, b) => b.ms - a.ms).slice(0, n);
  return { busyMs, idleMs, functions: top(fns, 20), files: top(files, 10) };
}

export function profileMarkdown(phase: string, label: string, s: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1)}%`;
  return [
    `### ${label} (\`${phase}\`)`,
    '',
    `Busy ${Math.round(s.busyMs)} ms, idle ${Math.round(s.idleMs)} ms (waiting for the network or the disk).`,
    '',
    '| Self ms | Share | Function | Where |',
    '| ---: | ---: | --- | --- |',
    ...s.functions.map((f) => `| ${Math.round(f.ms)} | ${pct(f.ms)} | \`${f.name}\` | ${f.where} |`),
    '',
    '| Self ms | Share | File |',
    '| ---: | ---: | --- |',
    ...s.files.map((f) => `| ${Math.round(f.ms)} | ${pct(f.ms)} | ${f.name} |`),
  ].join('\n');
}
