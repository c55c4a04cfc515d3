import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

beforeAll(() => {
  if (!existsSync(`${root}dist/src/index.js`)) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root });
  }
});

describe('the published package', () => {
  it('resolves the root entry and every capability subpath through the exports map', async () => {
    const keel = await import('keel');
    expect(typeof keel.PerformanceMonitor).toBe('function');
    expect(typeof keel.createMonitor).toBe('function');
    expect(typeof keel.isCapacityExceededError).toBe('function');
    const metrics = await import('keel/metrics');
    expect(typeof metrics.Sketch).toBe('function');
    expect(typeof metrics.MetricRegistry).toBe('function');
    expect(typeof (await import('keel/targets')).Targets).toBe('function');
    expect(typeof (await import('keel/capacity')).CapacityTracker).toBe('function');
    expect(typeof (await import('keel/backup')).BackupStore).toBe('function');
    expect(typeof (await import('keel/recovery')).Recovery).toBe('function');
    expect(typeof (await import('keel/runtime')).RuntimeSampler).toBe('function');
    expect(typeof (await import('keel/health')).HealthChecks).toBe('function');
    expect(typeof (await import('keel/report')).buildReport).toBe('function');
    expect(typeof (await import('keel/export')).PrometheusExporter).toBe('function');
    expect(typeof (await import('keel/http')).serve).toBe('function');
    expect(typeof (await import('keel/otel')).OtlpExporter).toBe('function');
    expect(typeof (await import('keel/cluster')).aggregateWorkers).toBe('function');
    expect(typeof (await import('keel/core')).systemClock.now()).toBe('number');
  });

  it('runs the README quick start (the seed usage example)', () => {
    const out = execFileSync(process.execPath, ['dist/examples/quick-start.js'], {
      cwd: root,
    }).toString();
    expect(out).toMatch(/^Status: UP$/m);
    expect(out).toMatch(/^Avg response time: \d+\.\dms$/m);
    expect(out).toMatch(/^Meeting targets: true$/m);
  });
});
