import type { MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import {
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { exportMonitor, recordCalls } from '../../../test/fixtures/export-monitor.js';
import { feedMeterProvider, type MeterProviderLike } from './meter-provider-feed.js';

/** A reader the test collects from on demand. */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

// The API's MeterProvider (what `metrics.getMeterProvider()` returns) fits the structural type.
const _fits = (p: ApiMeterProvider): MeterProviderLike => p;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup() {
  const m = await exportMonitor();
  closers.push(m.close);
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  closers.push(() => provider.shutdown());
  /** Collects and gives the points of `name` as [attributes, value]. */
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    return (name: string) => points(resourceMetrics, name);
  };
  return { ...m, provider, collect };
}

function points(rm: ResourceMetrics, name: string): Array<[Record<string, unknown>, number]> {
  const metric = rm.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p: DataPoint<unknown>) => [
    p.attributes,
    p.value as number,
  ]);
}

const pointValue = (
  list: Array<[Record<string, unknown>, number]>,
  attrs: Record<string, string>,
): number | undefined =>
  list.find(([a]) => Object.entries(attrs).every(([k, v]) => a[k] === v))?.[1];

describe('feedMeterProvider', () => {
  it('feeds calls, errors and time per operation, read at collection time', async () => {
    const { monitor, sources, provider, collect } = await setup();
    recordCalls(monitor);
    const feed = feedMeterProvider(sources, provider);
    let get = await collect();
    const save = { operation: 'save_invoice', kind: 'db' };
    let stats = monitor.getOperationStats('save_invoice', { lifetime: true })!;
    expect(pointValue(get('keel.operation_calls'), save)).toBe(stats.count);
    expect(pointValue(get('keel.operation_errors'), save)).toBe(stats.errorCount);
    expect(pointValue(get('keel.operation_time'), save)).toBeCloseTo(stats.totalMs / 1000, 6);
    // Values move with the app between collections.
    monitor.recordOperation('save_invoice', 10, { kind: 'db', success: false });
    get = await collect();
    stats = monitor.getOperationStats('save_invoice', { lifetime: true })!;
    expect(stats.count).toBe(8);
    expect(pointValue(get('keel.operation_calls'), save)).toBe(stats.count);
    expect(pointValue(get('keel.operation_errors'), save)).toBe(stats.errorCount);
    expect(feed.collections).toBe(2);
    expect(feed.failures).toBe(0);
  });

  it('feeds the window percentiles per operation as gauges by quantile', async () => {
    const { monitor, sources, provider, collect } = await setup();
    recordCalls(monitor);
    feedMeterProvider(sources, provider);
    const get = await collect();
    const window = monitor.getOperationStats('save_invoice')!;
    const list = get('keel.operation_window_duration');
    for (const [quantile, ms] of [
      ['0.5', window.p50Ms],
      ['0.95', window.p95Ms],
      ['0.99', window.p99Ms],
    ] as const) {
      expect(pointValue(list, { operation: 'save_invoice', quantile })).toBeCloseTo(ms / 1000, 9);
    }
    expect(list).toHaveLength(6); // two operations, three quantiles each
  });

  it('feeds the families: counters, gauges, statesets by state, info', async () => {
    const { monitor, sources, provider, collect } = await setup();
    monitor.registerSession('s1');
    monitor.registerSession('s2');
    monitor.trackTransaction(5);
    feedMeterProvider(sources, provider);
    const get = await collect();
    expect(get('keel.sessions_active')).toEqual([[{}, 2]]);
    expect(get('keel.sessions_started')).toEqual([[{}, 2]]);
    expect(pointValue(get('keel.capacity_used'), { resource: 'transactions' })).toBe(5);
    const health = get('keel.health_status');
    expect(health.map(([a]) => a.state)).toEqual(['UP', 'DEGRADED', 'DOWN', 'UNKNOWN']);
    expect(health.filter(([, v]) => v === 1)).toHaveLength(1);
    expect(get('keel.info')).toEqual([[{ version: sources.version }, 1]]);
  });

  it('leaves out a custom metric named like one of Keel’s', async () => {
    const { monitor, sources, provider, collect } = await setup();
    monitor.registerSession('s1');
    monitor.metrics.gauge('keel_sessions_active').set(99);
    feedMeterProvider(sources, provider);
    expect((await collect())('keel.sessions_active')).toEqual([[{}, 1]]);
  });

  it('reports a custom metric made after feeding from the next collection on', async () => {
    const { monitor, sources, provider, collect } = await setup();
    feedMeterProvider(sources, provider);
    await collect();
    const sent = monitor.metrics.counter('invoices_sent_total', { labelNames: ['channel'] });
    sent.inc(3, { channel: 'email' });
    monitor.metrics.histogram('import_rows').observe(120);
    await collect(); // makes the instruments
    const get = await collect();
    expect(get('invoices_sent')).toEqual([[{ channel: 'email' }, 3]]);
    expect(get('import_rows_count')).toEqual([[{}, 1]]);
    expect(get('import_rows_sum')).toEqual([[{}, 120]]);
    expect(pointValue(get('import_rows'), { quantile: '0.5' })).toBeCloseTo(120, 0);
  });

  it('counts a failing read instead of throwing into the collection', async () => {
    const { sources, provider, collect } = await setup();
    let broken = false;
    const feed = feedMeterProvider(
      {
        ...sources,
        backups: () => {
          if (broken) throw new Error('backup stats unavailable');
          return sources.backups();
        },
      },
      provider,
    );
    broken = true;
    await collect();
    expect(feed.failures).toBe(1);
    expect(feed.lastError).toBe('backup stats unavailable');
  });

  it('stops feeding once disposed', async () => {
    const { monitor, sources, provider, collect } = await setup();
    recordCalls(monitor);
    const feed = feedMeterProvider(sources, provider);
    await collect();
    feed[Symbol.dispose]();
    feed[Symbol.dispose](); // idempotent
    monitor.recordOperation('render', 40);
    const get = await collect();
    // The SDK keeps the last cumulative value; the callback no longer moves it.
    expect(pointValue(get('keel.operation_calls'), { operation: 'render' }) ?? 2).toBe(2);
    expect(feed.collections).toBe(1);
  });
});
