import { DDSketch } from '@datadog/sketches-js';
import type { Contender, OperationFigures, Target } from './contender.js';

/** DDSketch (1% relative accuracy), one sketch per name, values in ms. */
class DDSketchTarget implements Target {
  readonly #sketches: DDSketch[];

  constructor(names: readonly string[]) {
    this.#sketches = names.map(() => new DDSketch({ relativeAccuracy: 0.01 }));
  }

  recordAll(values: Float64Array): void {
    const sketches = this.#sketches;
    const mask = sketches.length - 1;
    for (let i = 0; i < values.length; i++) sketches[i & mask]!.accept(values[i]!);
  }

  measureAll(calls: number, fn: () => void): void {
    const sketches = this.#sketches;
    const mask = sketches.length - 1;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      fn();
      sketches[i & mask]!.accept(performance.now() - t);
    }
  }

  record(op: number, ms: number): void {
    this.#sketches[op]!.accept(ms);
  }

  quantileMs(op: number, q: number): number {
    return this.#sketches[op]!.getValueAtQuantile(q);
  }

  report(): OperationFigures[] {
    return this.#sketches.map((s) => ({
      count: s.count,
      meanMs: s.sum / s.count,
      p50Ms: s.getValueAtQuantile(0.5),
      p95Ms: s.getValueAtQuantile(0.95),
      p99Ms: s.getValueAtQuantile(0.99),
      maxMs: s.max,
    }));
  }

  close(): void {}
}

export const ddSketch: Contender = {
  name: '@datadog/sketches-js',
  prepare: (names) => new DDSketchTarget(names),
};
