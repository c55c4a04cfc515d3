import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBackupNotFoundError, PerformanceMonitor } from '../src/index.js';

let dir: string;
let monitor: PerformanceMonitor;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-monitor-backup-'));
  monitor = new PerformanceMonitor({ backupDir: join(dir, 'backups'), backupIntervalMinutes: 5 });
});

afterEach(async () => {
  await monitor.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('PerformanceMonitor backups (seed backup-system tests)', () => {
  it('creates a backup with its content and metadata', async () => {
    const info = await monitor.performBackup({ data: 'important' });
    expect(info).toMatchObject({ sequence: 1, reason: 'manual', sizeBytes: 20 });
    expect(info.id).toMatch(/^keel-backup-\d{8}T\d{9}Z-000001$/);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.storedBytes).toBeGreaterThan(0);
    expect(info.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(info.createdAt)).not.toBeNaN();
    expect(await fs.readdir(join(dir, 'backups'))).toEqual([`${info.id}.json.gz`]);
  });

  it('restores by id and the latest', async () => {
    const first = await monitor.performBackup({ v: 1 });
    await monitor.performBackup({ v: 2 }, { reason: 'before-migration' });
    expect((await monitor.restoreBackup(first.id)).data).toEqual({ v: 1 });
    const latest = await monitor.restoreLatest();
    expect(latest).toMatchObject({ data: { v: 2 }, skippedCorrupt: [] });
    expect(latest.backup.reason).toBe('before-migration');
    expect((await monitor.listBackups()).map((b) => b.sequence)).toEqual([2, 1]);
  });

  it('rejects unknown and malicious ids', async () => {
    await expect(monitor.restoreBackup('../../etc/passwd')).rejects.toThrow(RangeError);
    let error: unknown;
    try {
      await monitor.restoreBackup('keel-backup-20260101T000000000Z-000042');
    } catch (e) {
      error = e;
    }
    expect(isBackupNotFoundError(error)).toBe(true);
  });

  it('records failures and the success rate, and shows them in health', async () => {
    await monitor.performBackup({ ok: 1 });
    await expect(monitor.performBackup({ n: 1n })).rejects.toThrow(TypeError);
    const health = monitor.getSystemHealth();
    expect(health.backupSuccessRate).toBe(0.5);
    expect(health.lastBackupAt).not.toBeNull();
    expect(health.backups).toMatchObject({ attempts: 2, failures: 1, consecutiveFailures: 1 });
    expect(health.status).toBe('DEGRADED');
    expect(health.reasons.join(' ')).toMatch(/backup/);
  });

  it('takes a final backup at stop when the app was active, and starts idempotently', async () => {
    let state = { orders: 0 };
    monitor.startBackupService(() => state);
    monitor.startBackupService(() => state);
    state = { orders: 1 };
    await monitor.measureOperation('place_order', () => 1);
    await monitor.stopBackupService();
    expect((await monitor.restoreLatest()).data).toEqual({ orders: 1 });
    expect(monitor.backups.stats()).toMatchObject({ attempts: 1, scheduled: false });
  });

  it('backs nothing up at stop when nothing happened (activity-based triggering)', async () => {
    monitor.startBackupService(() => ({ x: 1 }));
    await monitor.stopBackupService();
    expect(await monitor.listBackups()).toEqual([]);
    monitor.startBackupService(() => ({ x: 2 }));
    monitor.markActivity();
    await monitor.stopBackupService();
    expect((await monitor.listBackups()).length).toBe(1);
  });
});
