import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PerformanceMonitor } from '../src/index.js';

let dir: string;
let monitor: PerformanceMonitor;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-recovery-monitor-'));
  monitor = new PerformanceMonitor({ backupDir: join(dir, 'backups') });
});

afterEach(async () => {
  await monitor.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const dbError = () => Object.assign(new Error('connection lost'), { type: 'database_error' });

describe('error recovery integration (seed)', () => {
  it('recovers a workflow from a database error and shows it in health and the report', async () => {
    let connected = false;
    monitor.registerErrorHandler('database_error', () => {
      connected = true;
    });
    const saved: number[] = [];
    const save = (id: number) =>
      monitor.run(
        'save_transaction',
        () => {
          if (!connected) throw dbError();
          saved.push(id);
          return id;
        },
        { retry: { maxAttempts: 2, initialDelayMs: 0 }, data: { id } },
      );
    expect(await save(1)).toBe(1);
    expect(await save(2)).toBe(2);
    expect(saved).toEqual([1, 2]); // nothing lost
    const direct = await monitor.recoverFromError('database_error', {
      operation: 'save_transaction',
    });
    expect(direct).toMatchObject({ recovered: true, attempts: 1, handler: 'database_error' });
    const health = monitor.getSystemHealth();
    expect(health.recovery).toMatchObject({ runs: 2, recovered: 1, gaveUp: 0 });
    expect(health.recovery.topErrorTypes[0]).toMatchObject({ type: 'database_error' });
    expect(monitor.getPerformanceReport().recovery).toMatchObject({ recovered: 1 });
  });
});

describe('recovery in health and recommendations', () => {
  it('an open breaker makes health DEGRADED and is recommended about; reset clears both', async () => {
    const policy = { breaker: { consecutive: 2, halfOpenAfterMs: 60_000 } };
    for (let i = 0; i < 2; i++) {
      await monitor
        .run('ledger_api', () => Promise.reject(dbError()), policy)
        .catch(() => undefined);
    }
    const health = monitor.getSystemHealth();
    expect(health.status).toBe('DEGRADED');
    expect(health.reasons).toContain('the circuit breaker of ledger_api is open');
    const ids = monitor.getPerformanceReport().recommendationDetails.map((r) => r.id);
    expect(ids).toContain('breaker-open:ledger_api');
    monitor.recovery.breaker('ledger_api')?.reset();
    expect(monitor.getSystemHealth().reasons.join()).not.toMatch(/circuit breaker/);
    expect(monitor.getPerformanceReport().recommendationDetails.map((r) => r.id)).not.toContain(
      'breaker-open:ledger_api',
    );
  });

  it('recommends about recovery that keeps failing, not about one that works', async () => {
    for (let i = 0; i < 6; i++) {
      await monitor
        .run('sync_bank', () => Promise.reject(dbError()), {
          retry: { maxAttempts: 2, initialDelayMs: 0 },
        })
        .catch(() => undefined);
      let first = true;
      await monitor.run(
        'send_invoice',
        () => {
          if (first) {
            first = false;
            throw dbError();
          }
          return 'sent';
        },
        { retry: { maxAttempts: 2, initialDelayMs: 0 } },
      );
    }
    const details = monitor.getPerformanceReport().recommendationDetails;
    const failing = details.find((r) => r.id === 'recovery-failing:sync_bank');
    expect(failing).toMatchObject({
      severity: 'critical',
      evidence: { metric: 'giveUpRate', value: 1, threshold: 0.5, operation: 'sync_bank' },
    });
    expect(details.some((r) => r.id === 'recovery-failing:send_invoice')).toBe(false);
  });

  it('names an error type that dominates, and stays quiet when errors are mixed', async () => {
    const fail = (type: string) =>
      monitor
        .run('work', () => Promise.reject(Object.assign(new Error(type), { type })))
        .catch(() => undefined);
    for (let i = 0; i < 4; i++) await fail(`type_${i}`);
    expect(
      monitor
        .getPerformanceReport()
        .recommendationDetails.some((r) => r.id.startsWith('error-type-dominating')),
    ).toBe(false);
    for (let i = 0; i < 8; i++) await fail('payment_gateway_error');
    const dominating = monitor
      .getPerformanceReport()
      .recommendationDetails.find((r) => r.id.startsWith('error-type-dominating'));
    expect(dominating).toMatchObject({
      id: 'error-type-dominating:payment_gateway_error',
      evidence: { metric: 'errorShare', threshold: 0.5 },
    });
  });
});

describe('recovery leaves nothing behind', () => {
  it('100,000 runs with timeouts: active handles and heap back to baseline', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const handles = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const policy = { timeoutMs: 5_000, retry: { maxAttempts: 2 }, breaker: true };
    for (let i = 0; i < 2_000; i++) await monitor.run('warm', async () => i, policy);
    gc();
    const handlesBefore = handles();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      await monitor.run('charge', async ({ signal }) => (signal.aborted ? -1 : i), policy);
    }
    expect(monitor.recovery.pendingTimeouts).toBe(0);
    await new Promise((r) => setTimeout(r, 120)); // the deadline timer stops once nothing is pending
    gc();
    expect(handles()).toBeLessThanOrEqual(handlesBefore);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024);
  });
});
