import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PerformanceMonitor } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function setup() {
  const clock = { t: 0, now: () => clock.t };
  return { clock, monitor: new PerformanceMonitor({ clock }) };
}

describe('README promises', () => {
  it('a recommendation disappears when its condition no longer holds', () => {
    const { clock, monitor } = setup();
    for (let i = 0; i < 30; i++) monitor.recordOperation('run_report', 900);
    expect(monitor.getPerformanceReport().recommendationDetails.map((r) => r.id)).toContain(
      'slow-operation:run_report',
    );
    clock.t = 11 * 60_000; // the slow calls leave the 10-minute window
    for (let i = 0; i < 30; i++) monitor.recordOperation('run_report', 20);
    const report = monitor.getPerformanceReport();
    expect(report.meetingTargets).toBe(true);
    expect(report.recommendationDetails).toEqual([]);
  });

  it('custom metric overflow shows in the report', () => {
    const { monitor } = setup();
    const m = new PerformanceMonitor({
      metrics: { maxSeriesPerMetric: 5 },
      clock: { now: () => 0 },
    });
    const c = m.metrics.counter('orders_total', { labelNames: ['order'] });
    for (let i = 0; i < 50; i++) c.inc(1, { order: i });
    expect(m.getPerformanceReport().recommendationDetails.map((r) => r.id)).toContain(
      'metric-cardinality:orders_total',
    );
    expect(monitor.getPerformanceReport().recommendationDetails.map((r) => r.id)).toEqual([
      'not-enough-data',
    ]);
  });

  it('breaks time down by kind in the snapshot and the report', () => {
    const { monitor } = setup();
    monitor.recordOperation('q', 30, { kind: 'db' });
    monitor.recordOperation('call', 70, { kind: 'http' });
    const report = monitor.getPerformanceReport();
    expect(report.byKind.map((k) => [k.kind, k.shareOfTotalTime])).toEqual([
      ['http', 0.7],
      ['db', 0.3],
    ]);
  });

  it('never keeps a process alive: a monitor left open does not block exit', () => {
    const script = `
      import { PerformanceMonitor } from 'keel';
      const m = new PerformanceMonitor();
      m.registerSession('s');
      await m.measureOperation('x', async () => 1);
      console.log('done');`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      timeout: 10_000,
    });
    expect(out.toString().trim()).toBe('done');
  });

  it('a throwing capacity listener never breaks the app', () => {
    const { monitor } = setup();
    monitor.capacity.onStateChanged(() => {
      throw new Error('listener bug');
    });
    expect(() => monitor.trackCustomer(900)).not.toThrow();
    expect(monitor.getSystemHealth().customerCount).toBe(900);
  });
});
