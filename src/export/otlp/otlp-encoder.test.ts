import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { exportMonitor, recordCalls } from '../../../test/fixtures/export-monitor.js';
import { keelVersion } from '../../core/index.js';
import { otelName } from './otel-families.js';
import { encodeOtlpMetrics, unixNano } from './otlp-encoder.js';
import type { ExportMetricsServiceRequest, HistogramDataPoint, Metric } from './otlp-json.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function setup() {
  const m = await exportMonitor();
  closers.push(m.close);
  return m;
}

function metricsOf(request: ExportMetricsServiceRequest): Map<string, Metric> {
  const scope = request.resourceMetrics[0]?.scopeMetrics[0];
  return new Map((scope?.metrics ?? []).map((m) => [m.name, m]));
}

function attrs(point: { attributes: Array<{ key: string; value: { stringValue: string } }> }) {
  return Object.fromEntries(point.attributes.map((a) => [a.key, a.value.stringValue]));
}

describe('encodeOtlpMetrics', () => {
  it('writes the resource, the keel scope and every family in OTel terms', async () => {
    const { monitor, sources } = await setup();
    recordCalls(monitor);
    monitor.registerSession('s1');
    monitor.metrics.counter('invoices_sent_total', { labelNames: ['channel'] }).inc(3, {
      channel: 'email',
    });
    monitor.metrics.histogram('import_rows').observe(120);
    const request = encodeOtlpMetrics(sources, {
      serviceName: 'billing',
      resourceAttributes: { 'deployment.environment.name': 'test' },
      timeUnixMs: 1_700_000_000_123.5,
      startTimeUnixMs: 1_700_000_000_000,
    });
    const resource = Object.fromEntries(
      request.resourceMetrics[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]),
    );
    expect(resource).toEqual({
      'service.name': 'billing',
      'telemetry.sdk.name': 'keel',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': keelVersion(),
      'deployment.environment.name': 'test',
    });
    expect(request.resourceMetrics[0]!.scopeMetrics[0]!.scope).toEqual({
      name: 'keel',
      version: keelVersion(),
    });
    const metrics = metricsOf(request);
    // Counters: monotonic cumulative sums from the series start, no `_total`.
    expect(metrics.get('keel.sessions_started')).toMatchObject({
      unit: '',
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        dataPoints: [
          {
            asDouble: 1,
            startTimeUnixNano: '1700000000000000000',
            timeUnixNano: '1700000000123500000',
          },
        ],
      },
    });
    // Gauges: no start time.
    const active = metrics.get('keel.sessions_active') as Extract<Metric, { gauge: unknown }>;
    expect(active.gauge.dataPoints).toEqual([
      { attributes: [], timeUnixNano: '1700000000123500000', asDouble: 1 },
    ]);
    // A stateset: one point per state under `state`, 1 for the current one.
    const health = metrics.get('keel.health_status') as Extract<Metric, { gauge: unknown }>;
    const states = health.gauge.dataPoints.map((p) => [attrs(p).state, p.asDouble]);
    expect(states.map(([s]) => s)).toEqual(['UP', 'DEGRADED', 'DOWN', 'UNKNOWN']);
    expect(states.filter(([, v]) => v === 1)).toHaveLength(1);
    expect(metrics.get('keel.info')).toMatchObject({
      gauge: { dataPoints: [{ asDouble: 1, attributes: [{ key: 'version' }] }] },
    });
    // Units move from the Prometheus suffix into `unit`.
    expect(metrics.get('keel.backup_success')?.unit).toBe('1');
    expect(metrics.get('keel.gc_pause')?.unit).toBe('s');
    // The app's metrics keep their names; its histograms are summaries.
    expect(metrics.get('invoices_sent')).toMatchObject({
      sum: { dataPoints: [{ asDouble: 3, attributes: [{ key: 'channel' }] }] },
    });
    expect(metrics.get('import_rows')).toMatchObject({
      summary: { dataPoints: [{ count: '1', sum: 120 }] },
    });
    const q = (metrics.get('import_rows') as Extract<Metric, { summary: unknown }>).summary
      .dataPoints[0]!.quantileValues;
    expect(q.map((x) => x.quantile)).toEqual([0.5, 0.9, 0.95, 0.99, 0.999]);
  });

  it('writes each operation as a histogram in seconds with per-bucket counts', async () => {
    const { monitor, sources } = await setup();
    recordCalls(monitor);
    const metrics = metricsOf(encodeOtlpMetrics(sources));
    const duration = metrics.get('keel.operation_duration') as Extract<
      Metric,
      { histogram: unknown }
    >;
    expect(duration.unit).toBe('s');
    expect(duration.histogram.aggregationTemporality).toBe(2);
    const save = duration.histogram.dataPoints.find((p) => attrs(p).operation === 'save_invoice')!;
    expect(attrs(save)).toEqual({ operation: 'save_invoice', kind: 'db' });
    const stats = monitor.getOperationStats('save_invoice', { lifetime: true })!;
    expect(save.count).toBe(String(stats.count));
    expect(save.sum).toBeCloseTo(stats.totalMs / 1000, 6);
    expect(save.explicitBounds).toContain(0.2); // the default 200 ms target
    expect(save.bucketCounts).toHaveLength(save.explicitBounds.length + 1);
    const counts = save.bucketCounts.map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(stats.count);
    const at = (bound: number) => counts[save.explicitBounds.indexOf(bound)];
    expect(at(0.005)).toBe(3); // (2.5 ms, 5 ms]
    expect(at(0.2)).toBe(2); // (100 ms, 200 ms]: the two 150 ms calls
    expect(at(0.5)).toBe(1); // the failed 300 ms call
    expect(counts.at(-1)).toBe(1); // 20 s is past the last bound: the +Inf bucket
    const errors = metrics.get('keel.operation_errors') as Extract<Metric, { sum: unknown }>;
    expect(errors.sum.isMonotonic).toBe(true);
    const saveErrors = errors.sum.dataPoints.find((p) => attrs(p).operation === 'save_invoice');
    expect(saveErrors?.asDouble).toBe(stats.errorCount);
    expect(BigInt(save.startTimeUnixNano)).toBeLessThanOrEqual(BigInt(save.timeUnixNano));
  });

  it('property: per-bucket counts are whole, never negative, and sum to the count', async () => {
    const { monitor, sources } = await setup();
    const values = fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), {
      minLength: 1,
      maxLength: 60,
    });
    let run = 0;
    fc.assert(
      fc.property(values, (durations) => {
        const name = `op_${run++}`;
        for (const ms of durations) monitor.recordOperation(name, ms);
        const point = (
          metricsOf(encodeOtlpMetrics(sources)).get('keel.operation_duration') as Extract<
            Metric,
            { histogram: unknown }
          >
        ).histogram.dataPoints.find((p) => attrs(p).operation === name) as HistogramDataPoint;
        const counts = point.bucketCounts.map(Number);
        expect(counts.every((c) => Number.isSafeInteger(c) && c >= 0)).toBe(true);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(durations.length);
        expect(point.count).toBe(String(durations.length));
      }),
      { numRuns: 40 },
    );
  });

  it('leaves out non-finite values: an unlimited limit has no point', async () => {
    const m = await exportMonitor({ capacity: { resources: { uploads: { limit: Infinity } } } });
    closers.push(m.close);
    const limit = metricsOf(encodeOtlpMetrics(m.sources)).get('keel.capacity_limit') as Extract<
      Metric,
      { gauge: unknown }
    >;
    const byResource = new Map(limit.gauge.dataPoints.map((p) => [attrs(p).resource, p.asDouble]));
    expect(byResource.has('uploads')).toBe(false);
    expect(byResource.get('transactions')).toBe(10_000);
    // Every point survives JSON (Infinity would become null).
    expect(JSON.parse(JSON.stringify(limit))).toEqual(limit);
  });

  it('leaves out operation metrics when nothing was timed, and empty families', async () => {
    const { sources } = await setup();
    const metrics = metricsOf(encodeOtlpMetrics(sources));
    expect(metrics.has('keel.operation_duration')).toBe(false);
    for (const m of metrics.values()) {
      const data = Object.values(m).find((v) => typeof v === 'object') as { dataPoints: unknown[] };
      expect(data.dataPoints.length, m.name).toBeGreaterThan(0);
    }
  });

  it('leaves out a custom metric named like one of Keel’s (as the Prometheus exposition does)', async () => {
    const { monitor, sources } = await setup();
    monitor.registerSession('s1');
    monitor.metrics.gauge('keel_sessions_active').set(99);
    const scope = encodeOtlpMetrics(sources).resourceMetrics[0]!.scopeMetrics[0]!;
    const same = scope.metrics.filter((m) => m.name === 'keel.sessions_active');
    expect(same).toHaveLength(1);
    expect(same[0]).toMatchObject({ gauge: { dataPoints: [{ asDouble: 1 }] } });
  });

  it.each([
    [0, '0'],
    [1, '1000000'],
    [0.000_001, '1'],
    [1_700_000_000_123.5, '1700000000123500000'],
    [1_700_000_000_000, '1700000000000000000'],
  ])('unixNano(%d) = %s', (ms, ns) => {
    expect(unixNano(ms)).toBe(ns);
  });

  it.each([
    ['keel_sessions_active', 'keel.sessions_active', ''],
    ['keel_heap_used_bytes', 'keel.heap_used', 'By'],
    ['keel_backup_last_success_timestamp_seconds', 'keel.backup_last_success_timestamp', 's'],
    ['keel_capacity_utilization_ratio', 'keel.capacity_utilization', '1'],
    ['invoices_sent', 'invoices_sent', ''],
    ['request_seconds', 'request_seconds', ''],
  ])('otelName(%s) = %s [%s]', (family, name, unit) => {
    expect(otelName(family)).toEqual({ name, unit });
  });

  it.each([
    [{ serviceName: '' }, /serviceName/],
    [
      { resourceAttributes: { 'host.cpus': 2 as unknown as string } },
      /resourceAttributes\["host.cpus"\]/,
    ],
    [{ bucketsMs: [0] }, /bounds/],
    [{ startTimeUnixMs: -1 }, /startTimeUnixMs/],
  ])('rejects bad options %#', async (options, message) => {
    const { sources } = await setup();
    expect(() => encodeOtlpMetrics(sources, options)).toThrow(message);
  });
});
