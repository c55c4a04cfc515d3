import { afterEach, describe, expect, it } from 'vitest';
import { isCapacityExceededError } from './core/index.js';
import { PerformanceMonitor, type PerformanceMonitorOptions } from './monitor.js';

const monitors: PerformanceMonitor[] = [];

function setup(options: PerformanceMonitorOptions = {}) {
  const clock = { t: 0, now: () => clock.t };
  const monitor = new PerformanceMonitor({ clock, ...options });
  monitors.push(monitor);
  /** Runs `n` calls of `ms` each through measureOperation, failing the first `failures`. */
  const run = (name: string, ms: number, n = 1, failures = 0) => {
    for (let i = 0; i < n; i++) {
      try {
        monitor.measureOperation(name, () => {
          clock.t += ms;
          if (i < failures) throw new Error('failed');
        });
      } catch {
        // recorded as a failure
      }
    }
  };
  return { clock, monitor, run };
}

afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.close()));
});

describe('PerformanceMonitor: performance monitoring (seed)', () => {
  it('initialises with empty figures', () => {
    const { monitor } = setup();
    expect(monitor.getOperationStats('transaction_entry')).toBeUndefined();
    expect(monitor.operations.config).toMatchObject({
      windowMinutes: 10,
      sliceMinutes: 1,
      maxOperations: 2000,
    });
    expect(monitor.targets.default).toMatchObject({ latencyMs: 200, percentile: 95 });
  });

  it('measures a successful and a failing operation', async () => {
    const { clock, monitor } = setup();
    const value = await monitor.measureOperation('transaction_entry', async () => {
      clock.t += 50;
      return 'ok';
    });
    expect(value).toBe('ok');
    await expect(
      monitor.measureOperation('transaction_entry', async () => {
        clock.t += 150;
        throw new Error('database_error');
      }),
    ).rejects.toThrow('database_error');
    expect(monitor.getOperationStats('transaction_entry')).toMatchObject({
      count: 2,
      errorCount: 1,
      errorRate: 0.5,
      minMs: 50,
      maxMs: 150,
      meanMs: 100,
      totalMs: 200,
    });
  });

  it('tracks several operations apart', () => {
    const { monitor, run } = setup();
    run('a', 10, 3);
    run('b', 20, 2);
    expect(monitor.getOperationStats('a')!.count).toBe(3);
    expect(monitor.getOperationStats('b')!.count).toBe(2);
    expect(monitor.getOperationsSnapshot().overall.count).toBe(5);
  });

  it('calculates average, P95 and P99 response times', () => {
    const { monitor, run } = setup();
    for (let ms = 1; ms <= 100; ms++) run('op', ms);
    const health = monitor.getSystemHealth();
    expect(health.avgResponseTimeMs).toBeCloseTo(50.5);
    expect(Math.abs(health.p95ResponseTimeMs - 95) / 95).toBeLessThan(0.01);
    expect(Math.abs(health.p99ResponseTimeMs - 99) / 99).toBeLessThan(0.01);
  });

  it('checks the 200 ms threshold', () => {
    const { monitor, run } = setup();
    run('fast', 50, 30);
    expect(monitor.getPerformanceReport().meetingTargets).toBe(true);
    run('slow', 300, 30);
    const report = monitor.getPerformanceReport();
    expect(report.meetingTargets).toBe(false);
    expect(report.violations).toEqual([
      expect.objectContaining({ operation: 'slow', metric: 'p95Ms', threshold: 200 }),
    ]);
  });

  it('calculates the error rate as a fraction', () => {
    const { monitor, run } = setup();
    run('op', 1, 40, 10);
    expect(monitor.getOperationStats('op')!.errorRate).toBe(0.25);
    expect(monitor.getSystemHealth().errorRate).toBe(0.25);
  });

  it('records durations measured elsewhere and rejects bad ones', () => {
    const { monitor } = setup();
    monitor.recordOperation('import_batch', 1234.5, { success: true, kind: 'fs' });
    monitor.recordOperation('import_batch', 10, { success: false });
    expect(monitor.getOperationStats('import_batch')).toMatchObject({
      kind: 'fs',
      count: 2,
      errorCount: 1,
      maxMs: 1234.5,
    });
    expect(() => monitor.recordOperation('import_batch', -5)).toThrow(RangeError);
    expect(() => monitor.recordOperation('never_valid', Number.NaN)).toThrow(/durationMs/);
    expect(monitor.getOperationStats('never_valid')).toBeUndefined();
    expect(() => monitor.recordOperation('', 5)).toThrow(RangeError);
    expect(monitor.getOperationStats('import_batch')!.count).toBe(2);
  });

  it('times with startTimer and a bound handle', () => {
    const { clock, monitor } = setup();
    {
      using t = monitor.startTimer('transaction_entry');
      clock.t += 20;
      t.success();
    }
    const op = monitor.operation('transaction_entry');
    op.measure(() => {
      clock.t += 40;
    });
    expect(monitor.getOperationStats('transaction_entry')).toMatchObject({
      count: 2,
      minMs: 20,
      maxMs: 40,
    });
  });

  it('recordOperation with an injected clock lands in the right slice without a read', () => {
    const { clock, monitor } = setup();
    monitor.recordOperation('a', 5);
    clock.t = 30 * 60_000;
    monitor.recordOperation('a', 7);
    expect(monitor.getOperationStats('a')).toMatchObject({ count: 1, maxMs: 7 });
  });
});

describe('PerformanceMonitor: system health (seed)', () => {
  it('handles empty metrics', () => {
    const { monitor } = setup();
    const health = monitor.getSystemHealth();
    expect(health).toMatchObject({
      status: 'UNKNOWN',
      avgResponseTimeMs: 0,
      p95ResponseTimeMs: 0,
      p99ResponseTimeMs: 0,
      errorRate: 0,
      transactionCount: 0,
      customerCount: 0,
      activeSessions: 0,
    });
    const report = monitor.getPerformanceReport();
    expect(report.meetingTargets).toBe(true);
    expect(report.recommendationDetails.map((r) => r.id)).toEqual(['not-enough-data']);
  });

  it('generates a health report with the seed fields', () => {
    const { monitor, run } = setup();
    run('op', 20, 50);
    monitor.trackTransaction(3);
    monitor.trackCustomer();
    monitor.registerSession('user_session_123');
    const health = monitor.getSystemHealth();
    expect(health).toMatchObject({
      status: 'UP',
      reasons: [],
      avgResponseTimeMs: 20,
      errorRate: 0,
      transactionCount: 3,
      customerCount: 1,
      activeSessions: 1,
      totalOperations: 50,
      meetingTargets: true,
    });
    expect(JSON.parse(JSON.stringify(health))).toMatchObject({ status: 'UP' });
  });

  it('recommends optimising slow operations', () => {
    const { monitor, run } = setup();
    run('run_report', 450, 30);
    const report = monitor.getPerformanceReport();
    expect(report.recommendations[0]).toMatch(/run_report/);
    expect(report.recommendationDetails[0]).toMatchObject({ id: 'slow-operation:run_report' });
    expect(monitor.getSystemHealth()).toMatchObject({ status: 'DEGRADED' });
  });

  it('warns about scalability near and past the limits', () => {
    const { monitor, run } = setup();
    run('op', 5, 30);
    monitor.trackTransaction(8_500);
    monitor.trackCustomer(1_000);
    const health = monitor.getSystemHealth();
    expect(health.status).toBe('DEGRADED');
    expect(health.reasons.join(' ')).toMatch(/customers at 1000 of 1000/);
    const ids = monitor.getPerformanceReport().recommendationDetails.map((r) => r.id);
    expect(ids).toEqual(['capacity:customers', 'capacity:transactions']);
  });

  it('is DOWN when most calls fail', () => {
    const { monitor, run } = setup();
    run('op', 5, 40, 30);
    expect(monitor.getSystemHealth().status).toBe('DOWN');
  });
});

describe('PerformanceMonitor: capacity and sessions', () => {
  it('tracks, untracks and sets the seed counts', () => {
    const { monitor } = setup();
    expect(monitor.trackTransaction()).toBe(1);
    expect(monitor.trackTransaction(4)).toBe(5);
    expect(monitor.untrackTransaction(2)).toBe(3);
    expect(monitor.setCustomerCount(10)).toBe(10);
    expect(monitor.trackCustomer()).toBe(11);
    expect(monitor.untrackCustomer()).toBe(10);
    expect(monitor.setTransactionCount(0)).toBe(0);
  });

  it.each([[Number.NaN], [-1], [1.5], ['2' as unknown as number]])(
    'rejects the count %s naming the argument, recording nothing',
    (n) => {
      const { monitor } = setup();
      expect(() => monitor.trackTransaction(n)).toThrow(/\bn\b/);
      expect(() => monitor.setCustomerCount(n)).toThrow(/count|value/);
      expect(monitor.getSystemHealth()).toMatchObject({ transactionCount: 0, customerCount: 0 });
    },
  );

  it('rejects past the limit with policy reject', () => {
    const { monitor } = setup({ capacity: { customers: { limit: 2, policy: 'reject' } } });
    monitor.trackCustomer(2);
    let error: unknown;
    try {
      monitor.trackCustomer();
    } catch (e) {
      error = e;
    }
    expect(isCapacityExceededError(error)).toBe(true);
    expect(monitor.getSystemHealth().customerCount).toBe(2);
  });

  it('expires idle sessions after 30 minutes by default', () => {
    const { clock, monitor } = setup();
    monitor.registerSession('a');
    monitor.registerSession('b');
    clock.t = 20 * 60_000;
    monitor.touchSession('b');
    clock.t = 31 * 60_000;
    expect(monitor.getSystemHealth().activeSessions).toBe(1);
    expect(monitor.unregisterSession('b')).toBe(true);
    expect(monitor.unregisterSession('b')).toBe(false);
    expect(() => monitor.unregisterSession('')).toThrow(RangeError);
    expect(() => monitor.touchSession(5 as unknown as string)).toThrow(TypeError);
  });
});

describe('PerformanceMonitor: targets and SLOs', () => {
  it('uses per-operation targets', () => {
    const { monitor, run } = setup({
      targets: { operations: { run_report: { latencyMs: 1000 } } },
    });
    run('run_report', 450, 30);
    expect(monitor.getPerformanceReport().meetingTargets).toBe(true);
    monitor.setTarget('run_report', { latencyMs: 400 });
    expect(monitor.getPerformanceReport().meetingTargets).toBe(false);
  });

  it('reports SLO error budgets', () => {
    const { monitor, run } = setup({
      slos: [{ name: 'checkout', objective: 0.9, operation: 'pay', latencyMs: 100 }],
    });
    run('pay', 50, 90);
    run('pay', 150, 5);
    run('pay', 10, 5, 5);
    const [slo] = monitor.getSloStatuses();
    expect(slo).toMatchObject({
      name: 'checkout',
      total: 100,
      bad: 10,
      meetingObjective: true,
      windowMs: 600_000,
    });
    expect(slo!.errorBudgetRemaining).toBeCloseTo(0);
    expect(() => monitor.addSlo({ name: 'checkout', objective: 0.5 })).toThrow(/already exists/);
  });

  it('judges lifetime SLOs over everything and rejects windows shorter than a slice', () => {
    const { clock, monitor, run } = setup({
      slos: [{ name: 'all', objective: 0.5, windowMinutes: 'lifetime' }],
    });
    run('op', 5, 4, 3);
    clock.t = 60 * 60_000;
    run('op', 5, 4);
    expect(monitor.getSloStatuses()[0]).toMatchObject({
      total: 8,
      bad: 3,
      windowMs: null,
      meetingObjective: true,
    });
    monitor.addSlo({ name: 'short', objective: 0.9, windowMinutes: 2.5 });
    expect(monitor.getSloStatuses()[1]!.windowMs).toBe(3 * 60_000); // whole slices are judged
    expect(() => monitor.addSlo({ name: 'tiny', objective: 0.9, windowMinutes: 0.5 })).toThrow(
      /windowMinutes must be at least one slice/,
    );
  });

  it.each([
    [{ metrics: { windowMinutes: 0 } }, /windowMinutes/],
    [{ slos: [{ name: 'x', objective: 1 }] }, /objective/],
    [{ targets: { default: { latencyMs: -1 } } }, /latencyMs/],
    [{ downErrorRate: 2 }, /downErrorRate/],
    [{ capacity: { transactions: { limit: -5 } } }, /limit/],
    [{ sessions: { idleTimeoutMinutes: 0 } }, /idleTimeoutMinutes/],
  ])('rejects options %o naming the field', (options, message) => {
    expect(() => new PerformanceMonitor(options as PerformanceMonitorOptions)).toThrow(message);
  });
});

describe('PerformanceMonitor: lifecycle', () => {
  it('closes idempotently and with await using', async () => {
    const monitor = new PerformanceMonitor();
    await monitor.close();
    await monitor.close();
    expect(monitor.closed).toBe(true);
    {
      await using m = new PerformanceMonitor();
      m.recordOperation('a', 1);
    }
  });
});
