import { CustomMetricBase } from './custom-metric-base.js';
import {
  checkFinite,
  type Labels,
  type MetricContext,
  type Series,
  type ValueSeriesSnapshot,
} from './custom-series-store.js';

/** Sets a gauge's value from a {@link GaugeOptions.collect} callback. */
export type GaugeSetter<L extends string = string> = (value: number, labels?: Labels<L>) => void;

/** Options of {@link MetricRegistry.gauge}. */
export interface GaugeOptions<L extends string = string> {
  /** One line saying what is measured. @defaultValue '' */
  help?: string;
  /** Names of the labels every update gives. @defaultValue [] (one series) */
  labelNames?: readonly L[];
  /**
   * Called at each collect to set current values (queue depth, pool size).
   * If it throws, the error is counted in `collectErrors` and the values
   * already set are reported. @defaultValue none
   */
  collect?: (set: GaugeSetter<L>) => void;
}

/** A gauge bound to one label combination: updates without a lookup. */
export interface BoundGauge {
  /** @throws RangeError when `value` is not a finite number */
  set(value: number): void;
  /** @throws RangeError when `value` is not a finite number */
  inc(value?: number): void;
  /** @throws RangeError when `value` is not a finite number */
  dec(value?: number): void;
}

/** A gauge as {@link MetricRegistry.collect} reports it. */
export interface GaugeSnapshot {
  readonly name: string;
  readonly type: 'gauge';
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Updates that went to the overflow series since the last reset. */
  readonly overflowCount: number;
  readonly series: ValueSeriesSnapshot[];
}

interface GaugeSeries extends Series {
  value: number;
}

/**
 * A value that goes up and down (open sessions, queue depth), per label
 * combination, set directly or by a callback at collect time. Create it with
 * {@link MetricRegistry.gauge}.
 *
 * @example
 * const depth = registry.gauge('queue_depth', {
 *   labelNames: ['queue'],
 *   collect: (set) => set(invoiceQueue.length, { queue: 'invoices' }),
 * });
 * depth.inc(1, { queue: 'emails' });
 */
export class Gauge<L extends string = string> extends CustomMetricBase<L, GaugeSeries> {
  readonly type = 'gauge';
  /** The callback given at registration, if any. */
  readonly collectCallback: ((set: GaugeSetter<L>) => void) | undefined;
  readonly #context: MetricContext;
  readonly #set: GaugeSetter<L> = (value, labels) => this.set(value, labels);
  #collectErrors = 0;

  /** @internal Use {@link MetricRegistry.gauge}, which validates the arguments. */
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    context: MetricContext,
    collect?: (set: GaugeSetter<L>) => void,
  ) {
    super(name, help, labelNames, context, (labels, overflow) => ({
      labels,
      overflow,
      detached: false,
      value: 0,
    }));
    this.collectCallback = collect;
    this.#context = context;
  }

  /** How many times the collect callback threw. */
  get collectErrors(): number {
    return this.#collectErrors;
  }

  /**
   * Sets the series of `labels` to `value`.
   * @throws RangeError when `value` is not a finite number, or a label value is over 200 characters
   * @throws TypeError when `labels` does not give exactly the declared label names
   */
  set(value: number, labels?: Labels<L>): void {
    checkFinite(value, this.name);
    this.store.get(labels).value = value;
  }

  /**
   * Adds `value` to the series of `labels`.
   * @throws RangeError or TypeError as {@link Gauge.set} does
   */
  inc(value = 1, labels?: Labels<L>): void {
    checkFinite(value, this.name);
    this.store.get(labels).value += value;
  }

  /**
   * Subtracts `value` from the series of `labels`.
   * @throws RangeError or TypeError as {@link Gauge.set} does
   */
  dec(value = 1, labels?: Labels<L>): void {
    checkFinite(value, this.name);
    this.store.get(labels).value -= value;
  }

  /**
   * The gauge bound to one label combination, for hot paths.
   * @throws TypeError or RangeError as {@link Gauge.set} does for `labels`
   */
  labels(values: Labels<L>): BoundGauge {
    const store = this.store;
    const binding = store.bind(values);
    const name = this.name;
    return {
      set(value) {
        checkFinite(value, name);
        store.current(binding).value = value;
      },
      inc(value = 1) {
        checkFinite(value, name);
        store.current(binding).value += value;
      },
      dec(value = 1) {
        checkFinite(value, name);
        store.current(binding).value -= value;
      },
    };
  }

  /** Runs the collect callback (never throws), then returns the gauge's current values. */
  collect(): GaugeSnapshot {
    if (this.collectCallback !== undefined) {
      try {
        this.collectCallback(this.#set);
      } catch {
        this.#collectErrors++;
        this.#context.collectFailed();
      }
    }
    return {
      ...this.header(),
      type: this.type,
      series: this.store.map((s) => ({ labels: s.labels, value: s.value })),
    };
  }
}
