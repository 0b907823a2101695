/** Render benchmark rows as a Markdown table. */

import type { Columns, Row } from './suite.js';

const COPY_COLUMNS: Columns = { reference: 'Buffer.copy of the same bytes', ratio: 'Cost vs copy' };

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

export function markdownTable(rows: readonly Row[], columns: Columns = COPY_COLUMNS): string {
  const lines = [
    `| Benchmark | Result | Unit | ${columns.reference} | ${columns.ratio} | Note |`,
    '| --- | ---: | --- | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const ratio = r.costVsCopy === undefined ? '' : `${fmt(r.costVsCopy)}×`;
    lines.push(`| ${r.benchmark} | ${fmt(r.result)} | ${r.unit} | ${fmt(r.reference)} | ${ratio} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}
