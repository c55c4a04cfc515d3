import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BreakerSnapshot,
  isBreakerOpenError,
  isTimeoutError,
  PerformanceMonitor,
  type PerformanceMonitorOptions,
} from '../src/index.js';

let dir: string;
const monitors: PerformanceMonitor[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-recovery-'));
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  });
});

afterEach(async () => {
  for (const m of monitors.splice(0)) await m.close();
  vi.useRealTimers();
  await fs.rm(dir, { recursive: true, force: true });
});

function monitor(options: PerformanceMonitorOptions = {}): PerformanceMonitor {
  const m = new PerformanceMonitor({ backupDir: join(dir, 'backups'), ...options });
  monitors.push(m);
  return m;
}

/** Advances fake time in steps until `p` settles; returns its outcome. */
async function settle<T>(p: Promise<T>, stepMs = 50, maxSteps = 10_000) {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  for (let i = 0; i < maxSteps && outcome === undefined; i++) {
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  if (outcome === undefined) throw new Error('did not settle');
  return outcome;
}

const transient = (message = 'connection reset') =>
  Object.assign(new Error(message), { code: 'ECONNRESET', type: 'database_error' });

describe('monitor.run: retry', () => {
  it('retries transient failures with backoff, runs the handler between attempts, and counts the recovery', async () => {
    const m = monitor();
    const reconnects: number[] = [];
    m.registerErrorHandler('database_error', (c) => void reconnects.push(c.attempt));
    const recovered: unknown[] = [];
    m.recovery.onRecovered((e) => recovered.push(e));
    let calls = 0;
    const out = await settle(
      m.run(
        'save_invoice',
        ({ attempt }) => {
          calls++;
          if (attempt < 3) throw transient();
          return `saved on ${attempt}`;
        },
        { retry: { maxAttempts: 4, initialDelayMs: 10 } },
      ),
    );
    expect(out).toEqual({ ok: true, value: 'saved on 3' });
    expect(calls).toBe(3);
    expect(reconnects).toEqual([1, 2]);
    const op = m.recovery.stats().operations.find((o) => o.operation === 'save_invoice')!;
    expect(op).toMatchObject({ runs: 1, succeeded: 1, recovered: 1, retries: 2, gaveUp: 0 });
    expect(op.recoveredAfter).toEqual({ '3': 1 });
    expect(recovered).toMatchObject([
      { operation: 'save_invoice', errorType: 'database_error', attempts: 3 },
    ]);
    const type = m.recovery.stats().errorTypes.find((t) => t.type === 'database_error')!;
    expect(type).toMatchObject({ occurrences: 2, recoveryAttempts: 2, recovered: 1 });
    expect(m.getOperationStats('save_invoice')).toMatchObject({ count: 1, errorCount: 0 });
  });

  it('gives up after maxAttempts and rethrows the last error', async () => {
    const m = monitor();
    const gaveUp: unknown[] = [];
    m.recovery.onGaveUp((e) => gaveUp.push(e));
    let calls = 0;
    const out = await settle(
      m.run(
        'sync',
        () => {
          calls++;
          throw transient(`try ${calls}`);
        },
        { retry: { maxAttempts: 3, initialDelayMs: 1 } },
      ),
    );
    expect(out.ok).toBe(false);
    expect(String((out as { error: unknown }).error)).toContain('try 3');
    expect(calls).toBe(3);
    expect(gaveUp).toMatchObject([{ operation: 'sync', attempts: 3, kind: 'transient' }]);
    expect(m.getOperationStats('sync')).toMatchObject({ count: 1, errorCount: 1 });
  });

  it('never retries a permanent failure', async () => {
    const m = monitor();
    let calls = 0;
    const out = await settle(
      m.run(
        'validate',
        () => {
          calls++;
          throw new TypeError('amount must be a number');
        },
        { retry: { maxAttempts: 5 } },
      ),
    );
    expect(out.ok).toBe(false);
    expect(calls).toBe(1);
  });

  it('stops retrying when the next delay would pass the time budget', async () => {
    const m = monitor();
    let calls = 0;
    const out = await settle(
      m.run(
        'budgeted',
        () => {
          calls++;
          throw transient();
        },
        { retry: { maxAttempts: 50, initialDelayMs: 100, maxDelayMs: 100, budgetMs: 350 } },
      ),
      10,
    );
    expect(out.ok).toBe(false);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThan(10);
  });

  it('ignored failures pass through uncounted; cancellation never counts as a failure', async () => {
    const m = monitor();
    const notFound = Object.assign(new Error('no such invoice'), { status: 404 });
    const ignored = await settle(
      m.run(
        'lookup',
        () => {
          throw notFound;
        },
        { retry: true, classify: (e) => (e === notFound ? 'ignored' : undefined) },
      ),
    );
    expect(ignored).toEqual({ ok: false, error: notFound });
    const controller = new AbortController();
    const cancelled = m.run(
      'lookup',
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { retry: { maxAttempts: 5 }, signal: controller.signal },
    );
    controller.abort(new Error('user navigated away'));
    expect(await settle(cancelled)).toMatchObject({ ok: false });
    const op = m.recovery.stats().operations.find((o) => o.operation === 'lookup')!;
    expect(op).toMatchObject({ runs: 2, ignored: 1, cancelled: 1, gaveUp: 0, retries: 0 });
    expect(m.getOperationStats('lookup')).toMatchObject({ count: 1, errorCount: 0 });
  });
});

describe('monitor.run: timeout', () => {
  it('aborts the work through its signal and rejects with TimeoutError', async () => {
    const m = monitor();
    let signal: AbortSignal | undefined;
    const out = await settle(
      m.run(
        'slow_report',
        (c) => {
          signal = c.signal;
          return new Promise(() => {});
        },
        { timeoutMs: 200 },
      ),
      10,
    );
    expect(out.ok).toBe(false);
    const error = (out as { error: unknown }).error;
    expect(isTimeoutError(error)).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(m.recovery.pendingTimeouts).toBe(0);
    expect(m.recovery.stats().operations[0]).toMatchObject({ timeouts: 1, gaveUp: 1 });
  });

  it('fires within one tick of its deadline', async () => {
    const m = monitor();
    const started = performance.now();
    const out = await settle(
      m.run('slow', () => new Promise(() => {}), { timeoutMs: 300 }),
      1,
    );
    expect(out.ok).toBe(false);
    const late = performance.now() - started - 300;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(31);
  });

  it('a timed-out attempt is retried, and the retry may succeed', async () => {
    const m = monitor();
    const out = await settle(
      m.run(
        'flaky_gateway',
        ({ attempt }) => (attempt === 1 ? new Promise(() => {}) : Promise.resolve('ok')),
        { timeoutMs: 100, retry: { maxAttempts: 2, initialDelayMs: 1 } },
      ),
      10,
    );
    expect(out).toEqual({ ok: true, value: 'ok' });
    expect(m.recovery.stats().operations[0]).toMatchObject({ timeouts: 1, recovered: 1 });
  });
});

describe('monitor.run: circuit breaker', () => {
  it('retry around a breaker: every attempt is counted, the open breaker fails fast', async () => {
    const m = monitor();
    const opened: unknown[] = [];
    m.recovery.onBreakerOpened((t) => opened.push(t));
    let calls = 0;
    const out = await settle(
      m.run(
        'charge_card',
        () => {
          calls++;
          throw transient();
        },
        {
          retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 5 },
          breaker: { consecutive: 2, halfOpenAfterMs: 60_000 },
        },
      ),
      5,
    );
    expect(out.ok).toBe(false);
    expect(isBreakerOpenError((out as { error: unknown }).error)).toBe(true);
    expect(calls).toBe(2);
    expect(m.recovery.stats().operations[0]).toMatchObject({
      runs: 1,
      retries: 4,
      breakerRejections: 3,
      gaveUp: 1,
      breaker: 'open',
    });
    expect(opened).toMatchObject([{ operation: 'charge_card', from: 'closed', to: 'open' }]);
  });

  it('half-open lets one trial through; concurrent calls are turned away; success closes', async () => {
    const m = monitor();
    const policy = { breaker: { consecutive: 1, halfOpenAfterMs: 1_000 } };
    await settle(m.run('pay', () => Promise.reject(transient()), policy));
    await vi.advanceTimersByTimeAsync(1_000);
    let release: (v: string) => void = () => {};
    let calls = 0;
    const trial = m.run(
      'pay',
      () => {
        calls++;
        return new Promise<string>((r) => (release = r));
      },
      policy,
    );
    const others = await Promise.allSettled([
      m.run('pay', () => 'x', policy),
      m.run('pay', () => 'y', policy),
    ]);
    expect(others.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    release('ok');
    expect(await trial).toBe('ok');
    expect(m.recovery.breaker('pay')?.state).toBe('closed');
  });

  it('survives a restart: saved breaker states come back through the options', async () => {
    const first = monitor();
    const policy = { breaker: { consecutive: 1, halfOpenAfterMs: 60_000 } };
    await settle(first.run('pay', () => Promise.reject(transient()), policy));
    const saved: Record<string, BreakerSnapshot> = JSON.parse(
      JSON.stringify(first.recovery.breakerStates()),
    );
    expect(saved.pay).toMatchObject({ state: 'open' });
    const second = monitor({ recovery: { breakerStates: saved } });
    let calls = 0;
    const out = await settle(second.run('pay', () => void calls++, policy));
    expect(isBreakerOpenError((out as { error: unknown }).error)).toBe(true);
    expect(calls).toBe(0);
    second.recovery.breaker('pay')?.reset();
    expect(await settle(second.run('pay', () => 'ok', policy))).toEqual({ ok: true, value: 'ok' });
  });
});

describe('monitor.run: bulkhead and fallback', () => {
  it('queues past the limit; an aborted queued call leaves, the next one runs', async () => {
    const m = monitor();
    const policy = { bulkhead: { limit: 1, queue: 2 } };
    let releaseA: () => void = () => {};
    const order: string[] = [];
    const a = m.run(
      'export',
      () => new Promise<void>((r) => (releaseA = r)).then(() => void order.push('a')),
      policy,
    );
    const controller = new AbortController();
    const b = m.run('export', () => void order.push('b'), { ...policy, signal: controller.signal });
    const c = m.run('export', () => void order.push('c'), policy);
    const d = m.run('export', () => void order.push('d'), policy);
    await expect(d).rejects.toMatchObject({ code: 'KEEL_BULKHEAD_FULL' });
    controller.abort(new Error('gave up waiting'));
    await expect(b).rejects.toThrow('gave up waiting');
    releaseA();
    await a;
    await c;
    expect(order).toEqual(['a', 'c']);
    expect(m.recovery.stats().operations[0]).toMatchObject({
      cancelled: 1,
      bulkheadRejections: 1,
    });
  });

  it('falls back to a value, a function or the last good result, counted as degraded', async () => {
    const m = monitor();
    const down = () => {
      throw transient('rates service down');
    };
    expect(await m.run('rates', down, { fallback: { value: 1.1 } })).toBe(1.1);
    expect(
      await m.run('rates', down, { fallback: { fn: (e) => String(e).length } }),
    ).toBeGreaterThan(0);
    await expect(m.run('fx', down, { fallback: 'last-good' })).rejects.toThrow(
      'rates service down',
    );
    expect(await m.run('fx', () => 1.25, { fallback: 'last-good' })).toBe(1.25);
    expect(await m.run('fx', down, { fallback: 'last-good' })).toBe(1.25);
    const ops = m.recovery.stats().operations;
    expect(ops.find((o) => o.operation === 'rates')).toMatchObject({ degraded: 2, gaveUp: 0 });
    expect(ops.find((o) => o.operation === 'fx')).toMatchObject({
      degraded: 1,
      gaveUp: 1,
      succeeded: 1,
    });
    expect(m.recovery.stats().degraded).toBe(3);
  });
});

describe('monitor.run: input', () => {
  it.each([
    [{ timeoutMs: -5 }, /policy.timeoutMs/],
    [{ timeoutMs: 0 }, /policy.timeoutMs/],
    [{ retry: { maxAttempts: 0 } }, /policy.retry.maxAttempts/],
    [{ fallback: 42 }, /policy.fallback/],
    [{ breaker: { consecutive: -1 } }, /breaker.consecutive/],
    [{ bulkhead: { limit: 0 } }, /bulkhead.limit/],
  ])('rejects the policy %o with an error naming the field', (policy, message) => {
    const m = monitor();
    expect(() => m.run(`op${Math.random()}`, () => 1, policy as never)).toThrow(message);
  });

  it('throws for a non-function without running anything', () => {
    expect(() => monitor().run('x', 42 as never)).toThrow(/fn must be a function/);
  });

  it('checks a policy on every run of an operation, not only the first', async () => {
    const m = monitor();
    await m.run('y', () => 1);
    expect(() => m.run('y', () => 1, { timeoutMs: -5 })).toThrow(/policy.timeoutMs/);
    expect(() => m.run('y', () => 1, { fallback: 'bogus' as never })).toThrow(/policy.fallback/);
    expect(() => m.run('y', () => 1, { retry: { maxAttempts: Number.POSITIVE_INFINITY } })).toThrow(
      /policy.retry.maxAttempts/,
    );
  });

  it('passes a thrown object without a prototype through untouched', async () => {
    const m = monitor();
    const odd = Object.create(null) as object;
    const out = await settle(
      m.run('odd', () => {
        throw odd;
      }),
    );
    expect(out).toEqual({ ok: false, error: odd });
    expect(m.recovery.stats().recentErrors[0]?.message).toBe('[an error that cannot be printed]');
  });

  it('keeps the last 100 errors without stacks, masking credentials', async () => {
    const m = monitor();
    for (let i = 0; i < 120; i++) {
      await m
        .run('login', () => {
          throw new Error(`bad login ${i} password=hunter${i}`);
        })
        .catch(() => undefined);
    }
    const recent = m.recovery.stats().recentErrors;
    expect(recent).toHaveLength(100);
    expect(recent[0]).toMatchObject({ type: 'Error', operation: 'login', kind: 'transient' });
    expect(recent[0]!.message).toBe('bad login 119 password=[redacted]');
    expect(JSON.stringify(recent)).not.toMatch(/hunter|\n\s+at /);
  });
});

describe('monitor.run: review fixes', () => {
  it('a run aborted while its handler runs between attempts is counted as cancelled', async () => {
    const m = monitor();
    const controller = new AbortController();
    m.registerErrorHandler('database_error', () => {
      controller.abort(new Error('user left'));
    });
    const out = await settle(
      m.run('post', () => Promise.reject(transient()), {
        retry: { maxAttempts: 3, initialDelayMs: 1 },
        signal: controller.signal,
      }),
    );
    expect(out.ok).toBe(false);
    expect(m.recovery.stats().operations[0]).toMatchObject({ runs: 1, cancelled: 1, gaveUp: 0 });
  });

  it('aborting recoverFromError stops waiting for a hanging handler', async () => {
    const m = monitor();
    m.registerErrorHandler('slow_error', () => new Promise(() => {}), { timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = m.recoverFromError('slow_error', { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(50);
    controller.abort(new Error('shutting down'));
    const out = await settle(pending, 1, 10);
    expect(out).toMatchObject({ ok: true, value: { recovered: false, reason: 'cancelled' } });
  });

  it('the retry budget counts from the start of the run', async () => {
    const m = monitor();
    let calls = 0;
    const out = await settle(
      m.run(
        'slow_then_fail',
        async () => {
          calls++;
          await new Promise((r) => setTimeout(r, 300));
          throw transient();
        },
        { retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1, budgetMs: 100 } },
      ),
      10,
    );
    expect(out.ok).toBe(false);
    expect(calls).toBe(1);
  });

  it('handlers between attempts see the previous outcome; `false` stops the retries', async () => {
    const m = monitor();
    const seen: unknown[] = [];
    m.registerErrorHandler('database_error', (c) => {
      seen.push([c.attempt, c.previous?.recovered, c.data]);
      return c.attempt < 2; // recovered once, then: cannot be recovered
    });
    let calls = 0;
    const out = await settle(
      m.run(
        'post',
        () => {
          calls++;
          throw transient();
        },
        { retry: { maxAttempts: 5, initialDelayMs: 1 }, data: { id: 9 } },
      ),
    );
    expect(out.ok).toBe(false);
    expect(calls).toBe(2);
    expect(seen).toEqual([
      [1, undefined, { id: 9 }],
      [2, true, { id: 9 }],
    ]);
    expect(m.recovery.stats().operations[0]).toMatchObject({ errors: 2, recoveryAttempts: 2 });
  });

  it('a zero backoff still yields to the event loop between attempts', async () => {
    vi.useRealTimers();
    const m = monitor();
    let turns = 0;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    let running = true;
    setImmediate(tick);
    await m
      .run('spin', () => Promise.reject(transient()), {
        retry: { maxAttempts: 20, initialDelayMs: 0, maxDelayMs: 0 },
      })
      .catch(() => undefined);
    running = false;
    expect(turns).toBeGreaterThanOrEqual(10); // the loop ran between the attempts
  });

  it('error-type figures: recovered after N and time to recover; breaker rejections are no error type', async () => {
    const m = monitor();
    let n = 0;
    await settle(
      m.run(
        'sync_bank',
        () => {
          if (++n < 3) throw transient();
          return 'ok';
        },
        { retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 100 } },
      ),
      10,
    );
    const type = m.recovery.stats().errorTypes.find((t) => t.type === 'database_error')!;
    expect(type.recoveredAfter).toEqual({ '3': 1 });
    expect(type.meanTimeToRecoverMs).toBeGreaterThanOrEqual(100);
    const policy = { breaker: { consecutive: 1, halfOpenAfterMs: 60_000 } };
    await settle(m.run('pay', () => Promise.reject(transient()), policy));
    await settle(m.run('pay', () => 'never', policy));
    expect(m.recovery.stats().errorTypes.map((t) => t.type)).toEqual(['database_error']);
  });

  it('gave-up and degraded events carry the run data, so the work is not lost', async () => {
    const m = monitor();
    const events: unknown[] = [];
    m.recovery.onGaveUp((e) =>
      events.push({ degraded: e.degraded, data: e.data, op: e.operation }),
    );
    await settle(m.run('post', () => Promise.reject(transient()), { data: { tx: 1 } }));
    await m.run('post', () => Promise.reject(transient()), {
      data: { tx: 2 },
      fallback: { value: null },
    });
    expect(events).toEqual([
      { degraded: false, data: { tx: 1 }, op: 'post' },
      { degraded: true, data: { tx: 2 }, op: 'post' },
    ]);
  });

  it('a gave-up listener that recovers the same error type again cannot loop', async () => {
    const m = monitor();
    m.registerErrorHandler('database_error', () => false);
    const results: unknown[] = [];
    m.recovery.onGaveUp(() => {
      void m.recoverFromError(transient()).then((r) => results.push(r.reason));
    });
    await m.recoverFromError(transient());
    await vi.advanceTimersByTimeAsync(10);
    expect(results).toEqual(['recursion']);
  });
});

describe('monitor.run: what the timeout costs', () => {
  it('makes no AbortController unless the work reads its signal, and one when it does', async () => {
    const m = monitor();
    const Real = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Real {
      constructor() {
        super();
        made++;
      }
    };
    try {
      const policy = { timeoutMs: 1_000, retry: { maxAttempts: 2 }, breaker: true };
      for (let i = 0; i < 50; i++) await m.run('quiet', async () => i, policy);
      expect(made).toBe(0);
      await m.run('listening', async ({ signal }) => signal.aborted, policy);
      expect(made).toBe(1);
    } finally {
      globalThis.AbortController = Real;
    }
  });

  it('one shared deadline keeps the process alive while a timed call is pending, and cancels it', async () => {
    vi.useRealTimers();
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const entry = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));
    const script = `
      const { PerformanceMonitor } = await import(${JSON.stringify(entry)});
      const m = new PerformanceMonitor({ backupDir: ${JSON.stringify(dir)}, runtime: { enabled: false } });
      m.run('hangs', () => new Promise(() => {}), { timeoutMs: 300 })
        .catch((e) => console.log('rejected', e.code));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], (error, stdout) =>
        error === null ? resolve(stdout) : reject(error),
      ),
    );
    expect(out.trim()).toBe('rejected KEEL_TIMEOUT'); // the process waited for the deadline
  });
});
