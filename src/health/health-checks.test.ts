import { afterEach, describe, expect, it, vi } from 'vitest';
import { aggregate, type CheckOutcome, HealthChecks, worse } from './health-checks.js';

afterEach(() => {
  vi.useRealTimers();
});

const outcome = (status: CheckOutcome['status'], critical = true): CheckOutcome => ({
  name: 'x',
  group: 'readiness',
  critical,
  builtIn: false,
  status,
  durationMs: 0,
  cached: false,
  checkedAt: '',
});

describe('status aggregation', () => {
  it('orders DOWN > DEGRADED > UNKNOWN > UP', () => {
    expect(worse('UP', 'UNKNOWN')).toBe('UNKNOWN');
    expect(worse('UNKNOWN', 'DEGRADED')).toBe('DEGRADED');
    expect(worse('DOWN', 'DEGRADED')).toBe('DOWN');
    expect(aggregate([])).toBe('UP');
    expect(aggregate([outcome('UP'), outcome('UNKNOWN'), outcome('UP')])).toBe('UNKNOWN');
    expect(aggregate([outcome('DEGRADED'), outcome('DOWN'), outcome('UNKNOWN')])).toBe('DOWN');
  });

  it('a non-critical check that is DOWN makes the whole DEGRADED', () => {
    expect(aggregate([outcome('UP'), outcome('DOWN', false)])).toBe('DEGRADED');
  });
});

describe('HealthChecks', () => {
  it('a check that throws is DOWN with its message; false is DOWN; nothing is UP', async () => {
    const h = new HealthChecks();
    h.register('database', () => {
      throw new Error('connection refused\n    at stack');
    });
    h.register('queue', () => false);
    h.register('cache', () => undefined);
    const r = await h.run();
    const by = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(by.database).toMatchObject({ status: 'DOWN', message: 'connection refused' });
    expect(by.queue?.status).toBe('DOWN');
    expect(by.cache?.status).toBe('UP');
    expect(r.status).toBe('DOWN');
    expect(r.reasons[0]).toMatch(/^(database|queue): /);
  });

  it('a check that hangs is UNKNOWN after its timeout, and its signal aborts', async () => {
    vi.useFakeTimers();
    const h = new HealthChecks();
    let signal: AbortSignal | undefined;
    h.register(
      'payments',
      (c) => {
        signal = c.signal;
        return new Promise(() => {});
      },
      { timeoutMs: 300 },
    );
    h.register('fast', () => ({ status: 'UP' }));
    const pending = h.run();
    await vi.advanceTimersByTimeAsync(300);
    const r = await pending;
    expect(r.checks.find((c) => c.name === 'payments')).toMatchObject({
      status: 'UNKNOWN',
      message: 'payments did not answer within 300 ms',
    });
    expect(signal?.aborted).toBe(true);
    expect(r.status).toBe('UNKNOWN');
  });

  it('runs checks in parallel: the slowest bounds the whole', async () => {
    vi.useFakeTimers();
    const h = new HealthChecks();
    for (const name of ['a', 'b', 'c']) {
      h.register(name, () => new Promise((r) => setTimeout(() => r({ status: 'UP' }), 100)));
    }
    const pending = h.run();
    await vi.advanceTimersByTimeAsync(100);
    expect((await pending).status).toBe('UP');
  });

  it('caches a result for its time to live, then revalidates in the background', async () => {
    vi.useFakeTimers();
    const clock = { t: 0, now: () => clock.t };
    const h = new HealthChecks(clock);
    let calls = 0;
    let answer: 'UP' | 'DEGRADED' = 'UP';
    h.register(
      'slow_dependency',
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 300));
        return { status: answer };
      },
      { cacheTtlMs: 5_000 },
    );
    const first = h.run();
    await vi.advanceTimersByTimeAsync(300);
    await first;
    clock.t = 4_999;
    expect((await h.run()).checks[0]).toMatchObject({ cached: true, status: 'UP' });
    expect(calls).toBe(1);
    clock.t = 5_000;
    answer = 'DEGRADED';
    // Past the TTL the probe still answers at once, with the last result…
    const stale = await h.run();
    expect(stale.checks[0]).toMatchObject({ cached: true, status: 'UP' });
    expect(calls).toBe(2); // …while the check runs again
    await vi.advanceTimersByTimeAsync(300);
    expect((await h.run()).checks[0]?.status).toBe('DEGRADED');
  });

  it('concurrent probes share one run of a check', async () => {
    vi.useFakeTimers();
    const h = new HealthChecks();
    let calls = 0;
    h.register('db', async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 100));
      return true;
    });
    const all = Promise.all([h.run(), h.run(), h.run()]);
    await vi.advanceTimersByTimeAsync(100);
    await all;
    expect(calls).toBe(1);
  });

  it('liveness never holds app checks: a failing dependency leaves it UP', async () => {
    const h = new HealthChecks();
    h.registerBuiltIn('eventLoop', () => ({ status: 'UP' }), 'liveness');
    h.register('database', () => {
      throw new Error('down');
    });
    const live = await h.run('liveness');
    expect(live.checks.map((c) => c.name)).toEqual(['eventLoop']);
    expect(live.status).toBe('UP');
    const ready = await h.run('readiness');
    expect(ready).toMatchObject({ status: 'DOWN', liveness: 'UP', readiness: 'DOWN' });
  });

  it('latest() runs built-ins now and gives app checks their last outcome', async () => {
    const h = new HealthChecks();
    let status: 'UP' | 'DEGRADED' = 'UP';
    h.registerBuiltIn('capacity', () => ({ status }), 'readiness');
    h.register('database', () => ({ status: 'DEGRADED', message: 'slow replica' }));
    expect(h.latest().checks.find((c) => c.name === 'database')?.status).toBe('UNKNOWN');
    await h.run();
    status = 'DEGRADED';
    const latest = h.latest();
    expect(latest.checks.map((c) => [c.name, c.status])).toEqual([
      ['capacity', 'DEGRADED'],
      ['database', 'DEGRADED'],
    ]);
  });

  it.each([
    [() => new HealthChecks().register('', () => true), /name must be 1 to/],
    [() => new HealthChecks().register('x', 42 as never), /check must be a function/],
    [() => new HealthChecks().register('x', () => true, { timeoutMs: -1 }), /timeoutMs/],
    [() => new HealthChecks().register('x', () => true, { timeoutMs: 0 }), /timeoutMs must be > 0/],
    [() => new HealthChecks().register('x', () => true, { cacheTtlMs: -5 }), /cacheTtlMs/],
  ])('rejects bad input %#', (f, message) => {
    expect(f).toThrow(message);
  });

  it('refuses a second check with the same name, and unregisters', () => {
    const h = new HealthChecks();
    const registration = h.register('database', () => true);
    expect(() => h.register('database', () => true)).toThrow(/already registered/);
    registration[Symbol.dispose]();
    expect(h.names).toEqual([]);
    h.registerBuiltIn('latency', () => ({ status: 'UP' }), 'readiness');
    expect(h.unregister('latency')).toBe(false); // Keel's own checks stay
  });
});
