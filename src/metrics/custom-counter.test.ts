import { describe, expect, it } from 'vitest';
import { MetricRegistry } from './custom-metrics.js';

describe('Counter', () => {
  it('starts at 0 without labels and adds 1 by default', () => {
    const registry = new MetricRegistry();
    const counter = registry.counter('jobs_total', { help: 'Jobs run.' });
    expect(counter.collect().series).toEqual([{ labels: {}, value: 0 }]);
    counter.inc();
    counter.inc(2.5);
    expect(counter.collect()).toEqual({
      name: 'jobs_total',
      type: 'counter',
      help: 'Jobs run.',
      labelNames: [],
      overflowCount: 0,
      series: [{ labels: {}, value: 3.5 }],
    });
  });

  it('keeps one series per label combination, values as strings', () => {
    const counter = new MetricRegistry().counter('http_requests_total', {
      labelNames: ['method', 'status'],
    });
    counter.inc(1, { method: 'GET', status: 200 });
    counter.inc(1, { status: '200', method: 'GET' });
    counter.inc(4, { method: 'POST', status: 500 });
    expect(counter.collect().series).toEqual([
      { labels: { method: 'GET', status: '200' }, value: 2 },
      { labels: { method: 'POST', status: '500' }, value: 4 },
    ]);
    expect(counter.seriesCount).toBe(2);
  });

  it('does not mix label combinations whose joined values are equal', () => {
    const counter = new MetricRegistry().counter('pairs_total', { labelNames: ['a', 'b'] });
    counter.inc(1, { a: 'x\u0000', b: 'y' });
    counter.inc(1, { a: 'x', b: '\u0000y' });
    counter.inc(1, { a: '1:x', b: '' });
    counter.inc(1, { a: '', b: '1:x' });
    expect(counter.seriesCount).toBe(4);
  });

  it('converts boolean and number label values', () => {
    const counter = new MetricRegistry().counter('flags_total', { labelNames: ['on', 'n'] });
    counter.inc(1, { on: true, n: 1.5 });
    expect(counter.collect().series[0]?.labels).toEqual({ on: 'true', n: '1.5' });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number])(
    'rejects inc(%s) with a RangeError naming value',
    (value) => {
      const counter = new MetricRegistry().counter('c_total');
      expect(() => counter.inc(value)).toThrow(RangeError);
      expect(() => counter.inc(value)).toThrow(/value/);
      expect(counter.collect().series[0]?.value).toBe(0);
    },
  );

  it('updates through a bound child', () => {
    const counter = new MetricRegistry().counter('sent_total', { labelNames: ['channel'] });
    const email = counter.labels({ channel: 'email' });
    email.inc();
    email.inc(2);
    counter.inc(1, { channel: 'email' });
    expect(counter.collect().series).toEqual([{ labels: { channel: 'email' }, value: 4 }]);
    expect(() => email.inc(-1)).toThrow(RangeError);
  });

  it('validates the labels of a bound child once, when binding', () => {
    const counter = new MetricRegistry().counter('sent_total', { labelNames: ['channel'] });
    expect(() => counter.labels({} as never)).toThrow(TypeError);
    expect(() => counter.labels({ channel: 'x'.repeat(201) })).toThrow(RangeError);
  });

  it('reset drops the series; a bound child keeps counting into a new one', () => {
    const counter = new MetricRegistry().counter('sent_total', { labelNames: ['channel'] });
    const email = counter.labels({ channel: 'email' });
    email.inc(5);
    counter.inc(1, { channel: 'sms' });
    counter.reset();
    expect(counter.collect().series).toEqual([]);
    email.inc();
    expect(counter.collect().series).toEqual([{ labels: { channel: 'email' }, value: 1 }]);
  });

  it('reset of a counter without labels reports 0 again', () => {
    const counter = new MetricRegistry().counter('c_total');
    const bound = counter.labels({});
    counter.inc(3);
    counter.reset();
    expect(counter.collect().series).toEqual([{ labels: {}, value: 0 }]);
    bound.inc();
    counter.inc();
    expect(counter.collect().series).toEqual([{ labels: {}, value: 2 }]);
  });
});
