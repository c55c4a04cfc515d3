import { safeMessage } from '../../core/index.js';
import { fixedBounds, LifetimeBucketsReader } from '../../metrics/index.js';
import { collectFamilies, type LabelPairs } from '../metric-families.js';
import { OPERATION_METRICS, type OtelName, otelFamily } from './otel-families.js';
import type { OtelSources } from './otel-sources.js';

/** An instrument as the feed holds it: whatever the meter returned. */
export type ObservableLike = object;

/** What an observation may carry; Keel's attributes are strings. */
export type ObservedAttributes = Record<string, string>;

/** The batch result a meter passes to a batch callback. */
export interface BatchObservableResultLike {
  observe(observable: ObservableLike, value: number, attributes?: ObservedAttributes): void;
}

/** A batch callback of the feed. */
export type BatchCallbackLike = (result: BatchObservableResultLike) => void;

/** The part of `@opentelemetry/api`'s `Meter` the feed uses. */
export interface MeterLike {
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): object;
  createObservableCounter(name: string, options?: { description?: string; unit?: string }): object;
  addBatchObservableCallback(callback: BatchCallbackLike, observables: ObservableLike[]): void;
  removeBatchObservableCallback(callback: BatchCallbackLike, observables: ObservableLike[]): void;
}

/**
 * The part of `@opentelemetry/api`'s `MeterProvider` the feed uses, taken
 * structurally: Keel does not load `@opentelemetry/api`, which stays optional.
 */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/** Options of {@link feedMeterProvider}. */
export interface MeterFeedOptions {
  /** Name of the meter (the instrumentation scope). @defaultValue 'keel' */
  meterName?: string;
}

/** A running feed; dispose it to remove its callback from the meter. */
export interface MeterFeed extends Disposable {
  /** Collections the feed answered. */
  readonly collections: number;
  /** Collections in which reading Keel's figures failed (the meter got what was read before). */
  readonly failures: number;
  /** The last failure, safe to log. */
  readonly lastError: string | null;
}

type InstrumentKind = 'counter' | 'gauge';

/** Percentiles of the sliding window the feed reports per operation. */
const WINDOW_QUANTILES = [
  ['0.5', 'p50Ms'],
  ['0.95', 'p95Ms'],
  ['0.99', 'p99Ms'],
] as const;

/**
 * Feeds Keel's figures to an OpenTelemetry `MeterProvider` through
 * observable instruments, read at each collection by one batch callback.
 * The API has no observable histogram, so operations come as counters of
 * calls, errors and time (`keel.operation_calls`, `keel.operation_errors`,
 * `keel.operation_time`) and, when the sources have window figures, gauges
 * of the window's p50/p95/p99 (`keel.operation_window_duration` by
 * `quantile`). Metrics that appear later (a new custom metric) are
 * reported from the next collection on.
 *
 * @example
 * const feed = feedMeterProvider(exportSourcesOf(monitor), metrics.getMeterProvider());
 * // later: stop feeding
 * feed[Symbol.dispose]();
 */
export function feedMeterProvider(
  sources: OtelSources,
  meterProvider: MeterProviderLike,
  options: MeterFeedOptions = {},
): MeterFeed {
  return new MeterProviderFeed(
    sources,
    meterProvider.getMeter(options.meterName ?? 'keel', sources.version),
  );
}

class MeterProviderFeed implements MeterFeed {
  collections = 0;
  failures = 0;
  lastError: string | null = null;
  readonly #sources: OtelSources;
  readonly #meter: MeterLike;
  readonly #instruments = new Map<string, ObservableLike>();
  readonly #reader = new LifetimeBucketsReader();
  /** No bounds: only the lifetime count, sum and errors are read. */
  readonly #noBounds = fixedBounds([]);
  readonly #callback: BatchCallbackLike = (result) => this.#observe(result);
  /** The instruments the callback is registered with. */
  #registered: ObservableLike[] = [];
  #grown = false;
  #disposed = false;

  constructor(sources: OtelSources, meter: MeterLike) {
    this.#sources = sources;
    this.#meter = meter;
    // A first read makes the instruments that exist now, so the first collection has them all.
    this.#read({ observe: () => {} });
    this.#register();
  }

  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#meter.removeBatchObservableCallback(this.#callback, this.#registered);
  }

  /** Registers the callback with every instrument made so far, in place of the last registration. */
  #register(): void {
    this.#grown = false;
    if (this.#disposed) return;
    const next = [...this.#instruments.values()];
    if (this.#registered.length > 0) {
      this.#meter.removeBatchObservableCallback(this.#callback, this.#registered);
    }
    this.#registered = next;
    if (next.length > 0) this.#meter.addBatchObservableCallback(this.#callback, next);
  }

  #observe(result: BatchObservableResultLike): void {
    if (this.#disposed) return;
    this.collections++;
    this.#read(result);
    // The meter walks its callbacks now: registering again waits until it is done.
    if (this.#grown) queueMicrotask(() => this.#register());
  }

  /** Observes every figure; never throws (a failure is counted). */
  #read(result: BatchObservableResultLike): void {
    const observe: Observe = (name, kind, description, value, attributes) => {
      // An unlimited capacity is +Inf: left out, as the SDK's exporters cannot carry it.
      if (Number.isFinite(value)) {
        result.observe(this.#instrument(name, kind, description), value, attributes);
      }
    };
    try {
      this.#operations(observe);
      this.#families(observe);
    } catch (e) {
      this.failures++;
      this.lastError = safeMessage(e);
    }
  }

  #operations(observe: Observe): void {
    const { calls, errors, time, windowDuration } = OPERATION_METRICS;
    for (const op of this.#sources.operations()) {
      const b = this.#reader.read(op, this.#noBounds);
      const attrs = { operation: b.name, kind: b.kind };
      observe(
        calls,
        'counter',
        'Calls of each timed operation since its first call.',
        b.count,
        attrs,
      );
      observe(errors, 'counter', 'Calls of each timed operation that failed.', b.errors, attrs);
      observe(time, 'counter', 'Time spent in each timed operation.', b.sumMs / 1000, attrs);
    }
    const window = this.#sources.windowStats?.() ?? [];
    for (const s of window) {
      if (s.count === 0) continue; // no call in the window: no percentile to tell
      for (const [quantile, field] of WINDOW_QUANTILES) {
        observe(
          windowDuration,
          'gauge',
          "Percentiles of each operation's durations over the sliding window.",
          s[field] / 1000,
          { operation: s.name, kind: s.kind, quantile },
        );
      }
    }
  }

  #families(observe: Observe): void {
    const s = this.#sources;
    const seen = new Set<string>(Object.values(OPERATION_METRICS).map((m) => m.name));
    for (const family of collectFamilies(s, s.health())) {
      const f = otelFamily(family);
      // A custom metric named like one of Keel's is left out, as in the Prometheus exposition.
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      if (f.kind !== 'summary') {
        const kind = f.kind === 'sum' ? 'counter' : 'gauge';
        for (const p of f.points) observe(f, kind, f.description, p.value, record(p.attributes));
        continue;
      }
      for (const x of f.series) {
        const attrs = record(x.labels);
        for (const [q, v] of x.quantiles) {
          observe(f, 'gauge', f.description, v, { ...attrs, quantile: String(q) });
        }
        observe({ name: `${f.name}_count`, unit: '' }, 'counter', f.description, x.count, attrs);
        observe({ name: `${f.name}_sum`, unit: '' }, 'counter', f.description, x.sum, attrs);
      }
    }
  }

  /** The instrument of that name, made on first use (observed from the next collection). */
  #instrument(name: OtelName, kind: InstrumentKind, description: string): ObservableLike {
    const known = this.#instruments.get(name.name);
    if (known !== undefined) return known;
    const options = { description, unit: name.unit };
    const made =
      kind === 'counter'
        ? this.#meter.createObservableCounter(name.name, options)
        : this.#meter.createObservableGauge(name.name, options);
    this.#instruments.set(name.name, made);
    this.#grown = true;
    return made;
  }
}

type Observe = (
  name: OtelName,
  kind: InstrumentKind,
  description: string,
  value: number,
  attributes: ObservedAttributes,
) => void;

function record(labels: LabelPairs): ObservedAttributes {
  return Object.fromEntries(labels);
}
