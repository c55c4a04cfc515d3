import * as hdr from 'hdr-histogram-js';
import type { Contender, OperationFigures, Target } from './contender.js';

/** HDR histograms count integers: durations are recorded in whole µs. */
const US_PER_MS = 1000;

/** hdr-histogram-js on WebAssembly, one histogram per name (3 significant digits, auto-resize). */
class HdrTarget implements Target {
  readonly #hs: hdr.Histogram[];

  constructor(names: readonly string[]) {
    this.#hs = names.map(() => hdr.build({ useWebAssembly: true }));
  }

  recordAll(values: Float64Array): void {
    const hs = this.#hs;
    const mask = hs.length - 1;
    for (let i = 0; i < values.length; i++)
      hs[i & mask]!.recordValue(Math.round(values[i]! * US_PER_MS));
  }

  measureAll(calls: number, fn: () => void): void {
    const hs = this.#hs;
    const mask = hs.length - 1;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      fn();
      hs[i & mask]!.recordValue(Math.round((performance.now() - t) * US_PER_MS));
    }
  }

  record(op: number, ms: number): void {
    this.#hs[op]!.recordValue(Math.round(ms * US_PER_MS));
  }

  quantileMs(op: number, q: number): number {
    return this.#hs[op]!.getValueAtPercentile(q * 100) / US_PER_MS;
  }

  report(): OperationFigures[] {
    return this.#hs.map((h) => ({
      count: h.totalCount,
      meanMs: h.mean / US_PER_MS,
      p50Ms: h.getValueAtPercentile(50) / US_PER_MS,
      p95Ms: h.getValueAtPercentile(95) / US_PER_MS,
      p99Ms: h.getValueAtPercentile(99) / US_PER_MS,
      maxMs: h.maxValue / US_PER_MS,
    }));
  }

  close(): void {
    for (const h of this.#hs) h.destroy();
  }
}

export const hdrHistogram: Contender = {
  name: 'hdr-histogram-js (wasm)',
  setup: () => hdr.initWebAssembly(),
  prepare: (names) => new HdrTarget(names),
};
