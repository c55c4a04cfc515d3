/**
 * The OTLP metrics request in its protobuf-JSON mapping
 * (`opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest`):
 * fields in lowerCamelCase, enums as integers, 64-bit integers and
 * timestamps as decimal strings. Doubles are finite numbers: Keel leaves
 * non-finite values out rather than write them as strings, which not every
 * receiver reads. Only the fields Keel writes are typed.
 */
export interface ExportMetricsServiceRequest {
  resourceMetrics: ResourceMetrics[];
}

/** An attribute; Keel writes strings only. */
export interface KeyValue {
  key: string;
  value: { stringValue: string };
}

export interface ResourceMetrics {
  resource: { attributes: KeyValue[] };
  scopeMetrics: ScopeMetrics[];
}

export interface ScopeMetrics {
  scope: { name: string; version: string };
  metrics: Metric[];
}

/** `AGGREGATION_TEMPORALITY_CUMULATIVE`: every Keel figure counts from its start. */
export const CUMULATIVE = 2;

export type Metric = { name: string; description: string; unit: string } & (
  | { gauge: { dataPoints: NumberDataPoint[] } }
  | {
      sum: {
        dataPoints: NumberDataPoint[];
        aggregationTemporality: typeof CUMULATIVE;
        isMonotonic: boolean;
      };
    }
  | {
      histogram: {
        dataPoints: HistogramDataPoint[];
        aggregationTemporality: typeof CUMULATIVE;
      };
    }
  | { summary: { dataPoints: SummaryDataPoint[] } }
);

interface DataPointBase {
  attributes: KeyValue[];
  /** Start of the cumulative series (absent on gauges), Unix ns. */
  startTimeUnixNano?: string;
  /** When the value was read, Unix ns. */
  timeUnixNano: string;
}

export interface NumberDataPoint extends DataPointBase {
  asDouble: number;
}

export interface HistogramDataPoint extends DataPointBase {
  startTimeUnixNano: string;
  count: string;
  sum: number;
  /** Per bucket, NOT cumulative; one more than `explicitBounds` (the last is +Inf). */
  bucketCounts: string[];
  /** Upper bounds, inclusive, ascending. */
  explicitBounds: number[];
}

export interface SummaryDataPoint extends DataPointBase {
  startTimeUnixNano: string;
  count: string;
  sum: number;
  quantileValues: Array<{ quantile: number; value: number }>;
}

/** The response body of a collector that kept only part of a request. */
export interface ExportMetricsPartialSuccess {
  rejectedDataPoints?: string | number;
  errorMessage?: string;
}
