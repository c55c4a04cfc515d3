export type { ExportSources } from './export-sources.js';
export { DEFAULT_BUCKETS_MS } from './export-sources.js';
export type { LabelPairs, MetricFamily, Sample } from './metric-families.js';
export { collectFamilies } from './metric-families.js';
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
