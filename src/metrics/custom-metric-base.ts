import {
  type MetricContext,
  type Series,
  type SeriesLabels,
  SeriesStore,
} from './custom-series-store.js';

/** What counters, gauges and histograms share: identity, bounded series, reset. */
export abstract class CustomMetricBase<L extends string, S extends Series> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** @internal the series by label values, bounded by `maxSeriesPerMetric`. */
  protected readonly store: SeriesStore<S>;

  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    context: MetricContext,
    create: (labels: SeriesLabels, overflow: boolean) => S,
  ) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.store = new SeriesStore(name, labelNames, context, create);
  }

  /** Updates that went to the overflow series since the last reset. */
  get overflowCount(): number {
    return this.store.overflowCount;
  }

  /** Number of series, the overflow one included. */
  get seriesCount(): number {
    return this.store.size;
  }

  /** Drops every series and the overflow count; bound handles keep working. */
  reset(): void {
    this.store.reset();
  }

  /** The fields every snapshot starts with. */
  protected header(): {
    name: string;
    help: string;
    labelNames: readonly L[];
    overflowCount: number;
  } {
    return {
      name: this.name,
      help: this.help,
      labelNames: this.labelNames,
      overflowCount: this.store.overflowCount,
    };
  }
}
