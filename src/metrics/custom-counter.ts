import { describe } from '../core/index.js';
import {
  type Labels,
  type MetricContext,
  type Series,
  SeriesStore,
  type ValueSeriesSnapshot,
} from './custom-series-store.js';

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
export class Counter<L extends string = string> {
  readonly type = 'counter';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly #store: SeriesStore<CounterSeries>;

  /** @internal Use {@link MetricRegistry.counter}, which validates the arguments. */
  constructor(name: string, help: string, labelNames: readonly L[], context: MetricContext) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.#store = new SeriesStore(name, labelNames, context, (labels, overflow) => ({
      labels,
      overflow,
      detached: false,
      value: 0,
    }));
  }

  /** Updates that went to the overflow series since the last reset. */
  get overflowCount(): number {
    return this.#store.overflowCount;
  }

  /** Number of series, the overflow one included. */
  get seriesCount(): number {
    return this.#store.size;
  }

  /**
   * Adds `value` to the series of `labels`.
   * @throws RangeError when `value` is not a finite number >= 0, or a label value is over 200 characters
   * @throws TypeError when `labels` does not give exactly the declared label names
   */
  inc(value = 1, labels?: Labels<L>): void {
    checkIncrement(value, this.name);
    this.#store.get(labels).value += value;
  }

  /**
   * The counter bound to one label combination, for hot paths.
   * @throws TypeError or RangeError as {@link Counter.inc} does for `labels`
   */
  labels(values: Labels<L>): BoundCounter {
    const store = this.#store;
    const binding = store.bind(values);
    const name = this.name;
    return {
      inc(value = 1) {
        checkIncrement(value, name);
        store.current(binding).value += value;
      },
    };
  }

  /** Drops every series and the overflow count; bound handles keep working. */
  reset(): void {
    this.#store.reset();
  }

  /** The counter's current values. */
  collect(): CounterSnapshot {
    return {
      name: this.name,
      type: this.type,
      help: this.help,
      labelNames: this.labelNames,
      overflowCount: this.#store.overflowCount,
      series: this.#store.map((s) => ({ labels: s.labels, value: s.value })),
    };
  }
}
