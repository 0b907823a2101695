/**
 * End-to-end suite ('e2e'): fallthru against nfs-ganesha exporting a kernel overlayfs of the same
 * layers, side by side, driven by a libnfs client (bench/e2e/loadgen.c) with a fixed number of
 * raw NFSv3 calls in flight. Each server runs in its own loopback-only network namespace; rounds
 * alternate the servers (and their order) with fresh servers and fresh upper layers each time.
 *
 * Reported per phase: throughput of each server (median of rounds, spread min–max), the ratio
 * fallthru/ganesha, server CPU seconds per 1,000 ops (from /proc/PID/stat around the phase) and
 * its ratio, peak RSS, and whether every answer was right. Then growth (cost per op at several
 * tree sizes and its slope) and a merged lower directory listed through the export.
 *
 * `--quick` runs tiny sizes (CI keeps the harness alive with it), and only fallthru when ganesha
 * is not installed. Options: see bench/e2e/options.ts (`npm run bench -- e2e --help`).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ganeshaUnavailableReason } from './e2e/ganesha.js';
import { makeScratch, mergedLayers, removeTree, seedLayers, type LowerSet } from './e2e/layers.js';
import { buildLoadgen, loadgenUnavailableReason } from './e2e/loadgen.js';
import { Netns } from './e2e/netns.js';
import { inodesNeeded, parseOptions, type E2eOptions } from './e2e/options.js';
import { makeBenchFs, type BenchFs } from './e2e/bench-fs.js';
import { rawDir } from './e2e/paths.js';
import { growthPlan, mainPlan, mergedPlan, type PhaseSpec } from './e2e/phases.js';
import { e2eSvg } from './e2e/plot.js';
import { killAllChildren, usableNofile } from './e2e/proc.js';
import { profileMarkdown, summarize } from './e2e/profile.js';
import { growthTable, phaseTable, problems, problemsSection, rssLine, type GrowthPoint } from './e2e/report.js';
import { runRound, type RoundOptions, type RoundResult } from './e2e/round.js';
import type { ServerKind } from './e2e/server.js';
import { phaseStats, type PhaseStats } from './e2e/stats.js';
import type { BenchSuite, SuiteReport } from './lib/suite.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `rounds` rounds of every server on `plan`, alternating which server goes first. */
async function alternate(
  what: string,
  servers: ServerKind[],
  rounds: number,
  layers: LowerSet,
  plan: PhaseSpec[],
  ro: RoundOptions,
  /** Shifts the alternation, so single-round series (growth sizes) do not always start alike. */
  shift = 0,
): Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = (r + shift) % 2 ? [...servers].reverse() : servers;
    for (const kind of order) {
      log(`e2e ${what}: round ${r + 1}/${rounds}, ${kind}`);
      results.push(await runRound(kind, `${what}-${kind}-${r + 1}`, layers, plan, ro));
    }
  }
  return results;
}

/** The phases to profile: as asked, or the three where fallthru is slowest relative to ganesha. */
function phasesToProfile(asked: string[], stats: PhaseStats[]): string[] {
  if (asked.length) return asked;
  const ranked = stats.filter((s) => Number.isFinite(s.speedRatio)).sort((a, b) => a.speedRatio - b.speedRatio);
  return (ranked.length ? ranked : stats).slice(0, 3).map((s) => s.spec.key);
}

async function measure(o: E2eOptions, loadgen: string, fs: BenchFs, stamp: string) {
  const ro: RoundOptions = { loadgen, scratch: fs.root, inflight: o.inflight, nofile: o.nofile, async: o.async, log };
  const lowers = join(fs.root, 'lowers');
  const seed = seedLayers(lowers);
  const plan = mainPlan({ files: o.files, writeBytes: o.writeBytes, bigdir: o.bigdir });
  const mainRounds = await alternate('main', o.servers, o.rounds, seed, plan, ro);
  const main = phaseStats(plan, mainRounds);

  const growth: GrowthPoint[] = [];
  const growthRounds: Record<number, RoundResult[]> = {};
  for (const [i, size] of o.growth.entries()) {
    const gp = growthPlan(size);
    growthRounds[size] = await alternate(`growth-${size}`, o.servers, o.growthRounds, seed, gp, ro, i);
    growth.push({ size, stats: phaseStats(gp, growthRounds[size]) });
  }

  let merged: PhaseStats[] = [];
  let mergedRounds: RoundResult[] = [];
  if (o.merged > 0) {
    log(`e2e: building lower layers with a ${o.merged.toLocaleString('en-US')}-entry merged directory`);
    const layers = mergedLayers(lowers, o.merged);
    const mp = mergedPlan(o.merged);
    mergedRounds = await alternate('merged', o.servers, o.growthRounds, layers, mp, ro);
    merged = phaseStats(mp, mergedRounds);
  }

  let profile: string | undefined;
  if (o.profile && o.servers.includes('fallthru')) {
    const phases = phasesToProfile(o.profile, main);
    const dir = join(rawDir(), `profiles-${stamp}`);
    mkdirSync(dir, { recursive: true });
    log(`e2e: profiling fallthru during ${phases.join(', ')} (an extra round, not counted)`);
    const r = await runRound('fallthru', 'profile-fallthru', seed, plan, { ...ro, profile: { dir, phases } });
    profile = phases
      .filter((k) => r.profiles[k])
      .map((k) => profileMarkdown(k, plan.find((p) => p.key === k)!.label, summarize(r.profiles[k])))
      .join('\n\n');
    profile = `## fallthru CPU profile per phase\n\nProfiles (V8 .cpuprofile, open in Chrome DevTools): bench/results/raw/profiles-${stamp}/\n\n${profile}\n`;
  }
  return { main, mainRounds, growth, growthRounds, merged, mergedRounds, profile };
}

function settings(o: E2eOptions, fs: BenchFs): string {
  return (
    `Servers: ${o.servers.join(', ')}; ${o.rounds} round(s) each, alternating, fresh server and upper layer per round; ` +
    `every layer on ${fs.description}; ` +
    `${o.inflight} calls in flight from one libnfs client (raw NFSv3 over TCP, in the server's own namespace; ` +
    `CREATE GUARDED; WRITE UNSTABLE in min(1 MiB, wtmax) chunks then one COMMIT; READDIRPLUS dircount 8 KiB, maxcount 64 KiB); ` +
    `open-file limit ${o.nofile.toLocaleString('en-US')} for both. ` +
    `ganesha: VFS FSAL over overlayfs (index=on,nfs_export=on). fallthru: squash none, portmap none${o.async ? ', async export' : ''}. ` +
    `Speed: median ops/s or MB/s; CPU: server user+system seconds per 1,000 ops (per GiB for WRITE/READ); ` +
    `f/g = fallthru/ganesha (speed above 1× and CPU below 1× favour fallthru).`
  );
}

export const e2eSuite: BenchSuite = {
  name: 'e2e',
  async run({ quick, args }): Promise<SuiteReport> {
    const o = parseOptions(args, quick);
    const missing = Netns.unavailableReason() ?? loadgenUnavailableReason();
    if (missing) {
      if (!quick) throw new Error(`e2e: cannot run: ${missing}`);
      log(`e2e: skipped: ${missing}`);
      return { markdown: `Skipped: ${missing}.` };
    }
    const notes: string[] = [];
    if (o.servers.includes('ganesha')) {
      const why = ganeshaUnavailableReason();
      if (why && !quick) throw new Error(`e2e: the reference cannot run: ganesha ${why} (or pass --servers=fallthru)`);
      if (why) {
        log(`e2e: fallthru only: ganesha ${why}`);
        notes.push(`ganesha was not run: ${why}.`);
        o.servers = o.servers.filter((s) => s !== 'ganesha');
      }
    }
    const nofile = usableNofile(o.nofile);
    if (nofile < o.nofile) {
      const why = `open-file limit ${nofile.toLocaleString('en-US')} for both servers: raising it to ${o.nofile.toLocaleString('en-US')} is not permitted here`;
      log(`e2e: ${why}`);
      notes.push(`${why}.`);
      o.nofile = nofile;
    }
    const loadgen = await buildLoadgen();
    const scratch = await makeScratch();
    const fs = await makeBenchFs(scratch, o.fs, inodesNeeded(o), log);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    // Interrupted: kill every child now (the kernel would on our death anyway) and leave.
    const interrupted = (signal: NodeJS.Signals) => {
      killAllChildren();
      log(`e2e: interrupted by ${signal}; scratch files may remain in ${scratch}`);
      process.exit(130);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    let m: Awaited<ReturnType<typeof measure>>;
    try {
      m = await measure(o, loadgen, fs, stamp);
    } finally {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      await fs.release();
      await removeTree(scratch);
    }

    mkdirSync(rawDir(), { recursive: true });
    writeFileSync(join(rawDir(), `e2e-${stamp}.json`), JSON.stringify({ options: o, ...m, main: undefined, merged: undefined }, null, 1));
    const wrong = [...problems(m.main), ...m.growth.flatMap((g) => problems(g.stats)), ...problems(m.merged)];
    const sections = [
      settings(o, fs),
      ...notes,
      '### Phases',
      phaseTable(m.main),
      rssLine(m.mainRounds, o.servers),
      problemsSection(wrong),
    ];
    if (m.growth.length) {
      sections.push('### Growth: cost per operation as the tree grows', growthTable(m.growth, o.servers));
      const rss = m.growth.map((g) => rssLine(m.growthRounds[g.size], o.servers, `Peak RSS at ${g.size.toLocaleString('en-US')} files`));
      sections.push(rss.join('\n\n'));
    }
    if (m.merged.length) {
      sections.push(`### A ${o.merged.toLocaleString('en-US')}-entry directory merged from two lowers`, phaseTable(m.merged), rssLine(m.mergedRounds, o.servers));
    }
    sections.push('Plot: [e2e.svg](e2e.svg). Raw rounds: bench/results/raw/ (not committed).');
    const files: Record<string, string> = {
      'e2e.svg': e2eSvg(m.main, m.merged, m.growth, o.servers, `${o.files.toLocaleString('en-US')} files, ${o.rounds} round(s)${quick ? ', quick' : ''}`),
    };
    if (m.profile) files['e2e-profile.md'] = m.profile;
    return {
      markdown: sections.join('\n\n'),
      files,
      failure: wrong.length ? `${wrong.length} wrong answer(s), first: ${wrong[0]}` : undefined,
    };
  },
};
