import { PerformanceMonitor } from '../../src/index.js';
import { type Operation, OperationRegistry } from '../../src/metrics/index.js';
import { gcAvailable, repeat, settledMemory } from '../lib/measure.js';
import type { Contender, ExtrasContext, OperationFigures, Target } from './contender.js';
import { timeReads } from './time-reads.js';

class KeelTarget implements Target {
  readonly #registry = new OperationRegistry();
  readonly #names: readonly string[];
  readonly #ops: Operation[];

  constructor(names: readonly string[]) {
    this.#names = names;
    this.#ops = names.map((name) => this.#registry.operation(name));
  }

  recordAll(values: Float64Array): void {
    const ops = this.#ops;
    const mask = ops.length - 1;
    for (let i = 0; i < values.length; i++) ops[i & mask]!.record(values[i]!);
  }

  measureAll(calls: number, fn: () => void): void {
    const ops = this.#ops;
    const mask = ops.length - 1;
    for (let i = 0; i < calls; i++) ops[i & mask]!.measure(fn);
  }

  record(op: number, ms: number): void {
    this.#ops[op]!.record(ms);
  }

  quantileMs(op: number, q: number): number {
    const s = this.#registry.stats(this.#names[op]!);
    if (s === undefined) return Number.NaN;
    const byQ: Record<string, number> = {
      0.5: s.p50Ms,
      0.9: s.p90Ms,
      0.95: s.p95Ms,
      0.99: s.p99Ms,
      0.999: s.p999Ms,
    };
    const x = byQ[String(q)];
    if (x === undefined) throw new RangeError(`keel reports P50/P90/P95/P99/P99.9, not q=${q}`);
    return x;
  }

  report(): OperationFigures[] {
    return this.#registry.snapshot().operations.map((s) => ({
      count: s.count,
      meanMs: s.meanMs,
      p50Ms: s.p50Ms,
      p95Ms: s.p95Ms,
      p99Ms: s.p99Ms,
      maxMs: s.maxMs,
    }));
  }

  close(): void {
    this.#registry.close();
  }
}

/** By name through the facade: `recordOperation(name, ms)` per value. */
function recordAllByName(
  monitor: PerformanceMonitor,
  names: readonly string[],
  values: Float64Array,
): void {
  const mask = names.length - 1;
  for (let i = 0; i < values.length; i++) monitor.recordOperation(names[i & mask]!, values[i]!);
}

/** By name through the facade: `measureOperation(name, fn)` per call. */
function measureAllByName(
  monitor: PerformanceMonitor,
  names: readonly string[],
  calls: number,
  fn: () => void,
): void {
  const mask = names.length - 1;
  for (let i = 0; i < calls; i++) monitor.measureOperation(names[i & mask]!, fn);
}

async function keelExtras(ctx: ExtrasContext): Promise<Record<string, number | null>> {
  const { names, values, reps, warmup } = ctx;
  ctx.log('keel: recordOperation by name');
  const recordByNameNs = await repeat({ reps, warmup }, async () => {
    const monitor = new PerformanceMonitor();
    const t0 = performance.now();
    recordAllByName(monitor, names, values);
    const ms = performance.now() - t0;
    await monitor.close();
    return (ms * 1e6) / values.length;
  });
  ctx.log('keel: measureOperation by name');
  const measureByNameNs = await repeat({ reps, warmup }, async () => {
    const monitor = new PerformanceMonitor();
    const t0 = performance.now();
    measureAllByName(monitor, names, ctx.measureCalls, ctx.noop);
    const ms = performance.now() - t0;
    await monitor.close();
    return (ms * 1e6) / ctx.measureCalls;
  });
  ctx.log('keel: getPerformanceReport over 1,000 operations');
  const monitor = new PerformanceMonitor();
  const ops = ctx.manyNames.map((name) => monitor.operation(name));
  const m = ops.length;
  const total = m * ctx.valuesPerManyName;
  for (let i = 0; i < total; i++) ops[i % m]!.record(values[i % values.length]!);
  let sink = 0;
  const monitorReads = await timeReads({
    record: (op, ms) => ops[op]!.record(ms),
    operations: m,
    values,
    firstValue: total,
    reps,
    warmup,
    read: () => {
      const t0 = performance.now();
      const report = monitor.getPerformanceReport();
      const us = (performance.now() - t0) * 1000;
      sink += report.recommendations.length;
      return us;
    },
  });
  await monitor.close();
  if (sink < 0) ctx.log('unreachable');
  return {
    recordByNameNs,
    measureByNameNs,
    reportUs1000Monitor: monitorReads.changedUs,
    reportUs1000MonitorUnchanged: monitorReads.unchangedUs,
    ...(await steadyState(ctx)),
  };
}

/**
 * The same 1,000 operations × 10,000 values, spread over all 10 slices of the
 * window (a fake clock moves one minute per 1,000 values per operation): what
 * a long-running app holds and reads, as opposed to one burst in one slice.
 */
async function steadyState(ctx: ExtrasContext): Promise<Record<string, number | null>> {
  ctx.log('keel: steady state, every slice of the 10-minute window filled');
  const clock = { t: 0, now: () => clock.t };
  const before = await settledMemory();
  const registry = new OperationRegistry({ clock, timer: false });
  const ops = ctx.manyNames.map((name) => registry.operation(name));
  const perSlice = ctx.valuesPerManyName / 10;
  let v = 0;
  for (let minute = 0; minute < 10; minute++) {
    clock.t = minute * 60_000 + 1;
    registry.snapshot(); // a read advances the slice
    for (const op of ops) {
      for (let i = 0; i < perSlice; i++) op.record(ctx.values[v++ % ctx.values.length]!);
    }
  }
  registry.snapshot(); // a read builds each operation's merged closed slices: count them too
  const after = await settledMemory();
  // Recorded into the current slice (the clock stands still), which a read merges with the closed ones.
  const steadyReads = await timeReads({
    record: (op, ms) => ops[op]!.record(ms),
    operations: ops.length,
    values: ctx.values,
    firstValue: v,
    reps: ctx.reps,
    warmup: ctx.warmup,
    read: () => {
      const t0 = performance.now();
      registry.snapshot();
      return (performance.now() - t0) * 1000;
    },
  });
  registry.close();
  return {
    bytesPerOperationSteady: gcAvailable
      ? Math.round((after.heapAndExternal - before.heapAndExternal) / ops.length)
      : null,
    reportUs1000Steady: steadyReads.changedUs,
    reportUs1000SteadyUnchanged: steadyReads.unchangedUs,
  };
}

/** Keel: `OperationRegistry` with bound `Operation` handles. */
export const keel: Contender = {
  name: 'keel',
  prepare: (names) => new KeelTarget(names),
  extras: keelExtras,
};
