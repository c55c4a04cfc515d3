import { afterEach, describe, expect, it, vi } from 'vitest';
import { exportMonitor, recordCalls } from '../../../test/fixtures/export-monitor.js';
import { type Answer, startOtlpReceiver } from '../../../test/fixtures/otlp-receiver.js';
import { keelVersion } from '../../core/index.js';
import { type OtlpExportError, OtlpExporter, type OtlpExporterOptions } from './otlp-exporter.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.useRealTimers();
  // Last in, first out: exporters close before their receiver and monitor.
  for (const close of closers.splice(0).reverse()) await close();
});

/** A monitor with calls recorded, a receiver answering as told, and an exporter to it. */
async function setup(answer?: (n: number) => Answer, options: OtlpExporterOptions = {}) {
  const m = await exportMonitor();
  closers.push(m.close);
  recordCalls(m.monitor);
  const receiver = await startOtlpReceiver(answer);
  closers.push(receiver.close);
  const exporter = new OtlpExporter(m.sources, {
    url: receiver.url,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
  closers.push(() => exporter.close());
  const failures: OtlpExportError[] = [];
  exporter.onExportFailed((e) => failures.push(e));
  return { ...m, receiver, exporter, failures };
}

// biome-ignore lint/suspicious/noExplicitAny: decoded JSON, checked field by field
const metric = (body: any, name: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: as above
  body.resourceMetrics[0].scopeMetrics[0].metrics.find((m: any) => m.name === name);
// biome-ignore lint/suspicious/noExplicitAny: as above
const pointOf = (points: any[], operation: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: as above
  points.find((p: any) => p.attributes.some((a: any) => a.value.stringValue === operation));

describe('OtlpExporter', () => {
  it('POSTs one OTLP/JSON request a collector decodes, with the monitor’s own figures', async () => {
    const { monitor, receiver, exporter } = await setup(undefined, {
      serviceName: 'billing',
      headers: { Authorization: 'Bearer abc' },
    });
    expect(await exporter.exportNow()).toEqual({ ok: true, attempts: 1, rejectedDataPoints: 0 });
    const r = await receiver.next();
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/v1/metrics');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-keel-internal']).toBe('1');
    expect(r.headers.authorization).toBe('Bearer abc');
    expect(r.headers['user-agent']).toBe(`keel/${keelVersion()}`);
    const rm = r.body.resourceMetrics[0];
    expect(rm.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'billing' },
    });
    expect(rm.scopeMetrics[0].scope).toEqual({ name: 'keel', version: keelVersion() });
    const names = rm.scopeMetrics[0].metrics.map((m: { name: string }) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'keel.operation_duration',
        'keel.operation_errors',
        'keel.sessions_active',
        'keel.capacity_used',
        'keel.health_status',
        'keel.info',
      ]),
    );
    const duration = metric(r.body, 'keel.operation_duration');
    expect(duration.unit).toBe('s');
    expect(duration.histogram.aggregationTemporality).toBe(2);
    for (const name of ['save_invoice', 'render']) {
      const stats = monitor.getOperationStats(name, { lifetime: true })!;
      const p = pointOf(duration.histogram.dataPoints, name);
      // int64 and fixed64 fields are decimal strings in the JSON mapping.
      expect(p.count).toBe(String(stats.count));
      expect(p.timeUnixNano).toMatch(/^\d{19}$/);
      expect(p.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(p.bucketCounts.every((c: unknown) => typeof c === 'string')).toBe(true);
      expect(p.explicitBounds).toContain(0.2);
      expect(p.bucketCounts).toHaveLength(p.explicitBounds.length + 1);
      expect(p.bucketCounts.map(Number).reduce((a: number, b: number) => a + b, 0)).toBe(
        stats.count,
      );
      expect(p.sum).toBeCloseTo(stats.totalMs / 1000, 6);
      const errors = pointOf(metric(r.body, 'keel.operation_errors').sum.dataPoints, name);
      expect(errors.asDouble).toBe(stats.errorCount);
    }
    expect(exporter.stats).toMatchObject({ exports: 1, successes: 1, failures: 0, retries: 0 });
    expect(exporter.stats.lastSuccessAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it.each([429, 502, 503, 504])('retries after a %d, then succeeds', async (status) => {
    const { receiver, exporter, failures } = await setup((n) =>
      n === 0 ? { status, headers: { 'retry-after': '0' } } : { status: 200 },
    );
    expect(await exporter.exportNow()).toMatchObject({ ok: true, attempts: 2 });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toEqual(receiver.received[0]!.body); // the same request again
    expect(exporter.stats).toMatchObject({ successes: 1, failures: 0, retries: 1 });
    expect(failures).toEqual([]);
  });

  it('stops retrying at maxAttempts and counts one failure', async () => {
    const { receiver, exporter, failures } = await setup(() => ({ status: 503 }), {
      retry: { maxAttempts: 3, initialDelayMs: 1 },
    });
    const result = await exporter.exportNow();
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'http', status: 503, attempts: 3, retryable: true },
    });
    expect(receiver.received).toHaveLength(3);
    expect(exporter.stats).toMatchObject({ failures: 1, retries: 2, consecutiveFailures: 1 });
    expect(failures).toHaveLength(1);
  });

  it('never retries past its interval: a wait that would meet the next export gives up', async () => {
    const { receiver, exporter } = await setup(
      () => ({ status: 429, headers: { 'retry-after': '5' } }), // 5 s, the interval is 1 s
      { intervalMs: 1_000, retry: { maxDelayMs: 10_000 } },
    );
    const result = await exporter.exportNow();
    expect(result).toMatchObject({
      ok: false,
      error: { status: 429, attempts: 1, retryable: true },
    });
    expect(receiver.received).toHaveLength(1);
    expect(exporter.stats.retries).toBe(0);
  });

  it('takes a 400 as permanent: one request, counted and emitted as a failure', async () => {
    const { receiver, exporter, failures } = await setup(() => ({
      status: 400,
      body: JSON.stringify({ code: 3, message: 'invalid metric name' }),
    }));
    const result = await exporter.exportNow();
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'http', status: 400, attempts: 1, retryable: false },
    });
    expect(!result.ok && result.error.message).toMatch(/answered 400: invalid metric name/);
    expect(receiver.received).toHaveLength(1);
    expect(exporter.stats).toMatchObject({ exports: 1, failures: 1, retries: 0 });
    expect(exporter.stats.lastError?.status).toBe(400);
    expect(failures).toEqual([exporter.stats.lastError]);
  });

  it('counts the points a collector rejected in a partial success', async () => {
    const { exporter } = await setup(() => ({
      status: 200,
      body: JSON.stringify({ partialSuccess: { rejectedDataPoints: '2', errorMessage: 'dup' } }),
    }));
    expect(await exporter.exportNow()).toEqual({ ok: true, attempts: 1, rejectedDataPoints: 2 });
    expect(exporter.stats.rejectedDataPoints).toBe(2);
  });

  it('gives up on a collector that does not answer within timeoutMs (and does not retry it)', async () => {
    const { receiver, exporter, failures } = await setup(() => 'hang', { timeoutMs: 50 });
    const result = await exporter.exportNow();
    expect(result).toMatchObject({ ok: false, error: { kind: 'timeout', attempts: 1 } });
    expect(receiver.received).toHaveLength(1);
    expect(failures).toHaveLength(1);
  });

  it('never throws into the app when the collector is down (connection refused)', async () => {
    const m = await exportMonitor();
    closers.push(m.close);
    const down = await startOtlpReceiver();
    await down.close(); // nothing listens on its port any more
    const exporter = new OtlpExporter(m.sources, {
      url: down.url,
      intervalMs: 1_000,
      retry: { maxAttempts: 2, initialDelayMs: 1 },
    });
    closers.push(() => exporter.close());
    const failed = new Promise<OtlpExportError>((resolve) => exporter.onExportFailed(resolve));
    exporter.onExportFailed(() => {
      throw new Error('a listener that throws');
    });
    const result = await exporter.exportNow();
    expect(result).toMatchObject({ ok: false, error: { kind: 'network', attempts: 2 } });
    expect(!result.ok && result.error.message).toMatch(/ECONNREFUSED/);
    expect((await failed).kind).toBe('network');
    // On the schedule too: the tick's failure is counted, nothing is thrown or left unhandled.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    exporter.start();
    const second = new Promise<void>((resolve) => exporter.onExportFailed(() => resolve()));
    vi.advanceTimersByTime(1_000);
    await second;
    expect(exporter.stats).toMatchObject({ exports: 2, failures: 2, consecutiveFailures: 2 });
  });

  it('exports every intervalMs once started, and skips a tick while one still runs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { receiver, exporter, failures } = await setup(
      (n) => (n === 0 ? 'hang' : { status: 200 }),
      {
        intervalMs: 1_000,
        timeoutMs: 100,
      },
    );
    exporter.start();
    exporter.start(); // idempotent: one schedule
    expect(exporter.stats.scheduled).toBe(true);
    vi.advanceTimersByTime(1_000);
    await receiver.next(); // the first export, which hangs
    const timedOut = new Promise<void>((resolve) => exporter.onExportFailed(() => resolve()));
    vi.advanceTimersByTime(1_000); // it still runs: this tick is skipped
    expect(exporter.stats.skipped).toBe(1);
    await timedOut;
    vi.advanceTimersByTime(1_000);
    await receiver.next();
    expect(receiver.received).toHaveLength(2);
    expect(failures.map((f) => f.kind)).toEqual(['timeout']);
  });

  it('close() stops the schedule and sends a final export with the latest figures', async () => {
    const { monitor, receiver, exporter } = await setup(undefined, { intervalMs: 60_000 });
    exporter.start();
    monitor.recordOperation('render', 40);
    await exporter.close();
    expect(receiver.received).toHaveLength(1);
    const body = receiver.received[0]!.body;
    const p = pointOf(metric(body, 'keel.operation_duration').histogram.dataPoints, 'render');
    expect(p.count).toBe('3');
    expect(exporter.stats.scheduled).toBe(false);
    await exporter.close(); // idempotent
    expect(receiver.received).toHaveLength(1);
    expect(() => exporter.start()).toThrow(/closed/);
  });

  it('close() ends an export waiting to retry, then exports once more within timeoutMs', async () => {
    const { receiver, exporter } = await setup(
      (n) => (n === 0 ? { status: 503 } : { status: 200 }),
      {
        retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
        intervalMs: 120_000,
      },
    );
    exporter.start();
    const retrying = new Promise((resolve) => exporter.onRetryScheduled(resolve));
    const first = exporter.exportNow();
    expect(await retrying).toMatchObject({ attempt: 1, message: expect.stringMatching(/503/) });
    await exporter.close(); // the retry would come in 30 to 60 s
    expect(await first).toMatchObject({ ok: false, error: { kind: 'aborted' } });
    expect(receiver.received).toHaveLength(2); // the final export, not the retry
    expect(exporter.stats).toMatchObject({ successes: 1, failures: 1, retries: 0 });
  });

  it('exportNow() takes a signal', async () => {
    const { exporter } = await setup(() => 'hang');
    const result = await exporter.exportNow({ signal: AbortSignal.timeout(20) });
    expect(result).toMatchObject({ ok: false, error: { kind: 'aborted' } });
  });

  it.each([
    [{ url: 'ftp://collector:21/v1/metrics' }, TypeError, /url must be an http or https URL/],
    [{ url: 'not a url' }, TypeError, /url/],
    [{ intervalMs: 0 }, RangeError, /intervalMs/],
    [{ timeoutMs: 120_000 }, RangeError, /timeoutMs must be a number between 1 and intervalMs/],
    [{ retry: { maxAttempts: 0 } }, RangeError, /retry.maxAttempts/],
    [{ retry: { initialDelayMs: 10, maxDelayMs: 5 } }, RangeError, /retry.maxDelayMs/],
    [{ headers: { 'x-tenant': 7 as unknown as string } }, TypeError, /headers\["x-tenant"\]/],
    [{ serviceName: '' }, RangeError, /serviceName/],
  ])('rejects bad options %#', async (options, type, message) => {
    const m = await exportMonitor();
    closers.push(m.close);
    const make = () => new OtlpExporter(m.sources, options as OtlpExporterOptions);
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });
});
