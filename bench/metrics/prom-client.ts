import { Histogram, type MetricValue, Registry, Summary } from 'prom-client';
import { histogramQuantile } from '../lib/quantile.js';
import type { Contender, OperationFigures, Target } from './contender.js';

type Labels = 'op';
type Values = readonly MetricValue<string>[];

/** Values of one metric grouped by their `op` label, in name order. */
function byOperation(names: readonly string[], values: Values): Map<string, MetricValue<string>[]> {
  const groups = new Map<string, MetricValue<string>[]>(names.map((n) => [n, []]));
  for (const v of values) groups.get(String(v.labels.op))?.push(v);
  return groups;
}

/** Quantile (s) of one op from its `_bucket` series, as `histogram_quantile` would compute it. */
function bucketQuantile(q: number, values: readonly MetricValue<string>[]): number {
  const buckets = values
    .filter((v) => v.labels.le !== undefined)
    .map((v) => ({
      le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le),
      n: v.value,
    }))
    .sort((a, b) => a.le - b.le);
  return histogramQuantile(
    q,
    buckets.map((b) => b.le),
    buckets.map((b) => b.n),
  );
}

function sumAndCount(
  metricName: string,
  values: readonly MetricValue<string>[],
): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (const v of values as readonly (MetricValue<string> & { metricName?: string })[]) {
    if (v.metricName === `${metricName}_sum`) sum = v.value;
    else if (v.metricName === `${metricName}_count`) count = v.value;
  }
  return { sum, count };
}

const METRIC = 'op_duration_seconds';

/** prom-client `Histogram` with an `op` label and the default buckets, observed in seconds. */
class PromHistogramTarget implements Target {
  readonly #registry = new Registry();
  readonly #names: readonly string[];
  readonly #h: Histogram<Labels>;

  constructor(names: readonly string[]) {
    this.#names = names;
    this.#h = new Histogram({
      name: METRIC,
      help: 'Operation duration',
      labelNames: ['op'],
      registers: [this.#registry],
    });
  }

  recordAll(values: Float64Array): void {
    const h = this.#h;
    const names = this.#names;
    const mask = names.length - 1;
    for (let i = 0; i < values.length; i++) h.observe({ op: names[i & mask]! }, values[i]! / 1000);
  }

  measureAll(calls: number, fn: () => void): void {
    const h = this.#h;
    const names = this.#names;
    const mask = names.length - 1;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      fn();
      h.observe({ op: names[i & mask]! }, (performance.now() - t) / 1000);
    }
  }

  record(op: number, ms: number): void {
    this.#h.observe({ op: this.#names[op]! }, ms / 1000);
  }

  async quantileMs(op: number, q: number): Promise<number> {
    const { values } = await this.#h.get();
    const name = this.#names[op]!;
    return (
      bucketQuantile(
        q,
        values.filter((v) => v.labels.op === name),
      ) * 1000
    );
  }

  async report(): Promise<OperationFigures[]> {
    const metrics = await this.#registry.getMetricsAsJSON();
    const values = metrics.find((m) => m.name === METRIC)?.values ?? [];
    return [...byOperation(this.#names, values).values()].map((vs) => {
      const { sum, count } = sumAndCount(METRIC, vs);
      return {
        count,
        meanMs: (sum / count) * 1000,
        p50Ms: bucketQuantile(0.5, vs) * 1000,
        p95Ms: bucketQuantile(0.95, vs) * 1000,
        p99Ms: bucketQuantile(0.99, vs) * 1000,
        maxMs: null,
      };
    });
  }

  close(): void {
    this.#registry.clear();
  }
}

/** prom-client `Summary` with an `op` label and the default percentiles (t-digest, no max age). */
class PromSummaryTarget implements Target {
  readonly #registry = new Registry();
  readonly #names: readonly string[];
  readonly #s: Summary<Labels>;

  constructor(names: readonly string[]) {
    this.#names = names;
    this.#s = new Summary({
      name: METRIC,
      help: 'Operation duration',
      labelNames: ['op'],
      registers: [this.#registry],
    });
  }

  recordAll(values: Float64Array): void {
    const s = this.#s;
    const names = this.#names;
    const mask = names.length - 1;
    for (let i = 0; i < values.length; i++) s.observe({ op: names[i & mask]! }, values[i]! / 1000);
  }

  measureAll(calls: number, fn: () => void): void {
    const s = this.#s;
    const names = this.#names;
    const mask = names.length - 1;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      fn();
      s.observe({ op: names[i & mask]! }, (performance.now() - t) / 1000);
    }
  }

  record(op: number, ms: number): void {
    this.#s.observe({ op: this.#names[op]! }, ms / 1000);
  }

  async quantileMs(op: number, q: number): Promise<number> {
    const values: Values = (await this.#s.get()).values;
    const name = this.#names[op]!;
    const v = values.find((x) => x.labels.op === name && Number(x.labels.quantile) === q);
    return v === undefined ? Number.NaN : v.value * 1000;
  }

  async report(): Promise<OperationFigures[]> {
    const metrics = await this.#registry.getMetricsAsJSON();
    const values = metrics.find((m) => m.name === METRIC)?.values ?? [];
    return [...byOperation(this.#names, values).values()].map((vs) => {
      const { sum, count } = sumAndCount(METRIC, vs);
      const at = (q: number): number =>
        (vs.find((v) => Number(v.labels.quantile) === q)?.value ?? Number.NaN) * 1000;
      return {
        count,
        meanMs: (sum / count) * 1000,
        p50Ms: at(0.5),
        p95Ms: at(0.95),
        p99Ms: at(0.99),
        maxMs: null,
      };
    });
  }

  close(): void {
    this.#registry.clear();
  }
}

export const promHistogram: Contender = {
  name: 'prom-client Histogram',
  prepare: (names) => new PromHistogramTarget(names),
};

export const promSummary: Contender = {
  name: 'prom-client Summary',
  prepare: (names) => new PromSummaryTarget(names),
};
