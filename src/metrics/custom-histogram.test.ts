import { describe, expect, it } from 'vitest';
import { MetricRegistry } from './custom-metrics.js';

function fakeClock(start = 0) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** Deterministic log-uniform values between 0.1 and 100,000. */
function values(n: number, seed = 42): number[] {
  let state = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    out.push(0.1 * 10 ** (6 * (state / 2_147_483_648)));
  }
  return out;
}

function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe('Histogram', () => {
  it('reports zeros when empty', () => {
    const histogram = new MetricRegistry().histogram('rows');
    expect(histogram.collect()).toEqual({
      name: 'rows',
      type: 'histogram',
      help: '',
      labelNames: [],
      overflowCount: 0,
      series: [
        {
          labels: {},
          count: 0,
          sum: 0,
          min: 0,
          max: 0,
          mean: 0,
          p50: 0,
          p90: 0,
          p95: 0,
          p99: 0,
          p999: 0,
        },
      ],
    });
  });

  it('reports exact count, sum, min, max and mean', () => {
    const histogram = new MetricRegistry().histogram('rows');
    for (const v of [1, 2, 3, 10]) histogram.observe(v);
    expect(histogram.collect().series[0]).toMatchObject({
      count: 4,
      sum: 16,
      min: 1,
      max: 10,
      mean: 4,
    });
  });

  it.each([
    ['p50', 0.5],
    ['p90', 0.9],
    ['p95', 0.95],
    ['p99', 0.99],
    ['p999', 0.999],
  ] as const)('reports %s within one percent of the exact value', (field, q) => {
    const histogram = new MetricRegistry().histogram('latency', { maxValue: 1e6 });
    const data = values(20_000);
    for (const v of data) histogram.observe(v);
    const exact = exactQuantile(
      [...data].sort((a, b) => a - b),
      q,
    );
    const reported = histogram.collect().series[0]![field];
    expect(Math.abs(reported - exact) / exact).toBeLessThanOrEqual(0.01);
  });

  it('keeps one distribution per label combination', () => {
    const histogram = new MetricRegistry().histogram('batch_rows', { labelNames: ['source'] });
    histogram.observe(10, { source: 'csv' });
    histogram.observe(30, { source: 'csv' });
    histogram.labels({ source: 'api' }).observe(5);
    const series = histogram.collect().series;
    expect(series.map((s) => [s.labels, s.count, s.sum])).toEqual([
      [{ source: 'csv' }, 2, 40],
      [{ source: 'api' }, 1, 5],
    ]);
  });

  it.each([
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    '3' as unknown as number,
  ])('rejects observe(%s) with a RangeError naming value', (value) => {
    const histogram = new MetricRegistry().histogram('h');
    expect(() => histogram.observe(value)).toThrow(RangeError);
    expect(() => histogram.labels({}).observe(value)).toThrow(/value/);
    expect(histogram.collect().series[0]?.count).toBe(0);
  });

  it('keeps count, sum, min and max exact for values outside the range', () => {
    const histogram = new MetricRegistry().histogram('h', { minValue: 1, maxValue: 100 });
    histogram.observe(0.5);
    histogram.observe(1_000);
    const series = histogram.collect().series[0]!;
    expect(series).toMatchObject({ count: 2, sum: 1_000.5, min: 0.5, max: 1_000 });
    for (const q of [series.p50, series.p90, series.p999]) {
      expect(q).toBeGreaterThanOrEqual(0.5);
      expect(q).toBeLessThanOrEqual(1_000);
    }
  });

  it.each([
    [{ minValue: 0 }, /minValue/],
    [{ minValue: 10, maxValue: 5 }, /maxValue/],
    [{ maxValue: Number.POSITIVE_INFINITY }, /maxValue/],
  ])('rejects the range %o', (range, message) => {
    expect(() => new MetricRegistry().histogram('h', range)).toThrow(message);
  });

  it('times with the injected clock and observes once', () => {
    const clock = fakeClock(1_000);
    const histogram = new MetricRegistry({ clock }).histogram('render_ms', {
      labelNames: ['report'],
    });
    const end = histogram.startTimer({ report: 'ledger' });
    clock.t += 12.5;
    expect(end()).toBe(12.5);
    clock.t += 100;
    expect(end()).toBe(12.5);
    expect(histogram.collect().series[0]).toMatchObject({
      labels: { report: 'ledger' },
      count: 1,
      sum: 12.5,
    });
  });

  it('times without labels and through a bound child', () => {
    const clock = fakeClock();
    const registry = new MetricRegistry({ clock });
    const plain = registry.histogram('plain_ms');
    const endPlain = plain.startTimer();
    clock.t = 3;
    endPlain();
    const bound = registry.histogram('bound_ms', { labelNames: ['k'] }).labels({ k: 'a' });
    const endBound = bound.startTimer();
    clock.t = 10;
    expect(endBound()).toBe(7);
    expect(registry.collect().map((m) => m.series[0])).toMatchObject([{ sum: 3 }, { sum: 7 }]);
  });

  it('checks the labels of a timer when it starts', () => {
    const histogram = new MetricRegistry().histogram('render_ms', { labelNames: ['report'] });
    expect(() => histogram.startTimer()).toThrow(TypeError);
    expect(() => histogram.startTimer({ report: 'a', extra: 'b' } as never)).toThrow(TypeError);
  });

  it('reset forgets every value', () => {
    const histogram = new MetricRegistry().histogram('h');
    histogram.observe(5);
    histogram.reset();
    histogram.observe(7);
    expect(histogram.collect().series[0]).toMatchObject({ count: 1, sum: 7 });
  });
});
