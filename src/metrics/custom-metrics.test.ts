import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Counter } from './custom-counter.js';
import { type CardinalityExceededEvent, MetricRegistry } from './custom-metrics.js';

describe('MetricRegistry: options', () => {
  it('defaults to 2,000 series per metric', () => {
    expect(new MetricRegistry().config.maxSeriesPerMetric).toBe(2_000);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])(
    'rejects maxSeriesPerMetric %s with a RangeError naming it',
    (maxSeriesPerMetric) => {
      expect(() => new MetricRegistry({ maxSeriesPerMetric })).toThrow(RangeError);
      expect(() => new MetricRegistry({ maxSeriesPerMetric })).toThrow(/maxSeriesPerMetric/);
    },
  );
});

describe('MetricRegistry: names', () => {
  it.each(['a', 'http_requests_total', '_x', 'ns:sub:metric', 'A9_:'])(
    'accepts metric name %j',
    (name) => {
      expect(new MetricRegistry().counter(name).name).toBe(name);
    },
  );

  it.each(['', '9lives', 'has-dash', 'has space', 'é', 'a.b', 42 as unknown as string])(
    'rejects metric name %j with a TypeError naming it',
    (name) => {
      expect(() => new MetricRegistry().counter(name)).toThrow(TypeError);
      expect(() => new MetricRegistry().gauge(name)).toThrow(String(JSON.stringify(name)));
    },
  );

  it('rejects a metric name over 200 characters', () => {
    expect(() => new MetricRegistry().counter('a'.repeat(201))).toThrow(RangeError);
  });

  it.each([[['ok', 'x_1', '_private']], [['A', 'b']]])('accepts label names %j', (labelNames) => {
    expect(new MetricRegistry().gauge('g', { labelNames }).labelNames).toEqual(labelNames);
  });

  it.each([
    [['__reserved'], '__reserved'],
    [['1st'], '1st'],
    [['a:b'], 'a:b'],
    [['has-dash'], 'has-dash'],
    [[''], '""'],
    [['dup', 'dup'], 'dup'],
    [[7], '7'],
  ])('rejects label names %j with a TypeError naming %s', (labelNames, bad) => {
    const registry = new MetricRegistry();
    const options = { labelNames: labelNames as string[] };
    expect(() => registry.counter('c', options)).toThrow(TypeError);
    expect(() => registry.counter('c', options)).toThrow(bad);
    expect(registry.size).toBe(0);
  });

  it.each(['le', 'quantile'])('reserves label name %s for histograms only', (name) => {
    const registry = new MetricRegistry();
    expect(() => registry.histogram('h', { labelNames: [name] })).toThrow(TypeError);
    expect(registry.counter('c', { labelNames: [name] }).labelNames).toEqual([name]);
  });

  it('rejects a help that is not a string', () => {
    expect(() => new MetricRegistry().counter('c', { help: 1 as unknown as string })).toThrow(
      /help/,
    );
  });
});

describe('MetricRegistry: registration', () => {
  it('returns the same metric for the same name, type and label names', () => {
    const registry = new MetricRegistry();
    const a = registry.counter('c', { labelNames: ['x', 'y'] });
    expect(registry.counter('c', { labelNames: ['y', 'x'], help: 'other' })).toBe(a);
    const collect = () => {};
    const g = registry.gauge('g', { collect });
    expect(registry.gauge('g', { collect })).toBe(g);
    const h = registry.histogram('h', { maxValue: 1e6 });
    expect(registry.histogram('h', { maxValue: 1e6 })).toBe(h);
    expect(registry.size).toBe(3);
  });

  it.each([
    ['gauge', (r: MetricRegistry) => r.gauge('m')],
    ['histogram', (r: MetricRegistry) => r.histogram('m')],
  ] as const)('refuses a counter name again as a %s', (type, register) => {
    const registry = new MetricRegistry();
    registry.counter('m');
    expect(() => register(registry)).toThrow(TypeError);
    expect(() => register(registry)).toThrow(`already registered as a counter, not a ${type}`);
  });

  it('refuses the same name with other label names', () => {
    const registry = new MetricRegistry();
    registry.counter('c', { labelNames: ['x'] });
    expect(() => registry.counter('c', { labelNames: ['x', 'y'] })).toThrow(
      /labels \[x\], not \[x, y\]/,
    );
    expect(() => registry.counter('c')).toThrow(TypeError);
  });

  it('refuses a gauge again with another collect callback, a histogram with another range', () => {
    const registry = new MetricRegistry();
    registry.gauge('g', { collect: () => {} });
    expect(() => registry.gauge('g', { collect: () => {} })).toThrow(/collect callback/);
    registry.histogram('h');
    expect(() => registry.histogram('h', { maxValue: 10 })).toThrow(/range/);
  });

  it('gets, removes and clears metrics', () => {
    const registry = new MetricRegistry();
    const c = registry.counter('c');
    registry.gauge('g');
    expect(registry.get('c')).toBe(c);
    expect(registry.get('missing')).toBeUndefined();
    expect(registry.remove('c')).toBe(true);
    expect(registry.remove('c')).toBe(false);
    expect(registry.collect().map((m) => m.name)).toEqual(['g']);
    expect(registry.histogram('c').type).toBe('histogram');
    registry.clear();
    expect(registry.collect()).toEqual([]);
  });

  it('collects every metric in registration order', () => {
    const registry = new MetricRegistry();
    registry.histogram('h', { help: 'H.' });
    registry.counter('c', { labelNames: ['k'] }).inc(2, { k: 'v' });
    registry.gauge('g').set(3);
    expect(registry.collect()).toMatchObject([
      { name: 'h', type: 'histogram', help: 'H.', labelNames: [], series: [{ count: 0 }] },
      { name: 'c', type: 'counter', labelNames: ['k'], series: [{ labels: { k: 'v' }, value: 2 }] },
      { name: 'g', type: 'gauge', series: [{ labels: {}, value: 3 }] },
    ]);
  });
});

describe('MetricRegistry: labels', () => {
  const registry = new MetricRegistry();
  const counter = registry.counter('orders_total', { labelNames: ['region', 'plan'] });

  it.each([
    ['missing', undefined],
    ['empty', {}],
    ['one missing', { region: 'eu' }],
    ['one extra', { region: 'eu', plan: 'pro', tier: 1 }],
    ['an undefined extra', { region: 'eu', plan: 'pro', tier: undefined }],
    ['a wrong name', { region: 'eu', plane: 'pro' }],
    ['not an object', 'eu' as unknown],
  ])('throws a TypeError listing the expected names for %s labels', (_, labels) => {
    expect(() => counter.inc(1, labels as never)).toThrow(TypeError);
    expect(() => counter.inc(1, labels as never)).toThrow('takes labels {region, plan}');
  });

  it.each([null, undefined, {}, [], Symbol('s')])('rejects the label value %s', (value) => {
    expect(() => counter.inc(1, { region: 'eu', plan: value as never })).toThrow(TypeError);
  });

  it('rejects labels on a metric that declares none', () => {
    const plain = registry.counter('plain_total');
    expect(() => plain.inc(1, { region: 'eu' } as never)).toThrow('takes no labels');
    plain.inc(1, {});
    expect(plain.collect().series).toEqual([{ labels: {}, value: 1 }]);
  });

  it('rejects a label value longer than 200 characters', () => {
    expect(() => counter.inc(1, { region: 'x'.repeat(201), plan: 'pro' })).toThrow(RangeError);
    counter.inc(1, { region: 'x'.repeat(200), plan: 'pro' });
  });

  it('treats a label named like an Object.prototype member as missing when not given', () => {
    const odd = registry.counter('odd_total', { labelNames: ['constructor'] });
    expect(() => odd.inc(1, {} as never)).toThrow('takes labels {constructor}');
    odd.inc(1, { constructor: 'x' });
    expect(odd.collect().series).toEqual([{ labels: { constructor: 'x' }, value: 1 }]);
  });

  it('types the labels from the declared label names', () => {
    const typed = new MetricRegistry().counter('typed_total', { labelNames: ['method', 'code'] });
    expectTypeOf(typed).toEqualTypeOf<Counter<'method' | 'code'>>();
    expectTypeOf(typed.inc)
      .parameter(1)
      .toEqualTypeOf<Readonly<Record<'method' | 'code', string | number | boolean>> | undefined>();
    // @ts-expect-error a declared label is missing
    expect(() => typed.inc(1, { method: 'GET' })).toThrow(TypeError);
  });

  it('reserves the overflow label value', () => {
    expect(() => counter.inc(1, { region: '__overflow__', plan: 'pro' })).toThrow(RangeError);
  });
});

describe('MetricRegistry: cardinality', () => {
  it('keeps at most the limit plus one overflow series for 100,000 distinct label values', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 100 });
    const events: CardinalityExceededEvent[] = [];
    registry.onCardinalityExceeded((e) => events.push(e));
    const counter = registry.counter('by_user_total', { labelNames: ['user', 'kind'] });
    for (let i = 0; i < 100_000; i++) counter.inc(1, { user: `u${i}`, kind: 'x' });
    expect(counter.seriesCount).toBe(101);
    expect(counter.overflowCount).toBe(100_000 - 100);
    expect(events).toEqual([{ metric: 'by_user_total', limit: 100 }]);
    const snapshot = registry.collect()[0]!;
    expect(snapshot.series).toHaveLength(101);
    expect(snapshot.overflowCount).toBe(99_900);
    expect(snapshot.series[100]).toEqual({
      labels: { user: '__overflow__', kind: '__overflow__' },
      value: 99_900,
    });
  });

  it('keeps counting existing series after the limit', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 2 });
    const gauge = registry.gauge('g', { labelNames: ['k'] });
    gauge.set(1, { k: 'a' });
    gauge.set(1, { k: 'b' });
    gauge.inc(1, { k: 'c' });
    gauge.inc(1, { k: 'a' });
    expect(gauge.collect().series.map((s) => [s.labels.k, s.value])).toEqual([
      ['a', 2],
      ['b', 1],
      ['__overflow__', 1],
    ]);
    expect(gauge.overflowCount).toBe(1);
  });

  it('bounds histograms and counts each overflowing observation, bound or not', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 10 });
    const histogram = registry.histogram('h', { labelNames: ['id'] });
    for (let i = 0; i < 100_000; i++) histogram.observe(1, { id: i });
    const late = histogram.labels({ id: 'late' });
    late.observe(1);
    late.observe(1);
    expect(histogram.seriesCount).toBe(11);
    expect(histogram.overflowCount).toBe(100_000 - 10 + 2);
    expect(histogram.collect().series[10]).toMatchObject({ count: 99_992 });
  });

  it('fires once per metric, and again after the metric is reset', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 1 });
    const metrics: string[] = [];
    registry.onCardinalityExceeded((e) => metrics.push(e.metric));
    const a = registry.counter('a', { labelNames: ['k'] });
    const b = registry.gauge('b', { labelNames: ['k'] });
    for (const k of ['1', '2', '3']) {
      a.inc(1, { k });
      b.set(1, { k });
    }
    expect(metrics).toEqual(['a', 'b']);
    a.reset();
    expect(a.overflowCount).toBe(0);
    a.inc(1, { k: '1' });
    expect(metrics).toEqual(['a', 'b']);
    a.inc(1, { k: '2' });
    expect(metrics).toEqual(['a', 'b', 'a']);
  });

  it('lets a child bound to the overflow series find room after a reset', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 1 });
    const counter = registry.counter('c', { labelNames: ['k'] });
    counter.inc(1, { k: 'first' });
    const second = counter.labels({ k: 'second' });
    second.inc();
    expect(counter.overflowCount).toBe(1);
    counter.reset();
    second.inc();
    expect(counter.collect()).toMatchObject({
      overflowCount: 0,
      series: [{ labels: { k: 'second' }, value: 1 }],
    });
  });

  it('survives a listener that resets the metric', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 1 });
    const counter = registry.counter('c', { labelNames: ['k'] });
    registry.onCardinalityExceeded(() => counter.reset());
    counter.inc(1, { k: 'a' });
    expect(() => counter.inc(1, { k: 'b' })).not.toThrow();
    counter.inc(1, { k: 'c' });
    expect(counter.collect().series).toEqual([{ labels: { k: 'c' }, value: 1 }]);
  });

  it('survives a throwing listener', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 1 });
    registry.onCardinalityExceeded(() => {
      throw new Error('listener bug');
    });
    const counter = registry.counter('c', { labelNames: ['k'] });
    counter.inc(1, { k: 'a' });
    expect(() => counter.inc(1, { k: 'b' })).not.toThrow();
    expect(counter.overflowCount).toBe(1);
  });

  it('stops notifying a disposed listener', () => {
    const registry = new MetricRegistry({ maxSeriesPerMetric: 1 });
    let calls = 0;
    const subscription = registry.onCardinalityExceeded(() => calls++);
    subscription[Symbol.dispose]();
    const counter = registry.counter('c', { labelNames: ['k'] });
    counter.inc(1, { k: 'a' });
    counter.inc(1, { k: 'b' });
    expect(calls).toBe(0);
  });
});
