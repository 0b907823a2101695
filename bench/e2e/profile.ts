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
  children?: number[];
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
  /** The caller that accounts for most of this self time (native functions say little alone). */
  caller?: string;
  callers?: Map<string, number>;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: SelfTime[];
  files: SelfTime[];
}

function location(url: string, line: number): string {
  if (!url) return '(native)';
  // Our code is reported at its compiled line (dist/...js); sources maps lead back to the .ts.
  const root = `file://${repoRoot()}/`;
  const rel = url.startsWith(root) ? url.slice(root.length) : url.replace(/^file:\/\/.*\/node_modules\//, 'node_modules/');
  return line >= 0 ? `${rel}:${line + 1}` : rel;
}

export function summarize(path: string): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The nearest caller in fallthru's own code: "lstat (native) ← node:internal/fs" says little.
  const ours = `file://${repoRoot()}/dist/`;
  const ourCaller = (id: number): number | undefined => {
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      if (byId.get(up)?.callFrame.url.startsWith(ours)) return up;
    }
    return parent.get(id);
  };
  const frame = (id: number | undefined) => {
    const f = id === undefined ? undefined : byId.get(id)?.callFrame;
    return f ? `${f.functionName || '(anonymous)'} ${location(f.url, f.lineNumber)}` : '';
  };
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
    const f = fns.get(key) ?? { name, where, ms: 0, callers: new Map<string, number>() };
    f.ms += ms;
    const caller = frame(ourCaller(id));
    f.callers!.set(caller, (f.callers!.get(caller) ?? 0) + ms);
    fns.set(key, f);
    const file = url ? location(url, -1) : `(native) ${name}`;
    const g = files.get(file) ?? { name: file, where: '', ms: 0 };
    g.ms += ms;
    files.set(file, g);
  }
  const top = (m: Map<string, SelfTime>, n: number) => [...m.values()].sort((a, b) => b.ms - a.ms).slice(0, n);
  const functions = top(fns, 20);
  for (const f of functions) f.caller = [...f.callers!.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return { busyMs, idleMs, functions, files: top(files, 10) };
}

export function profileMarkdown(phase: string, label: string, s: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1)}%`;
  return [
    `### ${label} (\`${phase}\`)`,
    '',
    `Busy ${Math.round(s.busyMs)} ms, idle ${Math.round(s.idleMs)} ms (waiting for the network or the disk).`,
    '',
    '| Self ms | Share | Function | Where | Mostly from (nearest fallthru frame) |',
    '| ---: | ---: | --- | --- | --- |',
    ...s.functions.map((f) => `| ${Math.round(f.ms)} | ${pct(f.ms)} | \`${f.name}\` | ${f.where} | ${f.caller ?? ''} |`),
    '',
    '| Self ms | Share | File |',
    '| ---: | ---: | --- |',
    ...s.files.map((f) => `| ${Math.round(f.ms)} | ${pct(f.ms)} | ${f.name} |`),
  ].join('\n');
}
