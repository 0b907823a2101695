/**
 * A small seeded PRNG (mulberry32) so every generated tree and op sequence can be replayed from
 * the seed a failing run printed. Math.random is never used by the harness.
 */

export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Prng.pick: empty list');
    return items[Math.floor(this.float() * items.length)];
  }

  /** Shuffle `items` in place (Fisher–Yates) and return it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** Pick a key with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.float() * total;
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  /** A derived generator, so independent streams (tree, ops, data) stay stable when one changes. */
  fork(label: string): Prng {
    let h = this.seed ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Prng(h >>> 0);
  }
}

/** Deterministic bytes for (seed, length): the same call always yields the same content. */
export function deterministicBytes(seed: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  const rng = new Prng(seed);
  let i = 0;
  for (; i + 4 <= length; i += 4) buf.writeUInt32LE(rng.nextU32(), i);
  for (; i < length; i++) buf[i] = rng.nextU32() & 0xff;
  return buf;
}

/**
 * The run's seed: FALLTHRU_SEED when set (to replay a failure), otherwise a fresh one derived
 * from the clock. Callers print it so any run can be replayed.
 */
export function seedFromEnv(): number {
  const fromEnv = process.env.FALLTHRU_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 0) throw new Error(`FALLTHRU_SEED must be a non-negative integer, got ${fromEnv}`);
    return n >>> 0;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
