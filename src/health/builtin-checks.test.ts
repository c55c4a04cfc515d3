import { describe, expect, it } from 'vitest';
import type { BackupStats } from '../backup/index.js';
import { CapacityHistory, type ResourceStatus } from '../capacity/index.js';
import type { AggregateStats } from '../metrics/index.js';
import type { RecoveryStats } from '../recovery/index.js';
import { type RuntimeVitals, RuntimeWindow } from '../runtime/index.js';
import type { Violation } from '../targets/index.js';
import { builtInChecks, type HealthSource } from './builtin-checks.js';
import { heapGrowth } from './conditions.js';
import { runtimeRecommendations } from './recommendations.js';
import { resolveThresholds } from './thresholds.js';

const overall = (count: number, errorRate = 0): AggregateStats =>
  ({ count, errorRate, p95Ms: 10, p99Ms: 20 }) as AggregateStats;

const backups = (over: Partial<BackupStats> = {}): BackupStats => ({
  attempts: 0,
  failures: 0,
  successRate: 1,
  consecutiveFailures: 0,
  lastSuccessAt: null,
  lastGoodBackupAgeMs: null,
  corruptFound: 0,
  running: false,
  scheduled: false,
  pendingActivity: false,
  pendingForMs: null,
  scheduledForMs: null,
  pruneFailures: 0,
  intervalMinutes: 5,
  history: [],
  disk: null,
  backupCount: 0,
  bytesOnDisk: 0,
  ...over,
});

const vitals = (over: Partial<RuntimeVitals> = {}): RuntimeVitals => ({
  sampledAt: '',
  intervalMs: 1_000,
  memory: {
    rssBytes: 1e8,
    heapUsedBytes: 5e7,
    heapTotalBytes: 8e7,
    heapLimitBytes: 4e9,
    externalBytes: 0,
    arrayBuffersBytes: 0,
    heapAfterGcBytes: [],
  },
  eventLoopDelay: { p50Ms: 1, p99Ms: 2, maxMs: 5 },
  eventLoopUtilization: 0.1,
  gc: {
    major: { count: 0, pauseMs: 0 },
    minor: { count: 0, pauseMs: 0 },
    incremental: { count: 0, pauseMs: 0 },
    weakcb: { count: 0, pauseMs: 0 },
  },
  cpuPercent: 5,
  activeResources: {},
  disk: null,
  samplingCpuPercent: 0.01,
  lastSampleMs: 0.1,
  ...over,
});

function checks(over: Partial<{ [K in keyof HealthSource]: ReturnType<HealthSource[K]> }> = {}) {
  const source: HealthSource = {
    operations: () => over.operations ?? { overall: overall(100), violations: [] },
    backups: () => over.backups ?? backups(),
    recovery: () =>
      over.recovery ??
      ({ openBreakers: [], operations: [], gaveUp: 0 } as unknown as RecoveryStats),
    capacity: () => over.capacity ?? [],
    capacityTrends: () => over.capacityTrends ?? [],
    runtime: () => over.runtime,
  };
  const all = Object.fromEntries(
    builtInChecks(source, resolveThresholds()).map(([name, check]) => [name, check]),
  );
  return (name: string) => all[name]!();
}

const slow: Violation = {
  operation: 'report',
  metric: 'p95Ms',
  value: 400,
  threshold: 200,
  severity: 'critical',
};
const failing: Violation = {
  operation: 'pay',
  metric: 'errorRate',
  value: 0.2,
  threshold: 0.01,
  severity: 'critical',
};

describe('built-in checks', () => {
  it('latency: UNKNOWN without data, UP within targets, DEGRADED over them', () => {
    expect(checks({ operations: { overall: overall(0), violations: [] } })('latency').status).toBe(
      'UNKNOWN',
    );
    expect(checks()('latency').status).toBe('UP');
    const degraded = checks({ operations: { overall: overall(100), violations: [slow] } })(
      'latency',
    );
    expect(degraded).toMatchObject({
      status: 'DEGRADED',
      message: 'report p95Ms 400 is over its target 200',
    });
  });

  it('errors: DEGRADED on an error-rate target, DOWN at half the calls failing (20 or more)', () => {
    expect(
      checks({ operations: { overall: overall(100, 0.2), violations: [failing] } })('errors')
        .status,
    ).toBe('DEGRADED');
    expect(
      checks({ operations: { overall: overall(100, 0.6), violations: [] } })('errors').status,
    ).toBe('DOWN');
    expect(
      checks({ operations: { overall: overall(10, 0.9), violations: [] } })('errors').status,
    ).toBe('UP');
  });

  it('backups: failing, stale after 2 missed intervals while active, DOWN without a recent good one', () => {
    expect(checks({ backups: backups() })('backups').status).toBe('UP');
    expect(checks({ backups: backups({ consecutiveFailures: 2 }) })('backups').status).toBe(
      'DEGRADED',
    );
    const scheduled = {
      scheduled: true,
      intervalMinutes: 5,
      attempts: 3,
      lastGoodBackupAgeMs: 60_000,
    };
    const waiting = (ms: number | null, over: Partial<BackupStats> = {}) =>
      checks({
        backups: backups({ ...scheduled, pendingActivity: ms !== null, pendingForMs: ms, ...over }),
      })('backups').status;
    expect(waiting(9 * 60_000)).toBe('UP'); // under two intervals
    expect(waiting(11 * 60_000)).toBe('DEGRADED');
    // An app that was idle for hours and just did one thing is not late.
    expect(waiting(1_000, { lastGoodBackupAgeMs: 5 * 3_600_000 })).toBe('UP');
    expect(waiting(null, { lastGoodBackupAgeMs: 48 * 3_600_000 })).toBe('UP'); // idle: nothing to save
    expect(waiting(25 * 3_600_000, { lastGoodBackupAgeMs: 26 * 3_600_000 })).toBe('DOWN');
    expect(waiting(25 * 3_600_000, { lastGoodBackupAgeMs: null })).toBe('DOWN');
  });

  it('recovery: DEGRADED while a breaker is open or runs keep giving up', () => {
    const open = { openBreakers: [{ operation: 'pay', state: 'open' }], operations: [], gaveUp: 0 };
    expect(checks({ recovery: open as unknown as RecoveryStats })('recovery')).toMatchObject({
      status: 'DEGRADED',
      message: 'the circuit breaker of pay is open',
    });
    const givingUp = {
      openBreakers: [],
      gaveUp: 6,
      operations: [{ operation: 'sync', recovered: 1, gaveUp: 6, degraded: 0 }],
    };
    expect(checks({ recovery: givingUp as unknown as RecoveryStats })('recovery').status).toBe(
      'DEGRADED',
    );
    const working = {
      openBreakers: [],
      gaveUp: 1,
      operations: [{ operation: 'sync', recovered: 9, gaveUp: 1, degraded: 0 }],
    };
    expect(checks({ recovery: working as unknown as RecoveryStats })('recovery').status).toBe('UP');
  });

  it('capacity: DEGRADED from the warning level on', () => {
    const at = (state: ResourceStatus['state']) =>
      [{ name: 'customers', count: 900, limit: 1000, state }] as ResourceStatus[];
    expect(checks({ capacity: at('ok') })('capacity').status).toBe('UP');
    expect(checks({ capacity: at('warning') })('capacity').status).toBe('DEGRADED');
    expect(checks({ capacity: at('exceeded') })('capacity').status).toBe('DEGRADED');
  });

  it('capacity: DEGRADED when the limit is less than an hour away at the current growth', () => {
    const res = [{ name: 'customers', count: 500, limit: 1000, state: 'ok' }] as ResourceStatus[];
    const trend = (timeLeftMs: number | null) => [
      { name: 'customers', perHour: 100, timeLeftMs, state: 'ok' as const },
    ];
    expect(checks({ capacity: res, capacityTrends: trend(2 * 3_600_000) })('capacity').status).toBe(
      'UP',
    );
    expect(checks({ capacity: res, capacityTrends: trend(null) })('capacity').status).toBe('UP');
    expect(checks({ capacity: res, capacityTrends: trend(30 * 60_000) })('capacity')).toMatchObject(
      {
        status: 'DEGRADED',
        message: 'customers reaches its limit in about 30 min at its current growth',
      },
    );
  });

  it("disk: the sampler's reading counts too, before any backup", () => {
    const d = vitals({ disk: { path: '/b', freeBytes: 50 * 1_048_576, totalBytes: 1e12 } });
    expect(checks({ runtime: d })('disk').status).toBe('DEGRADED');
    const roomy = vitals({ disk: { path: '/b', freeBytes: 5e11, totalBytes: 1e12 } });
    expect(checks({ runtime: roomy })('disk').status).toBe('UP');
  });

  it('eventLoop: DEGRADED at a 10 ms median or a 100 ms maximum', () => {
    expect(checks({ runtime: vitals() })('eventLoop').status).toBe('UP');
    const blocked = vitals({ eventLoopDelay: { p50Ms: 2, p99Ms: 150, maxMs: 201 } });
    expect(checks({ runtime: blocked })('eventLoop')).toMatchObject({
      status: 'DEGRADED',
      message: 'the event loop was blocked for up to 201 ms',
    });
    const slowLoop = vitals({ eventLoopDelay: { p50Ms: 12, p99Ms: 30, maxMs: 40 } });
    expect(checks({ runtime: slowLoop })('eventLoop').status).toBe('DEGRADED');
    expect(checks({ runtime: undefined })('eventLoop').status).toBe('UP');
  });

  it('memory: DEGRADED near the heap limit or when the heap grows after every GC', () => {
    const m = vitals().memory;
    expect(checks({ runtime: vitals() })('memory').status).toBe('UP');
    const full = vitals({ memory: { ...m, heapUsedBytes: 3.7e9 } });
    expect(checks({ runtime: full })('memory').status).toBe('DEGRADED');
    const leaking = vitals({ memory: { ...m, heapAfterGcBytes: [100, 110, 125, 130, 150, 170] } });
    expect(checks({ runtime: leaking })('memory').message).toMatch(/grows after every major GC/);
    const steady = vitals({ memory: { ...m, heapAfterGcBytes: [100, 104, 99, 103, 100, 102] } });
    expect(checks({ runtime: steady })('memory').status).toBe('UP');
  });

  it('disk: DEGRADED when the backup disk is low', () => {
    const low = backups({ disk: { freeBytes: 5, totalBytes: 10, checkedAt: '', low: true } });
    expect(checks({ backups: low })('disk').status).toBe('DEGRADED');
    expect(checks()('disk').status).toBe('UP');
  });

  it.each([
    [{ eventLoopMaxMs: 0 }, /health.eventLoopMaxMs/],
    [{ heapUsedFraction: 1.5 }, /health.heapUsedFraction/],
    [{ downErrorRate: 0 }, /health.downErrorRate/],
    [{ backupMaxAgeMs: -1 }, /health.backupMaxAgeMs/],
  ])('rejects threshold %o naming the option', (t, message) => {
    expect(() => resolveThresholds(t)).toThrow(message);
  });
});

describe('heapGrowth', () => {
  it('needs 5 collections that (nearly) all grew', () => {
    expect(heapGrowth([1, 2, 3, 4])).toBeUndefined();
    expect(heapGrowth([100, 110, 120, 130, 140])).toBeCloseTo(0.4);
    expect(heapGrowth([100, 90, 120, 80, 140])).toBeUndefined();
  });
});

describe('runtime, backup and capacity recommendations', () => {
  const t = resolveThresholds();
  const ids = (input: Partial<Parameters<typeof runtimeRecommendations>[0]>) =>
    runtimeRecommendations({
      runtime: vitals(),
      window: undefined,
      backups: backups(),
      trends: [],
      thresholds: t,
      ...input,
    }).map((r) => r.id);
  /** A runtime window on a fake clock, at 13:02:11 UTC. */
  const runtimeWindow = () =>
    new RuntimeWindow({ clock: { now: () => 0 }, now: () => Date.parse('2026-12-02T13:02:11Z') });

  it('fires nothing on a healthy process (control)', () => {
    const w = runtimeWindow();
    w.lag(1);
    w.interval(vitals());
    expect(ids({ window: w.summary() })).toEqual([]);
  });

  it('event-loop blocking over the window, with how often, the worst and when', () => {
    const w = runtimeWindow();
    for (const ms of [150, 251, 99, 120, 180]) w.lag(ms);
    const r = runtimeRecommendations({
      runtime: vitals(),
      window: w.summary(),
      backups: backups(),
      trends: [],
      thresholds: t,
    });
    expect(r).toMatchObject([
      {
        id: 'event-loop-blocked',
        evidence: {
          metric: 'eventLoopDelayMaxMs',
          value: 251,
          threshold: 100,
          window: '10m',
          windowMs: 600_000,
          count: 4,
          at: '2026-12-02T13:02:11.000Z',
        },
      },
    ]);
    expect(r[0]?.message).toBe(
      'The event loop was blocked 4 time(s) in the last 10 min, worst 251 ms at 13:02:11 UTC: every request waited that long.',
    );
    const delayed = runtimeWindow();
    delayed.interval(vitals({ eventLoopDelay: { p50Ms: 11, p99Ms: 20, maxMs: 30 } }));
    expect(ids({ window: delayed.summary() })).toEqual(['event-loop-blocked']);
  });

  it('heap growing after GC, and GC pressure over the window', () => {
    const m = vitals().memory;
    expect(
      ids({ runtime: vitals({ memory: { ...m, heapAfterGcBytes: [100, 120, 140, 160, 180] } }) }),
    ).toEqual(['heap-growing']);
    const gc = vitals().gc;
    const pressed = runtimeWindow();
    pressed.interval(vitals({ gc: { ...gc, major: { count: 3, pauseMs: 150 } } }));
    pressed.interval(vitals());
    expect(ids({ window: pressed.summary() })).toEqual(['gc-pressure']);
    const light = runtimeWindow();
    light.interval(vitals({ gc: { ...gc, minor: { count: 9, pauseMs: 20 } } }));
    expect(ids({ window: light.summary() })).toEqual([]);
  });

  it('capacity running out at the current growth rate', () => {
    const history = new CapacityHistory();
    const res = (count: number) =>
      [{ name: 'customers', count, limit: 1000, state: 'ok' }] as ResourceStatus[];
    history.add(0, res(100));
    history.add(30 * 60_000, res(500)); // +800 per hour: 500 left → ~37 min
    const trends = history.trends(res(500));
    expect(trends[0]?.perHour).toBeCloseTo(800);
    const r = runtimeRecommendations({
      runtime: undefined,
      window: undefined,
      backups: backups(),
      trends,
      thresholds: t,
    });
    expect(r).toMatchObject([{ id: 'capacity-forecast:customers', severity: 'critical' }]);
    expect(r[0]?.message).toMatch(/reaches its limit in about 38 min/);
    const flat = new CapacityHistory();
    flat.add(0, res(500));
    flat.add(30 * 60_000, res(500));
    expect(ids({ trends: flat.trends(res(500)) })).toEqual([]);
  });

  it('no capacity forecast for a resource the capacity rule already covers', () => {
    const trends = [
      { name: 'customers', perHour: 500, timeLeftMs: 600_000, state: 'warning' as const },
    ];
    expect(ids({ trends })).toEqual([]);
  });

  it('backups failing, stale, or short of disk', () => {
    expect(ids({ backups: backups({ consecutiveFailures: 1 }) })).toEqual(['backups-failing']);
    // Failing and stale at once: one recommendation, not two.
    const both = {
      consecutiveFailures: 2,
      scheduled: true,
      pendingActivity: true,
      pendingForMs: 3_600_000,
    };
    expect(ids({ backups: backups(both) })).toEqual(['backups-failing']);
    expect(
      ids({
        backups: backups({ scheduled: true, pendingActivity: true, pendingForMs: 11 * 60_000 }),
      }),
    ).toEqual(['backups-stale']);
    expect(
      ids({
        backups: backups({ disk: { freeBytes: 1, totalBytes: 9, checkedAt: '', low: true } }),
      }),
    ).toEqual(['backup-disk-low']);
  });
});
