export type { ExportSources } from './export-sources.js';
export { DEFAULT_BUCKETS_MS } from './export-sources.js';
export type { LabelPairs, MetricFamily, Sample } from './metric-families.js';
export { collectFamilies } from './metric-families.js';
export type {
  BatchCallbackLike,
  BatchObservableResultLike,
  MeterFeed,
  MeterFeedOptions,
  MeterLike,
  MeterProviderLike,
  ObservableLike,
  ObservedAttributes,
} from './otlp/meter-provider-feed.js';
export { feedMeterProvider } from './otlp/meter-provider-feed.js';
export type { OtelName } from './otlp/otel-families.js';
export { OPERATION_METRICS, otelName } from './otlp/otel-families.js';
export type { MonitorLike, OtelSources } from './otlp/otel-sources.js';
export { exportSourcesOf } from './otlp/otel-sources.js';
export type { OtlpEncodeOptions, OtlpResourceOptions } from './otlp/otlp-encoder.js';
export { encodeOtlpMetrics, KEEL_SCOPE } from './otlp/otlp-encoder.js';
export type {
  OtlpExportError,
  OtlpExporterConfig,
  OtlpExporterOptions,
  OtlpExporterStats,
  OtlpExportResult,
  OtlpRetryScheduledEvent,
} from './otlp/otlp-exporter.js';
export { OtlpExporter } from './otlp/otlp-exporter.js';
export type { ExportMetricsServiceRequest } from './otlp/otlp-json.js';
export { KEEL_INTERNAL_HEADER } from './otlp/otlp-request.js';
export type { OtlpRetryOptions } from './otlp/otlp-retry.js';
export type { PrometheusExporterOptions } from './prometheus/prometheus-exporter.js';
export { PrometheusExporter } from './prometheus/prometheus-exporter.js';
export type { ExpositionFormat, MetricType } from './prometheus/text-format.js';
export {
  ExpositionWriter,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  labelSet,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from './prometheus/text-format.js';
