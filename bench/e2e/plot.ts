/**
 * bench/results/e2e.svg, written by hand (no plotting dependency): per phase, fallthru's speed
 * and its CPU per op relative to ganesha on a log scale (1× = the same), with each server's round
 * spread folded into the ratio's whisker; and, when growth ran, CPU per op against tree size.
 */

import { num, type GrowthPoint } from './report.js';
import type { ServerKind } from './server.js';
import type { PhaseStats } from './stats.js';

const W = 900;
const ROW = 22;
const LEFT = 250;
const RIGHT = 60;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function ratioPanel(title: string, stats: PhaseStats[], y0: number, pick: (st: PhaseStats) => [number, number, number], better: 'higher' | 'lower'): [string, number] {
  const out: string[] = [`<text x="10" y="${y0 + 16}" font-weight="bold">${esc(title)}</text>`];
  // A log2 axis wide enough for every ratio and whisker (at least 1/4×–4×, at most 1/64×–64×).
  const values = stats.flatMap(pick).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.max(-6, Math.min(-2, Math.floor(Math.log2(Math.min(...values, 1)))));
  const hi = Math.min(6, Math.max(2, Math.ceil(Math.log2(Math.max(...values, 1)))));
  const xOf = (r: number) => LEFT + ((Math.min(hi, Math.max(lo, Math.log2(r))) - lo) / (hi - lo)) * (W - LEFT - RIGHT);
  let y = y0 + 30;
  for (let e = lo; e <= hi; e++) {
    const tick = 2 ** e;
    const x = xOf(tick);
    out.push(`<line x1="${x}" y1="${y}" x2="${x}" y2="${y + stats.length * ROW}" stroke="${tick === 1 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${x}" y="${y + stats.length * ROW + 14}" text-anchor="middle" font-size="11">${e >= 0 ? tick : `1/${2 ** -e}`}×</text>`);
  }
  for (const st of stats) {
    const [mid, wlo, whi] = pick(st);
    out.push(`<text x="${LEFT - 8}" y="${y + 15}" text-anchor="end" font-size="12">${esc(st.spec.label)}</text>`);
    if (Number.isFinite(mid)) {
      const good = better === 'higher' ? mid >= 1 : mid <= 1;
      const x1 = xOf(Math.min(1, mid));
      const x2 = xOf(Math.max(1, mid));
      out.push(`<rect x="${x1}" y="${y + 4}" width="${Math.max(1, x2 - x1)}" height="${ROW - 8}" fill="${good ? '#4a9' : '#d65'}"/>`);
      if (Number.isFinite(wlo) && Number.isFinite(whi)) {
        out.push(`<line x1="${xOf(wlo)}" y1="${y + ROW / 2}" x2="${xOf(whi)}" y2="${y + ROW / 2}" stroke="#333"/>`);
      }
      out.push(`<text x="${W - RIGHT + 6}" y="${y + 15}" font-size="11">${mid.toFixed(2)}×</text>`);
    } else {
      out.push(`<text x="${LEFT + 6}" y="${y + 15}" font-size="11" fill="#888">no reference</text>`);
    }
    y += ROW;
  }
  return [out.join('\n'), y + 30];
}

function growthPanel(points: GrowthPoint[], servers: ServerKind[], y0: number): [string, number] {
  const H = 220;
  const out: string[] = [`<text x="10" y="${y0 + 16}" font-weight="bold">Server CPU µs per op against files in the tree (log-log; flat = scales)</text>`];
  const series: Array<{ name: string; pts: Array<[number, number]> }> = [];
  for (const kind of servers) {
    for (const key of points[0]?.stats.map((s) => s.spec.key) ?? []) {
      const pts = points
        .map((p) => [p.size, (p.stats.find((s) => s.spec.key === key)?.by[kind]?.cost.median ?? NaN) * 1000] as [number, number])
        .filter(([, c]) => Number.isFinite(c) && c > 0);
      if (pts.length) series.push({ name: `${kind} ${key}`, pts });
    }
  }
  const all = series.flatMap((s) => s.pts);
  if (all.length < 2) return ['', y0];
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [c0, c1] = [Math.min(...all.map((p) => p[1])) / 2, Math.max(...all.map((p) => p[1])) * 2];
  const top = y0 + 30;
  const px = (s: number) => LEFT + (x1 === x0 ? 0 : ((Math.log10(s) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (W - LEFT - 200));
  const py = (c: number) => top + H - ((Math.log10(c) - Math.log10(c0)) / (Math.log10(c1) - Math.log10(c0))) * H;
  out.push(`<rect x="${LEFT}" y="${top}" width="${W - LEFT - 200}" height="${H}" fill="none" stroke="#ccc"/>`);
  for (const p of points) out.push(`<text x="${px(p.size)}" y="${top + H + 14}" text-anchor="middle" font-size="11">${p.size.toLocaleString('en-US')}</text>`);
  for (const c of [c0 * 2, Math.sqrt(c0 * c1), c1 / 2]) out.push(`<text x="${LEFT - 6}" y="${py(c) + 4}" text-anchor="end" font-size="11">${num(c)} µs</text>`);
  const colors = ['#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#d62728', '#8c564b'];
  series.forEach((s, i) => {
    const color = colors[i % colors.length];
    const dash = s.name.startsWith('ganesha') ? ' stroke-dasharray="5,3"' : '';
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${s.pts.map(([x, c]) => `${px(x)},${py(c)}`).join(' ')}"/>`);
    out.push(`<text x="${W - 190}" y="${top + 14 + i * 16}" font-size="11" fill="${color}">${esc(s.name)}</text>`);
  });
  return [out.join('\n'), top + H + 40];
}

export function e2eSvg(main: PhaseStats[], merged: PhaseStats[], growth: GrowthPoint[], servers: ServerKind[], subtitle: string): string {
  const parts: string[] = [];
  let y = 40;
  const rows = [...main, ...merged];
  let p: string;
  [p, y] = ratioPanel('Speed, fallthru / ganesha (median of rounds; whisker: spread; right of 1× = fallthru faster)', rows, y, (st) => {
    const f = st.by.fallthru?.rate;
    const g = st.by.ganesha?.rate;
    return [st.speedRatio, f && g ? f.min / g.max : NaN, f && g ? f.max / g.min : NaN];
  }, 'higher');
  parts.push(p);
  [p, y] = ratioPanel('Server CPU per op, fallthru / ganesha (left of 1× = fallthru cheaper)', rows, y, (st) => {
    const f = st.by.fallthru?.cost;
    const g = st.by.ganesha?.cost;
    return [st.costRatio, f && g ? f.min / g.max : NaN, f && g ? f.max / g.min : NaN];
  }, 'lower');
  parts.push(p);
  if (growth.length > 1) {
    [p, y] = growthPanel(growth, servers, y);
    parts.push(p);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">fallthru vs nfs-ganesha over kernel overlayfs — ${esc(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
