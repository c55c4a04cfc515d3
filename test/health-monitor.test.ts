import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PerformanceMonitor, type PerformanceMonitorOptions } from '../src/index.js';

let dir: string;
const monitors: PerformanceMonitor[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-health-'));
});

afterEach(async () => {
  for (const m of monitors.splice(0)) await m.close();
  await fs.rm(dir, { recursive: true, force: true });
});

function monitor(options: PerformanceMonitorOptions = {}): PerformanceMonitor {
  const m = new PerformanceMonitor({ backupDir: dir, ...options });
  monitors.push(m);
  return m;
}

/** Blocks the event loop for `ms` of busy work. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

const waitFor = async (predicate: () => boolean, timeoutMs = 3_000) => {
  const end = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('health of the monitor', () => {
  it('carries the seed fields plus checks, liveness, readiness, memory and runtime', async () => {
    // A busy test worker may pause its loop now and then: only the fields are checked here.
    const m = monitor({
      runtime: { intervalMs: 100 },
      health: { eventLoopMaxMs: 60_000, eventLoopP50Ms: 60_000 },
    });
    m.recordOperation('save', 12);
    await waitFor(() => m.runtime.latest() !== undefined);
    const h = m.getSystemHealth();
    expect(h).toMatchObject({ status: 'UP', liveness: 'UP', readiness: 'UP', totalOperations: 1 });
    expect(h.checks.map((c) => c.name)).toEqual([
      'latency',
      'errors',
      'backups',
      'recovery',
      'capacity',
      'eventLoop',
      'memory',
      'disk',
    ]);
    expect(h.memory?.heapUsedBytes).toBeGreaterThan(0);
    expect(h.memory?.heapLimitBytes).toBeGreaterThan(h.memory!.heapUsedBytes);
    expect(h.runtime?.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(h.runtime?.samplingCpuPercent).toBeGreaterThanOrEqual(0);
    expect(Object.keys(h.runtime?.activeResources ?? {}).length).toBeGreaterThan(0);
  });

  it('a custom check that throws makes readiness DOWN with its message; liveness stays UP', async () => {
    const m = monitor({ runtime: { enabled: false } });
    m.recordOperation('save', 12);
    m.health.register('database', () => {
      throw new Error('ECONNREFUSED 127.0.0.1:5432');
    });
    const h = await m.checkHealth();
    expect(h.status).toBe('DOWN');
    expect(h.reasons).toContain('database: ECONNREFUSED 127.0.0.1:5432');
    expect(h.liveness).toBe('UP');
    const live = await m.checkHealth({ group: 'liveness' });
    expect(live.status).toBe('UP');
    expect(live.readiness).toBe('DOWN'); // readiness still covers the app's check
    expect(live.checks.map((c) => c.name)).toEqual(['eventLoop', 'memory']);
    // The synchronous view keeps the last outcome of the app's check.
    expect(m.getSystemHealth().status).toBe('DOWN');
  });

  it('a custom check that hangs is UNKNOWN after its timeout; a non-critical DOWN only degrades', async () => {
    const m = monitor({ runtime: { enabled: false } });
    m.recordOperation('save', 12);
    m.health.register('search', () => new Promise(() => {}), { timeoutMs: 50 });
    m.health.register('mailer', () => false, { critical: false });
    const h = await m.checkHealth();
    expect(h.checks.find((c) => c.name === 'search')?.status).toBe('UNKNOWN');
    expect(h.status).toBe('DEGRADED');
    expect(h.durationMs).toBeLessThan(2_000);
  });

  it('detects a 200 ms block of the event loop, and recommends about it', async () => {
    const m = monitor({ runtime: { intervalMs: 500 } }); // default thresholds: 10 ms median, 100 ms max
    m.recordOperation('save', 12);
    const loopStatus = () => m.getSystemHealth().checks.find((c) => c.name === 'eventLoop')?.status;
    const blocked = () => (m.runtime.latest()?.eventLoopDelay.maxMs ?? 0) >= 100;
    // Control: a sample of a free-running loop is UP, with no recommendation.
    await waitFor(() => m.runtime.latest() !== undefined && !blocked());
    expect(loopStatus()).toBe('UP');
    expect(m.getPerformanceReport().recommendationDetails.map((r) => r.id)).not.toContain(
      'event-loop-blocked',
    );
    block(200);
    await waitFor(blocked); // within two intervals
    // The probe fires every 100 ms: a 200 ms block makes it 100–200 ms late.
    expect(m.runtime.latest()?.eventLoopDelay.maxMs).toBeGreaterThanOrEqual(100);
    expect(loopStatus()).toBe('DEGRADED');
    const rec = m
      .getPerformanceReport()
      .recommendationDetails.find((r) => r.id === 'event-loop-blocked');
    expect(rec?.evidence).toMatchObject({ metric: 'eventLoopDelayMaxMs', threshold: 100 });
    // Liveness judges the last interval: once the loop runs freely again, the check is UP;
    // the report judges the window, so the block is still recommended about (issue 14.2).
    await waitFor(() => !blocked());
    expect(loopStatus()).toBe('UP');
    expect(m.getPerformanceReport().recommendationDetails.map((r) => r.id)).toContain(
      'event-loop-blocked',
    );
  });

  it('a blocked event loop is not forgotten one second later (issue 14.2)', async () => {
    const m = monitor({ runtime: { intervalMs: 200 } });
    m.recordOperation('save', 12);
    await waitFor(() => m.runtime.latest() !== undefined);
    for (let i = 0; i < 3; i++) {
      block(250);
      await new Promise((r) => setTimeout(r, 150)); // the probe fires (late) between blocks
    }
    const free = () => (m.runtime.latest()?.eventLoopDelay.maxMs ?? 1_000) < 100;
    await waitFor(free); // an interval without a block: "now" is calm again
    await new Promise((r) => setTimeout(r, 1_000));
    await waitFor(free);
    // (That liveness goes UP again once an interval is calm is the test above; here a busy
    // test machine may stall the current interval, so only the window is asserted.)
    const health = m.getSystemHealth();
    // At least the three blocks (a busy test machine may add a stall of its own).
    expect(health.runtimeWindow?.eventLoop.blocks).toBeGreaterThanOrEqual(3);
    expect(health.runtimeWindow?.eventLoop.worstBlock?.ms).toBeGreaterThanOrEqual(100);
    const report = m.getPerformanceReport();
    const blocks = report.runtime?.eventLoop.blocks ?? 0;
    expect(blocks).toBeGreaterThanOrEqual(3);
    const rec = report.recommendationDetails.find((r) => r.id === 'event-loop-blocked');
    expect(rec?.evidence).toMatchObject({
      metric: 'eventLoopDelayMaxMs',
      threshold: 100,
      window: '10m',
      windowMs: 600_000,
      count: blocks,
    });
    expect(rec?.message).toMatch(
      /^The event loop was blocked \d+ time\(s\) in the last 10 min, worst \d+ ms at \d\d:\d\d:\d\d UTC/,
    );
    expect(report.recommendations).toContain(rec?.message);
  });

  it('sampling can be turned off, and close stops it', async () => {
    const off = monitor({ runtime: { enabled: false } });
    expect(off.runtime.running).toBe(false);
    expect(off.getSystemHealth()).toMatchObject({ memory: null, runtime: null });
    const on = monitor({ runtime: { intervalMs: 100 } });
    expect(on.runtime.running).toBe(true);
    await on.close();
    expect(on.runtime.running).toBe(false);
  });

  it('a read on unchanged figures does not recompute the window', () => {
    const clock = { t: 0, now: () => clock.t };
    const m = monitor({ clock, runtime: { enabled: false } });
    m.recordOperation('save', 10);
    let snapshots = 0;
    const real = m.operations.snapshot.bind(m.operations);
    m.operations.snapshot = (options) => {
      snapshots++;
      return real(options);
    };
    m.getSystemHealth();
    m.getSystemHealth();
    void m.checkHealth();
    expect(snapshots).toBe(1);
    m.recordOperation('save', 12);
    m.getSystemHealth();
    expect(snapshots).toBe(2);
    clock.t += 1_000; // a second later: throughput and checkedAt move
    m.getSystemHealth();
    expect(snapshots).toBe(3);
  });

  it('figures follow the clock: an old window empties without a new recording', () => {
    const clock = { t: 0, now: () => clock.t };
    const m = monitor({ clock, runtime: { enabled: false } });
    for (let i = 0; i < 30; i++) m.recordOperation('save', 500);
    expect(m.getSystemHealth()).toMatchObject({ totalOperations: 30, status: 'DEGRADED' });
    clock.t = 20 * 60_000; // past the 10-minute window
    expect(m.getSystemHealth()).toMatchObject({ totalOperations: 0, status: 'UNKNOWN' });
  });

  it('forecasts capacity from the growth seen by health reads, with sampling off', () => {
    const clock = { t: 0, now: () => clock.t };
    const m = monitor({ clock, runtime: { enabled: false } });
    m.recordOperation('save', 10);
    m.trackCustomer(100);
    m.getSystemHealth();
    clock.t = 30 * 60_000;
    m.trackCustomer(400); // +800 an hour: 500 left → about 38 min
    const capacity = m.getSystemHealth().checks.find((c) => c.name === 'capacity');
    expect(capacity?.status).toBe('DEGRADED');
    expect(capacity?.message).toMatch(/customers reaches its limit in about 38 min/);
    const ids = m.getPerformanceReport().recommendationDetails.map((r) => r.id);
    expect(ids).toContain('capacity-forecast:customers');
    m.trackCustomer(350); // now at the warning level: the capacity rule says it, with the time left
    const report = m.getPerformanceReport();
    const rec = report.recommendationDetails.filter((r) => r.id.includes('customers'));
    expect(rec.map((r) => r.id)).toEqual(['capacity:customers']);
    expect(rec[0]?.message).toMatch(/reached in about/);
  });

  it('one failing dependency gives one recovery recommendation, not three', async () => {
    const m = monitor({ runtime: { enabled: false } });
    const policy = { breaker: { consecutive: 3, halfOpenAfterMs: 60_000 } };
    for (let i = 0; i < 8; i++) {
      await m
        .run('charge', () => Promise.reject(new Error('gateway down')), policy)
        .catch(() => undefined);
    }
    const ids = m.getPerformanceReport().recommendationDetails.map((r) => r.id);
    expect(ids).toContain('breaker-open:charge');
    expect(ids).not.toContain('recovery-failing:charge');
  });

  it('rejects invalid thresholds naming the option', () => {
    expect(() => monitor({ health: { eventLoopMaxMs: -1 } })).toThrow(/health.eventLoopMaxMs/);
    expect(() => monitor({ runtime: { intervalMs: 1 } })).toThrow(/runtime.intervalMs/);
  });

  it('getSystemHealth reflects a new recording at once (the cache never hides a change)', () => {
    const clock = { t: 0, now: () => clock.t };
    const m = monitor({ clock, runtime: { enabled: false } });
    m.recordOperation('save', 10);
    expect(m.getSystemHealth().totalOperations).toBe(1);
    m.recordOperation('save', 500);
    m.recordOperation('save', 500);
    const h = m.getSystemHealth();
    expect(h.totalOperations).toBe(3);
    expect(h.status).toBe('DEGRADED');
    m.targets.set('save', { latencyMs: 1_000 });
    expect(m.getSystemHealth().status).toBe('UP');
  });
});
