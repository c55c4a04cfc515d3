import { checkName, describe, keelVersion, toEpochMs } from '../../core/index.js';
import type { HealthReport } from '../../health/index.js';
import { type FixedBounds, fixedBounds, LifetimeBucketsReader } from '../../metrics/index.js';
import { DEFAULT_BUCKETS_MS } from '../export-sources.js';
import { collectFamilies, type LabelPairs, type MetricFamily } from '../metric-families.js';
import { OPERATION_METRICS, otelFamily } from './otel-families.js';
import type { OtelSources } from './otel-sources.js';
import {
  CUMULATIVE,
  type ExportMetricsServiceRequest,
  type HistogramDataPoint,
  type KeyValue,
  type Metric,
  type NumberDataPoint,
} from './otlp-json.js';

/** Who sends the metrics: the OTLP resource. */
export interface OtlpResourceOptions {
  /**
   * `service.name` of the resource.
   * @defaultValue 'unknown_service:node' (OpenTelemetry's default for Node.js)
   */
  serviceName?: string;
  /**
   * More resource attributes (`service.version`, `deployment.environment.name`, …);
   * they win over Keel's own `telemetry.sdk.*`.
   */
  resourceAttributes?: Readonly<Record<string, string>>;
}

/** Options of {@link encodeOtlpMetrics}. */
export interface OtlpEncodeOptions extends OtlpResourceOptions {
  /**
   * Bucket bounds of `keel.operation_duration`, in ms (written in seconds);
   * every latency target is added.
   * @defaultValue 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
   */
  bucketsMs?: readonly number[];
  /** When the figures are read, Unix ms. @defaultValue Date.now() */
  timeUnixMs?: number;
  /**
   * Start of the cumulative series whose own start Keel does not know, Unix ms.
   * @defaultValue the process start (`performance.timeOrigin`)
   */
  startTimeUnixMs?: number;
}

/** The scope Keel's metrics are reported under. */
export const KEEL_SCOPE = 'keel';

/**
 * Encodes Keel's metrics as one OTLP `ExportMetricsServiceRequest` in the
 * protobuf-JSON mapping (what OTLP/HTTP with `application/json` carries):
 * operation durations as cumulative histograms in seconds with per-bucket
 * counts, counters as monotonic cumulative sums, gauges, statesets as
 * gauges of 0/1 by `state`, info as a gauge of 1, the app's histograms as
 * summaries. Non-finite values (an unlimited capacity's limit) are left out.
 *
 * @throws RangeError or TypeError naming an invalid option
 * @example
 * const body = JSON.stringify(encodeOtlpMetrics(exportSourcesOf(monitor), { serviceName: 'billing' }));
 */
export function encodeOtlpMetrics(
  sources: OtelSources,
  options: OtlpEncodeOptions = {},
): ExportMetricsServiceRequest {
  return new OtlpEncoder(options).encode(sources, options.timeUnixMs ?? Date.now());
}

/** An encoder that keeps its lifetime reader (and its per-slice sums) between requests. */
export class OtlpEncoder {
  readonly #bucketsMs: readonly number[];
  readonly #resource: KeyValue[];
  readonly #startTimeUnixMs: number;
  readonly #reader = new LifetimeBucketsReader();
  #bounds: { key: string; bounds: FixedBounds; seconds: number[] } | undefined;

  /** @throws RangeError or TypeError naming an invalid option */
  constructor(options: Omit<OtlpEncodeOptions, 'timeUnixMs'> = {}) {
    this.#bucketsMs = fixedBounds(options.bucketsMs ?? DEFAULT_BUCKETS_MS).ms;
    this.#resource = attributes(Object.entries(resourceOf(options)));
    const start = options.startTimeUnixMs ?? performance.timeOrigin;
    if (!Number.isFinite(start) || start < 0) {
      throw new RangeError(
        `startTimeUnixMs must be a Unix time in ms >= 0, got ${describe(start)}`,
      );
    }
    this.#startTimeUnixMs = start;
  }

  /** The request for the figures as they are now. */
  encode(
    sources: OtelSources,
    timeUnixMs: number,
    health: HealthReport = sources.health(),
  ): ExportMetricsServiceRequest {
    const time = unixNano(timeUnixMs);
    const start = unixNano(Math.min(this.#startTimeUnixMs, timeUnixMs));
    const metrics = this.#operations(sources, timeUnixMs, time);
    const seen = new Set(metrics.map((m) => m.name));
    for (const family of collectFamilies(sources, health)) {
      const metric = familyMetric(family, start, time);
      // A custom metric named like one of Keel's is left out, as in the Prometheus exposition.
      if (metric === undefined || seen.has(metric.name)) continue;
      seen.add(metric.name);
      metrics.push(metric);
    }
    return {
      resourceMetrics: [
        {
          resource: { attributes: this.#resource },
          scopeMetrics: [{ scope: { name: KEEL_SCOPE, version: sources.version }, metrics }],
        },
      ],
    };
  }

  /** `keel.operation_duration` and `keel.operation_errors`, one point per operation. */
  #operations(sources: OtelSources, timeUnixMs: number, time: string): Metric[] {
    const { bounds, seconds } = this.#currentBounds(sources.targetLatencies());
    const histogram: HistogramDataPoint[] = [];
    const errors: NumberDataPoint[] = [];
    const clock = sources.clock;
    for (const op of sources.operations()) {
      const b = this.#reader.read(op, bounds);
      const startMs =
        clock === undefined ? this.#startTimeUnixMs : toEpochMs(clock, op.createdAtMs);
      const startTimeUnixNano = unixNano(Math.max(0, Math.min(startMs, timeUnixMs)));
      const attrs = attributes([
        ['operation', b.name],
        ['kind', b.kind],
      ]);
      // Cumulative counts at the bounds become counts per bucket, the +Inf bucket last.
      const bucketCounts: string[] = [];
      let below = 0;
      for (const atMost of b.buckets) {
        bucketCounts.push(String(atMost - below));
        below = atMost;
      }
      bucketCounts.push(String(b.count - below));
      histogram.push({
        attributes: attrs,
        startTimeUnixNano,
        timeUnixNano: time,
        count: String(b.count),
        sum: b.sumMs / 1000,
        bucketCounts,
        explicitBounds: seconds,
      });
      errors.push({ attributes: attrs, startTimeUnixNano, timeUnixNano: time, asDouble: b.errors });
    }
    if (histogram.length === 0) return [];
    const { duration, errors: errorsName } = OPERATION_METRICS;
    return [
      {
        ...duration,
        description: 'Duration of each timed operation since its first call.',
        histogram: { dataPoints: histogram, aggregationTemporality: CUMULATIVE },
      },
      {
        ...errorsName,
        description: 'Calls of each timed operation that failed, since its first call.',
        sum: { dataPoints: errors, aggregationTemporality: CUMULATIVE, isMonotonic: true },
      },
    ];
  }

  /** The configured bounds and every target, in ms for the reader and in seconds for OTLP. */
  #currentBounds(targets: readonly number[]): { bounds: FixedBounds; seconds: number[] } {
    const key = targets.join(',');
    if (this.#bounds === undefined || this.#bounds.key !== key) {
      const bounds = fixedBounds([...this.#bucketsMs, ...targets]);
      this.#bounds = { key, bounds, seconds: bounds.ms.map((ms) => ms / 1000) };
    }
    return this.#bounds;
  }
}

/** A neutral family as an OTLP metric; undefined when it has no point. */
function familyMetric(family: MetricFamily, start: string, time: string): Metric | undefined {
  const f = otelFamily(family);
  const head = { name: f.name, unit: f.unit, description: f.description };
  if (f.kind === 'summary') {
    if (f.series.length === 0) return undefined;
    const dataPoints = f.series.map((x) => ({
      attributes: attributes(x.labels),
      startTimeUnixNano: start,
      timeUnixNano: time,
      count: String(x.count),
      sum: x.sum,
      quantileValues: x.quantiles
        .filter(([, value]) => Number.isFinite(value))
        .map(([quantile, value]) => ({ quantile, value })),
    }));
    return { ...head, summary: { dataPoints } };
  }
  // Infinity (an unlimited capacity) is left out: the JSON mapping writes it as a string, which
  // older collectors and other OTLP receivers refuse, with the whole request.
  const points = f.points.filter((p) => Number.isFinite(p.value));
  if (points.length === 0) return undefined;
  const sum = f.kind === 'sum';
  const dataPoints = points.map((p) => ({
    attributes: attributes(p.attributes),
    // A gauge has no start: its value is not accumulated over time.
    ...(sum ? { startTimeUnixNano: start } : {}),
    timeUnixNano: time,
    asDouble: p.value,
  }));
  return sum
    ? { ...head, sum: { dataPoints, aggregationTemporality: CUMULATIVE, isMonotonic: true } }
    : { ...head, gauge: { dataPoints } };
}

function attributes(pairs: LabelPairs): KeyValue[] {
  return pairs.map(([key, value]) => ({ key, value: { stringValue: value } }));
}

/** Unix ms as Unix ns in a decimal string (fixed64 in the JSON mapping), as precise as the double (~0.25 µs now). */
export function unixNano(ms: number): string {
  const whole = Math.floor(ms);
  return (BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6))).toString();
}

/** The resource's attributes: service.name, Keel as the telemetry SDK, then the app's. */
function resourceOf(options: OtlpResourceOptions): Record<string, string> {
  const serviceName = checkName(options.serviceName ?? 'unknown_service:node', 'serviceName', 255);
  const extra = options.resourceAttributes ?? {};
  if (typeof extra !== 'object' || extra === null) {
    throw new TypeError(`resourceAttributes must be an object of strings, got ${describe(extra)}`);
  }
  for (const [key, value] of Object.entries(extra)) {
    if (typeof value !== 'string') {
      throw new TypeError(
        `resourceAttributes[${JSON.stringify(key)}] must be a string, got ${describe(value)}`,
      );
    }
  }
  return {
    'service.name': serviceName,
    'telemetry.sdk.name': 'keel',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': keelVersion(),
    ...extra,
  };
}
