import { type Clock, describe, Emitter, systemClock } from '../core/index.js';
import { Counter, type CounterOptions, type CounterSnapshot } from './custom-counter.js';
import { Gauge, type GaugeOptions, type GaugeSnapshot } from './custom-gauge.js';
import {
  HISTOGRAM_RESERVED_LABELS,
  Histogram,
  type HistogramOptions,
  type HistogramSeriesSnapshot,
  type HistogramSnapshot,
} from './custom-histogram.js';
import {
  checkLabelNames,
  checkMetricName,
  type MetricContext,
  type ValueSeriesSnapshot,
} from './custom-series-store.js';
import { DEFAULT_MAX_VALUE, DEFAULT_MIN_VALUE } from './sketch.js';

/** Options of a {@link MetricRegistry}. */
export interface MetricRegistryOptions {
  /**
   * Most label combinations kept per metric; later ones share one overflow
   * series whose label values are all `"__overflow__"`. @defaultValue 2000
   */
  maxSeriesPerMetric?: number;
  /** Time source in ms for histogram timers; inject a fake one in tests. @defaultValue `performance.now()` */
  clock?: Clock;
}

/** Resolved {@link MetricRegistryOptions}. */
export interface MetricRegistryConfig {
  readonly maxSeriesPerMetric: number;
}

/** Payload of {@link MetricRegistry.onCardinalityExceeded}. */
export interface CardinalityExceededEvent {
  /** Name of the metric that reached its limit. */
  metric: string;
  /** The `maxSeriesPerMetric` it reached. */
  limit: number;
}

/** Any metric a {@link MetricRegistry} holds. */
export type CustomMetric = Counter | Gauge | Histogram;

/** One metric as {@link MetricRegistry.collect} reports it; `type` tells the shape of its series. */
export type MetricSnapshot = CounterSnapshot | GaugeSnapshot | HistogramSnapshot;

/** One series of a {@link MetricSnapshot}. */
export type SeriesSnapshot = ValueSeriesSnapshot | HistogramSeriesSnapshot;

const NAMES = { counter: 'a counter', gauge: 'a gauge', histogram: 'a histogram' } as const;

/**
 * Custom counters, gauges and histograms with labels, in bounded memory: each
 * metric keeps at most `maxSeriesPerMetric` label combinations, and later
 * ones share one overflow series. There is no global registry; make one and
 * pass it where it is needed.
 *
 * @example
 * const registry = new MetricRegistry({ maxSeriesPerMetric: 500 });
 * const posted = registry.counter('transactions_posted_total', { labelNames: ['currency'] });
 * posted.inc(1, { currency: 'EUR' });
 * registry.onCardinalityExceeded(({ metric, limit }) => console.warn(`${metric} passed ${limit} series`));
 * registry.collect(); // [{ name: 'transactions_posted_total', type: 'counter', series: [...], ... }]
 */
export class MetricRegistry {
  readonly config: MetricRegistryConfig;
  readonly #metrics = new Map<string, CustomMetric>();
  readonly #cardinalityExceeded = new Emitter<CardinalityExceededEvent>();
  readonly #context: MetricContext;
  #collectErrors = 0;

  /**
   * Fires once per metric (again after its reset), the first time a value
   * goes to its overflow series. Dispose the result to stop listening.
   */
  readonly onCardinalityExceeded = this.#cardinalityExceeded.on;

  /** @throws RangeError when `maxSeriesPerMetric` is not a positive integer */
  constructor(options: MetricRegistryOptions = {}) {
    const maxSeriesPerMetric = options.maxSeriesPerMetric ?? 2000;
    if (!Number.isSafeInteger(maxSeriesPerMetric) || maxSeriesPerMetric < 1) {
      throw new RangeError(
        `maxSeriesPerMetric must be a positive integer, got ${describe(maxSeriesPerMetric)}`,
      );
    }
    this.config = Object.freeze({ maxSeriesPerMetric });
    const emitter = this.#cardinalityExceeded;
    this.#context = {
      maxSeries: maxSeriesPerMetric,
      clock: options.clock ?? systemClock,
      cardinalityExceeded(metric) {
        if (emitter.hasListeners) emitter.emit({ metric, limit: maxSeriesPerMetric });
      },
      collectFailed: () => {
        this.#collectErrors++;
      },
    };
  }

  /** Number of registered metrics. */
  get size(): number {
    return this.#metrics.size;
  }

  /** How many times a gauge's collect callback threw, over all gauges. */
  get collectErrors(): number {
    return this.#collectErrors;
  }

  /**
   * Registers a counter, or returns the one already registered under `name`
   * with the same label names.
   * @throws TypeError when the name or a label name is invalid, or `name` is taken by another type or label names
   */
  counter<L extends string = never>(name: string, options: CounterOptions<L> = {}): Counter<L> {
    checkMetricName(name);
    const help = checkHelp(name, options.help);
    const labelNames = checkLabelNames(name, options.labelNames) as readonly L[];
    const existing = this.#existing(name, 'counter', labelNames);
    if (existing !== undefined) return existing as Counter<L>;
    return this.#add(new Counter<L>(name, help, labelNames, this.#context));
  }

  /**
   * Registers a gauge, or returns the one already registered under `name`
   * with the same label names and collect callback.
   * @throws TypeError when the name or a label name is invalid, or `name` is taken by another type, label names or callback
   */
  gauge<L extends string = never>(name: string, options: GaugeOptions<L> = {}): Gauge<L> {
    checkMetricName(name);
    const help = checkHelp(name, options.help);
    const labelNames = checkLabelNames(name, options.labelNames) as readonly L[];
    const collect = options.collect;
    if (collect !== undefined && typeof collect !== 'function') {
      throw new TypeError(
        `collect of gauge "${name}" must be a function, got ${describe(collect)}`,
      );
    }
    const existing = this.#existing(name, 'gauge', labelNames) as Gauge<L> | undefined;
    if (existing !== undefined) {
      if (existing.collectCallback !== collect) {
        throw new TypeError(
          `gauge "${name}" is already registered with another collect callback; register it once and share it`,
        );
      }
      return existing;
    }
    return this.#add(new Gauge<L>(name, help, labelNames, this.#context, collect));
  }

  /**
   * Registers a histogram, or returns the one already registered under `name`
   * with the same label names and value range.
   * @throws TypeError when the name or a label name is invalid, or `name` is taken by another type, label names or range
   * @throws RangeError when `minValue` is not > 0 or `maxValue` is not > `minValue`
   */
  histogram<L extends string = never>(
    name: string,
    options: HistogramOptions<L> = {},
  ): Histogram<L> {
    checkMetricName(name);
    const help = checkHelp(name, options.help);
    const labelNames = checkLabelNames(
      name,
      options.labelNames,
      HISTOGRAM_RESERVED_LABELS,
    ) as readonly L[];
    const existing = this.#existing(name, 'histogram', labelNames) as Histogram<L> | undefined;
    if (existing !== undefined) {
      const minValue = options.minValue ?? DEFAULT_MIN_VALUE;
      const maxValue = options.maxValue ?? DEFAULT_MAX_VALUE;
      if (existing.minValue !== minValue || existing.maxValue !== maxValue) {
        throw new TypeError(
          `histogram "${name}" is already registered with range [${existing.minValue}, ${existing.maxValue}], ` +
            `not [${minValue}, ${maxValue}]`,
        );
      }
      return existing;
    }
    const range: { minValue?: number; maxValue?: number } = {};
    if (options.minValue !== undefined) range.minValue = options.minValue;
    if (options.maxValue !== undefined) range.maxValue = options.maxValue;
    return this.#add(new Histogram<L>(name, help, labelNames, this.#context, range));
  }

  /** The metric registered under `name`, if any. */
  get(name: string): CustomMetric | undefined {
    return this.#metrics.get(name);
  }

  /** Unregisters a metric; true if it was registered. Handles to it keep working but are no longer collected. */
  remove(name: string): boolean {
    return this.#metrics.delete(name);
  }

  /** Unregisters every metric. */
  clear(): void {
    this.#metrics.clear();
  }

  /** Every metric's current figures, in registration order; runs gauge callbacks and never throws. */
  collect(): MetricSnapshot[] {
    return Array.from(this.#metrics.values(), (metric) => metric.collect());
  }

  /** Metrics whose label sets passed the series limit, without running gauge callbacks. */
  overflows(): Array<{ metric: string; overflowCount: number; limit: number }> {
    const out: Array<{ metric: string; overflowCount: number; limit: number }> = [];
    for (const m of this.#metrics.values()) {
      if (m.overflowCount > 0) {
        out.push({
          metric: m.name,
          overflowCount: m.overflowCount,
          limit: this.config.maxSeriesPerMetric,
        });
      }
    }
    return out;
  }

  #existing(
    name: string,
    type: CustomMetric['type'],
    labelNames: readonly string[],
  ): CustomMetric | undefined {
    const existing = this.#metrics.get(name);
    if (existing === undefined) return undefined;
    if (existing.type !== type) {
      throw new TypeError(
        `metric "${name}" is already registered as ${NAMES[existing.type]}, not ${NAMES[type]}; ` +
          'use another name or remove it first',
      );
    }
    const same =
      existing.labelNames.length === labelNames.length &&
      labelNames.every((l) => existing.labelNames.includes(l));
    if (!same) {
      throw new TypeError(
        `metric "${name}" is already registered with labels [${existing.labelNames.join(', ')}], ` +
          `not [${labelNames.join(', ')}]`,
      );
    }
    return existing;
  }

  #add<M extends CustomMetric>(metric: M): M {
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

function checkHelp(name: string, help: unknown): string {
  if (help === undefined) return '';
  if (typeof help !== 'string') {
    throw new TypeError(`help of metric "${name}" must be a string, got ${describe(help)}`);
  }
  return help;
}
