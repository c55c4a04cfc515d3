import { CustomMetricBase } from './custom-metric-base.js';
import {
  checkFinite,
  type Labels,
  type MetricContext,
  type Series,
  type SeriesLabels,
} from './custom-series-store.js';
import { Sketch } from './sketch.js';

/** Options of {@link MetricRegistry.histogram}. */
export interface HistogramOptions<L extends string = string> {
  /** One line saying what is observed. @defaultValue '' */
  help?: string;
  /** Names of the labels every observation gives; `le` and `quantile` are reserved. @defaultValue [] (one series) */
  labelNames?: readonly L[];
  /** Smallest value whose quantiles are within 0.78%; count, sum, min and max stay exact below it. @defaultValue 0.01 */
  minValue?: number;
  /** Largest value whose quantiles are within 0.78%; count, sum, min and max stay exact above it. @defaultValue 3,600,000 */
  maxValue?: number;
}

/** Ends a timer started by {@link Histogram.startTimer}: observes and returns the elapsed ms (once). */
export type EndTimer = () => number;

/** A histogram bound to one label combination: observes without a lookup. */
export interface BoundHistogram {
  /** @throws RangeError when `value` is not a finite number */
  observe(value: number): void;
  /** Starts timing; the returned function observes the elapsed ms. */
  startTimer(): EndTimer;
}

/** One histogram series in a snapshot; every figure is 0 when the series is empty. */
export interface HistogramSeriesSnapshot {
  readonly labels: SeriesLabels;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
}

/** A histogram as {@link MetricRegistry.collect} reports it. */
export interface HistogramSnapshot {
  readonly name: string;
  readonly type: 'histogram';
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Observations that went to the overflow series since the last reset. */
  readonly overflowCount: number;
  readonly series: HistogramSeriesSnapshot[];
}

/** Label names a histogram may not use: they name buckets and quantiles at the Prometheus boundary. */
export const HISTOGRAM_RESERVED_LABELS: readonly string[] = Object.freeze(['le', 'quantile']);

const QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99, 0.999];

interface HistogramSeries extends Series {
  readonly sketch: Sketch;
}

/**
 * A distribution of values (sizes, durations, amounts) per label combination,
 * with count, sum, min, max, mean and P50–P99.9 within 0.78% of the exact
 * values, in bounded memory. Create it with {@link MetricRegistry.histogram}.
 *
 * @example
 * const size = registry.histogram('import_batch_rows', { labelNames: ['source'], maxValue: 1e6 });
 * size.observe(1_250, { source: 'csv' });
 * const end = registry.histogram('report_render_ms').startTimer();
 * renderReport();
 * end(); // observes the elapsed ms
 */
export class Histogram<L extends string = string> extends CustomMetricBase<L, HistogramSeries> {
  readonly type = 'histogram';
  readonly minValue: number;
  readonly maxValue: number;
  readonly #context: MetricContext;
  readonly #quantiles = [0, 0, 0, 0, 0];

  /**
   * @internal Use {@link MetricRegistry.histogram}, which validates the arguments.
   * @throws RangeError when `minValue` or `maxValue` is out of range
   */
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    context: MetricContext,
    range: { minValue?: number; maxValue?: number },
  ) {
    const probe = new Sketch(range);
    const options = { minValue: probe.minValue, maxValue: probe.maxValue, wide: true };
    super(name, help, labelNames, context, (labels, overflow) => ({
      labels,
      overflow,
      detached: false,
      sketch: new Sketch(options),
    }));
    this.minValue = probe.minValue;
    this.maxValue = probe.maxValue;
    this.#context = context;
  }

  /**
   * Records `value` in the series of `labels`.
   * @throws RangeError when `value` is not a finite number, or a label value is over 200 characters
   * @throws TypeError when `labels` does not give exactly the declared label names
   */
  observe(value: number, labels?: Labels<L>): void {
    checkFinite(value, this.name);
    this.store.get(labels).sketch.record(value);
  }

  /**
   * Starts timing with the registry's clock; the returned function observes
   * the elapsed ms in the series of `labels` and returns it. Calling it again
   * returns the same figure without observing twice.
   * @throws TypeError or RangeError as {@link Histogram.observe} does for `labels`
   */
  startTimer(labels?: Labels<L>): EndTimer {
    return this.labels(labels ?? ({} as Labels<L>)).startTimer();
  }

  /**
   * The histogram bound to one label combination, for hot paths.
   * @throws TypeError or RangeError as {@link Histogram.observe} does for `labels`
   */
  labels(values: Labels<L>): BoundHistogram {
    const store = this.store;
    const binding = store.bind(values);
    const name = this.name;
    const clock = this.#context.clock;
    return {
      observe(value) {
        checkFinite(value, name);
        store.current(binding).sketch.record(value);
      },
      startTimer() {
        const startMs = clock.now();
        let elapsedMs: number | undefined;
        return () => {
          if (elapsedMs === undefined) {
            elapsedMs = Math.max(0, clock.now() - startMs);
            store.current(binding).sketch.record(elapsedMs);
          }
          return elapsedMs;
        };
      },
    };
  }

  /** The histogram's current figures. */
  collect(): HistogramSnapshot {
    const q = this.#quantiles;
    return {
      ...this.header(),
      type: this.type,
      series: this.store.map(({ labels, sketch }) => {
        sketch.quantiles(QUANTILES, q);
        const empty = sketch.count === 0;
        return {
          labels,
          count: sketch.count,
          sum: sketch.sum,
          min: empty ? 0 : sketch.min,
          max: empty ? 0 : sketch.max,
          mean: sketch.mean,
          p50: q[0]!,
          p90: q[1]!,
          p95: q[2]!,
          p99: q[3]!,
          p999: q[4]!,
        };
      }),
    };
  }
}
