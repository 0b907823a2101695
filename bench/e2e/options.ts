/**
 * Options of the e2e suite (`npm run bench -- e2e --files=20000 ...`). The defaults are the full
 * run of the issue; `--quick` shrinks every size so CI runs it in seconds; an explicit option
 * always wins over either.
 */

import type { ServerKind } from './server.js';

export interface E2eOptions {
  /** Small files created over files/1000 directories. */
  files: number;
  rounds: number;
  writeBytes: number;
  /** Entries of the single big directory. */
  bigdir: number;
  inflight: number;
  /** Growth sizes (files); empty = no growth runs. */
  growth: number[];
  /** Entries of the merged lower directory; 0 = not run. */
  merged: number;
  /** Rounds per growth size and for the merged listing. */
  growthRounds: number;
  servers: ServerKind[];
  nofile: number;
  /** fallthru serves an async export (answers before changes are durable, as ganesha here). */
  async: boolean;
  /** Profile fallthru: undefined = no; [] = the phases where it loses most; else these keys. */
  profile?: string[];
  /** Where the layers live: a fresh ext4 made for the run, or the machine's own (bench-fs.ts). */
  fs: 'ext4' | 'shared';
}

const FULL: E2eOptions = {
  files: 100_000,
  rounds: 3,
  writeBytes: 2 ** 30,
  bigdir: 50_000,
  inflight: 16,
  growth: [10_000, 100_000, 1_000_000],
  merged: 1_000_000,
  growthRounds: 1,
  servers: ['fallthru', 'ganesha'],
  nofile: 1_048_576,
  async: false,
  fs: 'ext4',
};

const QUICK: E2eOptions = { ...FULL, files: 500, rounds: 1, writeBytes: 8 * 2 ** 20, bigdir: 500, growth: [200, 1000], merged: 2000 };

export const USAGE = `e2e options (npm run bench -- e2e [--quick] [options]):
  --files=N          small files, over N/1000 directories (default 100000; quick 500)
  --rounds=R         rounds per server, alternating A/B with fresh servers (default 3)
  --write-mib=M      size of the sequential WRITE/READ file (default 1024)
  --bigdir=E         entries of the single big directory (default 50000)
  --inflight=K       calls in flight (default 16)
  --growth=A,B,C     growth sizes, or none (default 10000,100000,1000000)
  --merged=E         entries of the merged lower directory, 0 = skip (default 1000000)
  --growth-rounds=R  rounds per growth size (default 1)
  --servers=LIST     fallthru,ganesha (default both)
  --nofile=N         open-file limit of both servers (default 1048576)
  --async            fallthru serves an async export (default sync: changes durable before answers)
  --profile[=KEYS]   profile fallthru in an extra round: the 3 phases where it loses most, or KEYS
  --fs=ext4|shared   layers on a fresh ext4 made for the run (default), or in the machine's
                     temporary directory`;

function int(name: string, v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: not a whole number: ${v}`);
  return n;
}

/**
 * Inodes the run's file system needs: the largest tree one round holds (rounds remove theirs), the
 * merged lowers (1.2 entries per merged name), and as much again to spare.
 */
export function inodesNeeded(o: E2eOptions): number {
  const round = Math.max(o.files + o.files / 1000 + o.bigdir, ...o.growth.map((g) => g + g / 1000));
  return Math.max(1_000_000, Math.ceil(2 * (round + 1.2 * o.merged) + 100_000));
}

export function parseOptions(args: string[], quick: boolean): E2eOptions {
  const o: E2eOptions = { ...(quick ? QUICK : FULL) };
  for (const arg of args) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    const [, name, value = ''] = m;
    switch (name) {
      case 'files': o.files = int(name, value); break;
      case 'rounds': o.rounds = Math.max(1, int(name, value)); break;
      case 'write-mib': o.writeBytes = int(name, value) * 2 ** 20; break;
      case 'bigdir': o.bigdir = int(name, value); break;
      case 'inflight': o.inflight = Math.max(1, int(name, value)); break;
      case 'growth': o.growth = value === 'none' || value === '' ? [] : value.split(',').map((v) => int(name, v)); break;
      case 'merged': o.merged = int(name, value); break;
      case 'growth-rounds': o.growthRounds = Math.max(1, int(name, value)); break;
      case 'nofile': o.nofile = int(name, value); break;
      case 'async': o.async = true; break;
      case 'profile': o.profile = value ? value.split(',') : []; break;
      case 'fs':
        if (value !== 'ext4' && value !== 'shared') throw new Error(`--fs: must be ext4 or shared, not ${value || 'empty'}`);
        o.fs = value;
        break;
      case 'servers': {
        const list = value.split(',');
        const bad = list.filter((s) => s !== 'fallthru' && s !== 'ganesha');
        if (bad.length || !list.length) throw new Error(`--servers: unknown server ${bad.join(', ')} (have fallthru, ganesha)`);
        o.servers = list as ServerKind[];
        break;
      }
      case 'help': throw new Error(USAGE);
      default: throw new Error(`unknown option --${name}\n${USAGE}`);
    }
  }
  if (o.files < 1 || o.bigdir < 1 || o.writeBytes < 4096) throw new Error('--files, --bigdir must be at least 1 and --write-mib at least 1');
  return o;
}
