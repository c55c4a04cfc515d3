import { describe, expect, it } from 'vitest';
import { isCapacityExceededError } from '../core/index.js';
import { type CapacityStateChangedEvent, CapacityTracker } from './index.js';

function fakeClock(start = 0) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe('CapacityTracker: seed scalability (10.4)', () => {
  it('tracks transactions against a limit of 10,000', () => {
    const capacity = new CapacityTracker();
    for (let i = 0; i < 5; i++) capacity.increment('transactions');
    expect(capacity.get('transactions')).toMatchObject({ count: 5, limit: 10_000, state: 'ok' });
  });

  it('tracks customers against a limit of 1,000', () => {
    const capacity = new CapacityTracker();
    capacity.increment('customers', 3);
    expect(capacity.get('customers')).toMatchObject({ count: 3, limit: 1_000, utilization: 0.003 });
  });

  it('reports within limits below 10,000 transactions', () => {
    const capacity = new CapacityTracker();
    capacity.set('transactions', 9_999);
    expect(capacity.get('transactions')?.state).not.toBe('exceeded');
  });

  it('detects a violation at the limit and records past it with policy warn', () => {
    const capacity = new CapacityTracker();
    capacity.set('customers', 1_000);
    expect(capacity.get('customers')?.state).toBe('exceeded');
    expect(capacity.increment('customers')).toBe(1_001);
    expect(capacity.get('customers')).toMatchObject({
      count: 1_001,
      state: 'exceeded',
      rejected: 0,
    });
    expect(capacity.get('customers')?.utilization).toBeCloseTo(1.001);
  });
});

describe('CapacityTracker: states', () => {
  it.each([
    [0, 'ok'],
    [799, 'ok'],
    [800, 'warning'],
    [999, 'warning'],
    [1_000, 'exceeded'],
    [1_500, 'exceeded'],
  ] as const)('customers at %i are %s', (count, state) => {
    const capacity = new CapacityTracker();
    capacity.set('customers', count);
    expect(capacity.get('customers')?.state).toBe(state);
  });

  it.each([
    [1_000, 0.7, 700],
    [10, 0.55, 6],
    [1, 0.01, 1],
    [10_000, 1, 10_000],
  ])('limit %i with warnAtFraction %d warns at %i', (limit, warnAtFraction, warnAt) => {
    const capacity = new CapacityTracker({ resources: { jobs: { limit, warnAtFraction } } });
    expect(capacity.get('jobs')?.warnAt).toBe(warnAt);
    capacity.set('jobs', warnAt - 1);
    expect(capacity.get('jobs')?.state).toBe('ok');
  });

  it('never warns for an Infinity limit and reports utilization 0', () => {
    const capacity = new CapacityTracker({ resources: { rows: { limit: Infinity } } });
    capacity.set('rows', Number.MAX_SAFE_INTEGER);
    expect(capacity.get('rows')).toMatchObject({ state: 'ok', utilization: 0, warnAt: Infinity });
  });
});

describe('CapacityTracker: changes', () => {
  it('keeps the peak after a decrement', () => {
    const capacity = new CapacityTracker();
    capacity.increment('transactions', 10);
    expect(capacity.decrement('transactions', 4)).toBe(6);
    expect(capacity.get('transactions')).toMatchObject({ count: 6, peak: 10 });
  });

  it('rejects a decrement below zero and changes nothing', () => {
    const clock = fakeClock(5);
    const capacity = new CapacityTracker({ clock });
    capacity.increment('customers', 2);
    clock.t = 9;
    expect(() => capacity.decrement('customers', 3)).toThrow(/^n must be at most .* 2/);
    expect(capacity.get('customers')).toMatchObject({ count: 2, lastChangedAt: 5 });
  });

  it('sets a count and stamps lastChangedAt from the clock', () => {
    const clock = fakeClock(100);
    const capacity = new CapacityTracker({ clock });
    expect(capacity.get('transactions')?.lastChangedAt).toBeUndefined();
    expect(capacity.set('transactions', 42)).toBe(42);
    clock.t = 200;
    capacity.set('transactions', 42);
    expect(capacity.get('transactions')).toMatchObject({ count: 42, lastChangedAt: 100 });
    capacity.set('transactions', 7);
    expect(capacity.get('transactions')).toMatchObject({ count: 7, peak: 42, lastChangedAt: 200 });
  });

  it('rejects past the limit with policy reject and records nothing', () => {
    const capacity = new CapacityTracker({ resources: { seats: { limit: 3, policy: 'reject' } } });
    capacity.increment('seats', 3);
    expect(capacity.get('seats')?.state).toBe('exceeded');
    let error: unknown;
    try {
      capacity.increment('seats');
    } catch (e) {
      error = e;
    }
    expect(isCapacityExceededError(error)).toBe(true);
    expect(error).toMatchObject({ resource: 'seats', limit: 3, attempted: 4 });
    expect(() => capacity.set('seats', 10)).toThrow(/over its limit of 3/);
    expect(capacity.get('seats')).toMatchObject({ count: 3, peak: 3, rejected: 2 });
  });

  it('overrides a built-in resource through options', () => {
    const capacity = new CapacityTracker({
      resources: { transactions: { limit: 20, policy: 'reject', warnAtFraction: 0.5 } },
    });
    expect(capacity.get('transactions')).toMatchObject({ limit: 20, policy: 'reject', warnAt: 10 });
    expect(capacity.get('customers')).toMatchObject({ limit: 1_000, policy: 'warn', warnAt: 800 });
    expect(capacity.list().map((s) => s.name)).toEqual(['transactions', 'customers']);
  });

  it('defines a custom resource and refuses to define a name twice', () => {
    const capacity = new CapacityTracker({ resources: { invoices: { limit: 50 } } });
    capacity.define('workflows', { limit: 5 });
    expect(capacity.has('workflows')).toBe(true);
    capacity.increment('workflows', 4);
    expect(capacity.get('workflows')).toMatchObject({ count: 4, state: 'warning', policy: 'warn' });
    expect(capacity.list().map((s) => s.name)).toEqual([
      'transactions',
      'customers',
      'invoices',
      'workflows',
    ]);
    expect(() => capacity.define('workflows', { limit: 9 })).toThrow(/already defined/);
    expect(() => capacity.define('customers', { limit: 9 })).toThrow(/already defined/);
  });

  it('answers undefined and false for an unknown resource', () => {
    const capacity = new CapacityTracker();
    expect(capacity.get('nope')).toBeUndefined();
    expect(capacity.has('nope')).toBe(false);
  });
});

describe('CapacityTracker: bad input', () => {
  it.each([
    ['NaN', Number.NaN],
    ['-1', -1],
    ['1.5', 1.5],
    ["'3'", '3'],
    ['Infinity', Infinity],
  ])('rejects n = %s and records nothing', (_label, n) => {
    const capacity = new CapacityTracker();
    capacity.increment('customers', 5);
    const bad = n as number;
    expect(() => capacity.increment('customers', bad)).toThrow(RangeError);
    expect(() => capacity.increment('customers', bad)).toThrow(/^n must be/);
    expect(() => capacity.decrement('customers', bad)).toThrow(/^n must be/);
    expect(() => capacity.set('customers', bad)).toThrow(/^value must be/);
    expect(capacity.get('customers')).toMatchObject({ count: 5, peak: 5, rejected: 0 });
  });

  it.each([
    ['empty', '', RangeError],
    ['300 characters', 'x'.repeat(300), RangeError],
    ['a number', 42, TypeError],
    ['undefined', undefined, TypeError],
  ])('rejects a name that is %s', (_label, name, type) => {
    const capacity = new CapacityTracker();
    const bad = name as string;
    expect(() => capacity.define(bad, { limit: 1 })).toThrow(type);
    expect(() => capacity.define(bad, { limit: 1 })).toThrow(/^name must be/);
    expect(() => capacity.increment(bad)).toThrow(/^name must be/);
    expect(capacity.list()).toHaveLength(2);
  });

  it('tells to define an unknown resource first', () => {
    const capacity = new CapacityTracker();
    expect(() => capacity.increment('invoices')).toThrow(RangeError);
    expect(() => capacity.decrement('invoices')).toThrow(/define it first/);
    expect(() => capacity.set('invoices', 1)).toThrow(/define\("invoices", \{ limit \}\)/);
  });

  it.each([
    [{ limit: 0 }, /^resources\.transactions\.limit must be a positive integer or Infinity/],
    [{ limit: -1 }, /^resources\.transactions\.limit/],
    [{ limit: 1.5 }, /^resources\.transactions\.limit/],
    [{ limit: Number.NaN }, /^resources\.transactions\.limit/],
    [{ limit: '10' }, /^resources\.transactions\.limit/],
    [{}, /^resources\.transactions\.limit/],
    [{ limit: 10, warnAtFraction: 0 }, /^resources\.transactions\.warnAtFraction/],
    [{ limit: 10, warnAtFraction: 1.1 }, /^resources\.transactions\.warnAtFraction/],
    [{ limit: 10, warnAtFraction: Number.NaN }, /^resources\.transactions\.warnAtFraction/],
    [{ limit: 10, policy: 'block' }, /^resources\.transactions\.policy must be 'warn' or 'reject'/],
    [null, /^resources\.transactions must be an object/],
  ])('rejects resources.transactions = %o', (options, message) => {
    const resources = { transactions: options } as unknown as Record<string, { limit: number }>;
    expect(() => new CapacityTracker({ resources })).toThrow(message);
  });

  it('names the field of bad define() options', () => {
    const capacity = new CapacityTracker();
    expect(() => capacity.define('jobs', { limit: 0 })).toThrow(/^options\.limit must be/);
    expect(capacity.has('jobs')).toBe(false);
  });

  it('rejects a clock without now()', () => {
    const clock = {} as unknown as { now(): number };
    expect(() => new CapacityTracker({ clock })).toThrow(/^clock must be/);
  });
});

describe('CapacityTracker: onStateChanged', () => {
  it('fires once per state change with the new count', () => {
    const capacity = new CapacityTracker({ resources: { seats: { limit: 10 } } });
    const events: CapacityStateChangedEvent[] = [];
    capacity.onStateChanged((e) => events.push(e));
    for (let i = 0; i < 12; i++) capacity.increment('seats');
    capacity.set('seats', 0);
    expect(events).toEqual([
      { resource: 'seats', from: 'ok', to: 'warning', count: 8, limit: 10 },
      { resource: 'seats', from: 'warning', to: 'exceeded', count: 10, limit: 10 },
      { resource: 'seats', from: 'exceeded', to: 'ok', count: 0, limit: 10 },
    ]);
  });

  it('keeps tracking and notifying when a listener throws', () => {
    const capacity = new CapacityTracker({ resources: { seats: { limit: 2 } } });
    const seen: string[] = [];
    capacity.onStateChanged(() => {
      throw new Error('listener bug');
    });
    capacity.onStateChanged((e) => seen.push(e.to));
    expect(capacity.increment('seats', 2)).toBe(2);
    expect(capacity.get('seats')?.state).toBe('exceeded');
    expect(seen).toEqual(['exceeded']);
  });

  it('stops calling a disposed listener', () => {
    const capacity = new CapacityTracker({ resources: { seats: { limit: 2 } } });
    const seen: string[] = [];
    const subscription = capacity.onStateChanged((e) => seen.push(e.to));
    capacity.increment('seats', 2);
    subscription[Symbol.dispose]();
    capacity.set('seats', 0);
    expect(seen).toEqual(['exceeded']);
  });
});

describe('CapacityTracker.changes', () => {
  it('grows on every change and rejection, even when the count returns where it was', () => {
    const capacity = new CapacityTracker({ resources: { seats: { limit: 2, policy: 'reject' } } });
    capacity.increment('seats', 2);
    capacity.decrement('seats', 2);
    capacity.set('seats', 0); // no change
    expect(capacity.changes).toBe(2);
    capacity.set('seats', 1);
    capacity.set('seats', 0);
    expect(capacity.changes).toBe(4);
    expect(() => capacity.increment('seats', 3)).toThrow();
    expect(capacity.changes).toBe(5);
  });
});
