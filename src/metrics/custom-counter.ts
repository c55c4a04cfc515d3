import { describe } from '../core/index.js';
import { CustomMetricBase } from './custom-metric-base.js';
import type { Labels, MetricContext, Series, ValueSeriesSnapshot } from './custom-series-store.js';

/** Options of {@link MetricRegistry.counter}. */
export interface CounterOptions<L extends string = string> {
  /** One line saying what is counted. @defaultValue '' */
  help?: string;
  /** Names of the labels every update gives. @defaultValue [] (one series) */
  labelNames?: readonly L[];
}

/** A counter bound to one label combination: updates without a lookup. */
export interface BoundCounter {
  /**
   * Adds `value` to the series.
   * @throws RangeError when `value` is not a finite number >= 0
   */
  inc(value?: number): void;
}

/** A counter as {@link MetricRegistry.collect} reports it. */
export interface CounterSnapshot {
  readonly name: string;
  readonly type: 'counter';
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Updates that went to the overflow series since the last reset. */
  readonly overflowCount: number;
  readonly series: ValueSeriesSnapshot[];
}

interface CounterSeries extends Series {
  value: number;
}

function checkIncrement(value: unknown, metric: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= Number.MAX_VALUE)) {
    throw new RangeError(
      `value for counter "${metric}" must be a finite number >= 0, got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * A value that only goes up (requests served, invoices sent), per label
 * combination. Create it with {@link MetricRegistry.counter}.
 *
 * @example
 * const sent = registry.counter('invoices_sent_total', { labelNames: ['channel'] });
 * sent.inc(1, { channel: 'email' });
 * const byEmail = sent.labels({ channel: 'email' }); // bind once on hot paths
 * byEmail.inc();
 */
export class Counter<L extends string = string> extends CustomMetricBase<L, CounterSeries> {
  readonly type = 'counter';

  /** @internal Use {@link MetricRegistry.counter}, which validates the arguments. */
  constructor(name: string, help: string, labelNames: readonly L[], context: MetricContext) {
    super(name, help, labelNames, context, (labels, overflow) => ({
      labels,
      overflow,
      detached: false,
      value: 0,
    }));
  }

  /**
   * Adds `value` to the series of `labels`.
   * @throws RangeError when `value` is not a finite number >= 0, or a label value is over 200 characters
   * @throws TypeError when `labels` does not give exactly the declared label names
   */
  inc(value = 1, labels?: Labels<L>): void {
    checkIncrement(value, this.name);
    this.store.get(labels).value += value;
  }

  /**
   * The counter bound to one label combination, for hot paths.
   * @throws TypeError or RangeError as {@link Counter.inc} does for `labels`
   */
  labels(values: Labels<L>): BoundCounter {
    const store = this.store;
    const binding = store.bind(values);
    const name = this.name;
    return {
      inc(value = 1) {
        checkIncrement(value, name);
        store.current(binding).value += value;
      },
    };
  }

  /** The counter's current values. */
  collect(): CounterSnapshot {
    return {
      ...this.header(),
      type: this.type,
      series: this.store.map((s) => ({ labels: s.labels, value: s.value })),
    };
  }
}
