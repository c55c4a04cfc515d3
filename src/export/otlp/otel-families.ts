import type { LabelPairs, MetricFamily } from '../metric-families.js';

/** An OpenTelemetry metric name with its UCUM unit. */
export interface OtelName {
  name: string;
  unit: string;
}

/** Prometheus unit suffixes and the UCUM units OpenTelemetry carries them as. */
const UNIT_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['_seconds', 's'],
  ['_bytes', 'By'],
  ['_ratio', '1'],
];

/**
 * The OpenTelemetry name of a Keel metric family: `keel_` becomes the
 * `keel.` namespace and a unit suffix moves into the unit
 * (`keel_heap_used_bytes` → `keel.heap_used`, `By`). A collector that
 * writes Prometheus again (dots to underscores, unit suffix and `_total`
 * added back) gives the very names of Keel's own `/metrics`. The app's own
 * metrics (not starting with `keel_`) keep their names, without a unit.
 */
export function otelName(family: string): OtelName {
  if (!family.startsWith('keel_')) return { name: family, unit: '' };
  const rest = family.slice('keel_'.length);
  for (const [suffix, unit] of UNIT_SUFFIXES) {
    if (rest.endsWith(suffix) && rest.length > suffix.length) {
      return { name: `keel.${rest.slice(0, -suffix.length)}`, unit };
    }
  }
  return { name: `keel.${rest}`, unit: '' };
}

/** Names of the operation metrics, which are not metric families. */
export const OPERATION_METRICS = {
  /** Histogram of every call's duration since start, seconds (OTLP push). */
  duration: { name: 'keel.operation_duration', unit: 's' },
  /** Failed calls since start. */
  errors: { name: 'keel.operation_errors', unit: '{call}' },
  /** Calls since start (the MeterProvider feed; in OTLP push, the histogram's count). */
  calls: { name: 'keel.operation_calls', unit: '{call}' },
  /** Time spent in calls since start, seconds (the MeterProvider feed). */
  time: { name: 'keel.operation_time', unit: 's' },
  /** Percentiles of the sliding window, by `quantile` (the MeterProvider feed). */
  windowDuration: { name: 'keel.operation_window_duration', unit: 's' },
} as const satisfies Record<string, OtelName>;

/** A metric family as OpenTelemetry sees it: a sum, a gauge or a summary, under its OTel name. */
export type OtelFamily = OtelName & { description: string } & (
    | { kind: 'sum' | 'gauge'; points: Array<{ attributes: LabelPairs; value: number }> }
    | { kind: 'summary'; series: Extract<MetricFamily, { type: 'summary' }>['series'] }
  );

/**
 * A neutral family in OpenTelemetry's terms: counters are monotonic sums;
 * gauges stay gauges; a stateset is a gauge of 0/1 whose state is the
 * `state` attribute; info is a gauge of 1 carrying its labels; summaries
 * stay summaries.
 */
export function otelFamily(f: MetricFamily): OtelFamily {
  const head = { ...otelName(f.name), description: f.help };
  switch (f.type) {
    case 'counter':
    case 'gauge':
      return {
        ...head,
        kind: f.type === 'counter' ? 'sum' : 'gauge',
        points: f.samples.map((s) => ({ attributes: s.labels, value: s.value })),
      };
    case 'stateset':
      return {
        ...head,
        kind: 'gauge',
        points: f.samples.map((s) => ({
          // OpenMetrics names the state label after the family; OpenTelemetry calls it `state`.
          attributes: s.labels.map(([k, v]) => (k === f.name ? ['state', v] : [k, v])),
          value: s.value,
        })),
      };
    case 'info':
      return { ...head, kind: 'gauge', points: [{ attributes: f.labels, value: 1 }] };
    case 'summary':
      return { ...head, kind: 'summary', series: f.series };
  }
}
