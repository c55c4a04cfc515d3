import { describe, expect, it } from 'vitest';
import { MetricRegistry } from './custom-metrics.js';

describe('Gauge', () => {
  it('sets, increments and decrements', () => {
    const gauge = new MetricRegistry().gauge('open_sessions');
    expect(gauge.collect().series).toEqual([{ labels: {}, value: 0 }]);
    gauge.set(10);
    gauge.inc();
    gauge.inc(4);
    gauge.dec();
    gauge.dec(2.5);
    expect(gauge.collect()).toMatchObject({
      type: 'gauge',
      series: [{ labels: {}, value: 11.5 }],
    });
    gauge.set(-3);
    expect(gauge.collect().series[0]?.value).toBe(-3);
  });

  it('keeps one series per label combination', () => {
    const gauge = new MetricRegistry().gauge('queue_depth', { labelNames: ['queue'] });
    gauge.set(3, { queue: 'emails' });
    gauge.inc(2, { queue: 'invoices' });
    gauge.dec(1, { queue: 'emails' });
    expect(gauge.collect().series).toEqual([
      { labels: { queue: 'emails' }, value: 2 },
      { labels: { queue: 'invoices' }, value: 2 },
    ]);
  });

  it('updates through a bound child', () => {
    const gauge = new MetricRegistry().gauge('pool_size', { labelNames: ['pool'] });
    const db = gauge.labels({ pool: 'db' });
    db.set(8);
    db.inc();
    db.dec(3);
    expect(gauge.collect().series).toEqual([{ labels: { pool: 'db' }, value: 6 }]);
    expect(() => db.set(Number.NaN)).toThrow(RangeError);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined])(
    'rejects set(%s) with a RangeError naming value',
    (value) => {
      const gauge = new MetricRegistry().gauge('g');
      expect(() => gauge.set(value as number)).toThrow(/value/);
      expect(() => gauge.inc(Number.NaN)).toThrow(RangeError);
      expect(() => gauge.dec(Number.NaN)).toThrow(RangeError);
    },
  );

  it('runs the collect callback at each collect', () => {
    let depth = 4;
    const registry = new MetricRegistry();
    registry.gauge('queue_depth', {
      labelNames: ['queue'],
      collect: (set) => {
        set(depth, { queue: 'invoices' });
        set(depth * 2, { queue: 'emails' });
      },
    });
    expect(registry.collect()[0]?.series).toEqual([
      { labels: { queue: 'invoices' }, value: 4 },
      { labels: { queue: 'emails' }, value: 8 },
    ]);
    depth = 1;
    expect(registry.collect()[0]?.series).toEqual([
      { labels: { queue: 'invoices' }, value: 1 },
      { labels: { queue: 'emails' }, value: 2 },
    ]);
  });

  it('counts a throwing collect callback instead of throwing, and reports what was set', () => {
    const registry = new MetricRegistry();
    const gauge = registry.gauge('heap_objects', {
      collect: (set) => {
        set(7);
        throw new Error('probe failed');
      },
    });
    const snapshots = registry.collect();
    expect(snapshots[0]?.series).toEqual([{ labels: {}, value: 7 }]);
    registry.collect();
    expect(gauge.collectErrors).toBe(2);
    expect(registry.collectErrors).toBe(2);
  });

  it('counts a collect callback that sets a bad value or bad labels', () => {
    const registry = new MetricRegistry();
    const gauge = registry.gauge('bad', {
      labelNames: ['k'],
      collect: (set) => set(Number.NaN, { k: 'a' }),
    });
    const wrongLabels = registry.gauge('bad_labels', {
      labelNames: ['k'],
      collect: (set) => set(1),
    });
    expect(() => registry.collect()).not.toThrow();
    expect(gauge.collectErrors).toBe(1);
    expect(wrongLabels.collectErrors).toBe(1);
    expect(registry.collectErrors).toBe(2);
  });
});
