import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { Contender, OperationFigures, Target } from './contender.js';

/** `createHistogram` records integers >= 1: durations go in as whole µs. */
const US_PER_MS = 1000;

/** Node's native HDR histogram (`perf_hooks.createHistogram`), one per name. */
class PerfHooksTarget implements Target {
  readonly #hs: RecordableHistogram[];

  constructor(names: readonly string[]) {
    this.#hs = names.map(() => createHistogram());
  }

  recordAll(values: Float64Array): void {
    const hs = this.#hs;
    const mask = hs.length - 1;
    for (let i = 0; i < values.length; i++) {
      hs[i & mask]!.record(Math.max(1, Math.round(values[i]! * US_PER_MS)));
    }
  }

  measureAll(calls: number, fn: () => void): void {
    const hs = this.#hs;
    const mask = hs.length - 1;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      fn();
      hs[i & mask]!.record(Math.max(1, Math.round((performance.now() - t) * US_PER_MS)));
    }
  }

  record(op: number, ms: number): void {
    this.#hs[op]!.record(Math.max(1, Math.round(ms * US_PER_MS)));
  }

  quantileMs(op: number, q: number): number {
    return this.#hs[op]!.percentile(q * 100) / US_PER_MS;
  }

  report(): OperationFigures[] {
    return this.#hs.map((h) => ({
      count: h.count,
      meanMs: h.mean / US_PER_MS,
      p50Ms: h.percentile(50) / US_PER_MS,
      p95Ms: h.percentile(95) / US_PER_MS,
      p99Ms: h.percentile(99) / US_PER_MS,
      maxMs: h.max / US_PER_MS,
    }));
  }

  close(): void {}
}

export const perfHooks: Contender = {
  name: 'perf_hooks.createHistogram',
  // Node's histogram is C hdr_histogram memory (calloc'd counts), not V8 heap or external.
  memory: 'native',
  prepare: (names) => new PerfHooksTarget(names),
};
