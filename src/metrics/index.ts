export type { BoundCounter, Counter, CounterOptions, CounterSnapshot } from './custom-counter.js';
export type {
  BoundGauge,
  Gauge,
  GaugeOptions,
  GaugeSetter,
  GaugeSnapshot,
} from './custom-gauge.js';
export type {
  BoundHistogram,
  EndTimer,
  Histogram,
  HistogramOptions,
  HistogramSeriesSnapshot,
  HistogramSnapshot,
} from './custom-histogram.js';
export { HISTOGRAM_RESERVED_LABELS } from './custom-histogram.js';
export type {
  CardinalityExceededEvent,
  CustomMetric,
  MetricRegistryConfig,
  MetricRegistryOptions,
  MetricSnapshot,
  SeriesSnapshot,
} from './custom-metrics.js';
export { MetricRegistry } from './custom-metrics.js';
export type {
  Labels,
  LabelValue,
  SeriesLabels,
  ValueSeriesSnapshot,
} from './custom-series-store.js';
export { MAX_LABEL_VALUE_LENGTH, OVERFLOW_LABEL_VALUE } from './custom-series-store.js';
export type { FixedBounds, LifetimeBuckets } from './lifetime-buckets.js';
export { fixedBounds, LifetimeBucketsReader } from './lifetime-buckets.js';
export type { WindowSlot } from './operation.js';
export { Operation, OperationTimer } from './operation.js';
export type { OperationDelta } from './operation-deltas.js';
export { OperationDeltas } from './operation-deltas.js';
export type {
  OperationOptions,
  OperationOverflow,
  OperationRegistryConfig,
  OperationRegistryOptions,
  OperationsSnapshot,
  StatsOptions,
} from './operation-registry.js';
export { OperationRegistry, OVERFLOW_OPERATION } from './operation-registry.js';
export type { AggregateStats, KindStats, OperationStats } from './operation-stats.js';
export type { SketchJSON, SketchOptions } from './sketch.js';
export {
  bucketKey,
  bucketValue,
  DEFAULT_MAX_VALUE,
  DEFAULT_MIN_VALUE,
  RELATIVE_ACCURACY,
  Sketch,
} from './sketch.js';
export { SliceClock } from './slice-clock.js';
