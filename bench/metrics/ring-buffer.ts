import { nearestRank } from '../lib/quantile.js';
import type { Contender, OperationFigures, Target } from './contender.js';

/** The seed's window: the last 10,000 durations of each operation. */
const CAPACITY = 10_000;

/** One operation's ring of the last {@link CAPACITY} durations (ms). */
class Ring {
  readonly values = new Float64Array(CAPACITY);
  next = 0;
  size = 0;
  count = 0;

  push(ms: number): void {
    this.values[this.next] = ms;
    this.next = this.next + 1 === CAPACITY ? 0 : this.next + 1;
    if (this.size < CAPACITY) this.size++;
    this.count++;
  }

  /** The seed's read: a sorted copy of the window. */
  sorted(): Float64Array {
    return this.values.slice(0, this.size).sort();
  }
}

/** Baseline: the seed's approach (a deque of the last 10,000 per operation, sort to read). */
class RingTarget implements Target {
  readonly #rings: Ring[];

  constructor(names: readonly string[]) {
    this.#rings = names.map(() => new Ring());
  }

  recordAll(values: Float64Array): void {
    const rings = this.#rings;
    const mask = rings.length - 1;
    for (let i = 0; i < values.length; i++) rings[i & mask]!.push(values[i]!);
  }

  measureAll(calls: number, fn: () => void): void {
    const rings = this.#rings;
    const mask = rings.length - 1;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      fn();
      rings[i & mask]!.push(performance.now() - t);
    }
  }

  record(op: number, ms: number): void {
    this.#rings[op]!.push(ms);
  }

  quantileMs(op: number, q: number): number {
    return nearestRank(this.#rings[op]!.sorted(), q);
  }

  report(): OperationFigures[] {
    return this.#rings.map((r) => {
      const s = r.sorted();
      let sum = 0;
      for (let i = 0; i < s.length; i++) sum += s[i]!;
      return {
        count: r.count,
        meanMs: sum / s.length,
        p50Ms: nearestRank(s, 0.5),
        p95Ms: nearestRank(s, 0.95),
        p99Ms: nearestRank(s, 0.99),
        maxMs: s[s.length - 1] ?? Number.NaN,
      };
    });
  }

  close(): void {}
}

export const ringBuffer: Contender = {
  name: 'ring buffer (seed)',
  prepare: (names) => new RingTarget(names),
};
