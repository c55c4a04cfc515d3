export type { ExportSources, PrometheusExporterOptions } from './prometheus/prometheus-exporter.js';
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
