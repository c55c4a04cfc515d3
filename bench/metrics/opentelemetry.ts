import type { Attributes, Histogram } from '@opentelemetry/api';
import {
  DataPointType,
  type Histogram as HistogramPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { cumulate, histogramQuantile } from '../lib/quantile.js';
import type { Contender, OperationFigures, Target } from './contender.js';

/** A pull reader: `collect()` on demand, nothing exported. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** Quantile (ms) of one data point, from its explicit buckets like `histogram_quantile`. */
function pointQuantile(q: number, point: HistogramPoint): number {
  const { boundaries, counts } = point.buckets;
  return histogramQuantile(q, [...boundaries, Number.POSITIVE_INFINITY], cumulate(counts));
}

/** OTel SDK histogram (default explicit boundaries, in ms) with an `op` attribute. */
class OtelTarget implements Target {
  readonly #reader = new CollectingReader();
  readonly #provider = new MeterProvider({ readers: [this.#reader] });
  readonly #names: readonly string[];
  readonly #attributes: Attributes[];
  readonly #h: Histogram;

  constructor(names: readonly string[]) {
    this.#names = names;
    this.#attributes = names.map((op) => ({ op }));
    this.#h = this.#provider.getMeter('keel-bench').createHistogram('op.duration', { unit: 'ms' });
  }

  recordAll(values: Float64Array): void {
    const h = this.#h;
    const attributes = this.#attributes;
    const mask = attributes.length - 1;
    for (let i = 0; i < values.length; i++) h.record(values[i]!, attributes[i & mask]);
  }

  measureAll(calls: number, fn: () => void): void {
    const h = this.#h;
    const attributes = this.#attributes;
    const mask = attributes.length - 1;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      fn();
      h.record(performance.now() - t, attributes[i & mask]);
    }
  }

  record(op: number, ms: number): void {
    this.#h.record(ms, this.#attributes[op]);
  }

  async quantileMs(op: number, q: number): Promise<number> {
    const point = (await this.#points()).get(this.#names[op]!);
    return point === undefined ? Number.NaN : pointQuantile(q, point);
  }

  async report(): Promise<OperationFigures[]> {
    const points = await this.#points();
    return this.#names.map((name) => {
      const p = points.get(name);
      if (p === undefined) {
        return { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: null };
      }
      return {
        count: p.count,
        meanMs: (p.sum ?? Number.NaN) / p.count,
        p50Ms: pointQuantile(0.5, p),
        p95Ms: pointQuantile(0.95, p),
        p99Ms: pointQuantile(0.99, p),
        maxMs: p.max ?? null,
      };
    });
  }

  async close(): Promise<void> {
    await this.#provider.shutdown();
  }

  /** Collects and indexes the histogram's data points by their `op` attribute. */
  async #points(): Promise<Map<string, HistogramPoint>> {
    const { resourceMetrics } = await this.#reader.collect();
    const out = new Map<string, HistogramPoint>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.dataPointType !== DataPointType.HISTOGRAM) continue;
        for (const point of metric.dataPoints) out.set(String(point.attributes.op), point.value);
      }
    }
    return out;
  }
}

export const openTelemetry: Contender = {
  name: '@opentelemetry/sdk-metrics',
  prepare: (names) => new OtelTarget(names),
};
