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
    expect((await fs.readdir(join(dir, 'backups'))).sort()).toEqual([
      `${info.id}.json.gz`,
      'keel-manifest.json.gz',
    ]);
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

describe('PerformanceMonitor backups: retention, verify and restoreAt', () => {
  it('prunes to the policy after each backup, and on demand with a dry run', async () => {
    const m = new PerformanceMonitor({
      backupDir: join(dir, 'kept'),
      backupRetention: { keepLast: 3 },
    });
    for (let i = 0; i < 5; i++) await m.performBackup({ i });
    expect((await m.listBackups()).map((b) => b.sequence)).toEqual([5, 4, 3]);
    const dry = await m.pruneBackups({ keepLast: 1 }, { dryRun: true });
    expect(dry.removed.map((b) => b.sequence)).toEqual([4, 3]);
    expect((await m.listBackups()).length).toBe(3);
    await m.pruneBackups({ keepLast: 1 });
    expect((await m.listBackups()).map((b) => b.sequence)).toEqual([5]);
    await m.close();
  });

  it('verifies quick and full, moving corrupt files aside', async () => {
    const a = await monitor.performBackup({ v: 1 });
    const b = await monitor.performBackup({ v: 2 });
    const path = join(dir, 'backups', `${b.id}.json.gz`);
    const bytes = await fs.readFile(path);
    bytes[bytes.length - 12]! ^= 0xff; // damage the payload, keep the header
    await fs.writeFile(path, bytes);
    expect((await monitor.verifyBackups({ level: 'quick' })).corrupt).toEqual([]);
    const full = await monitor.verifyBackups({ level: 'full' });
    expect(full.valid.map((x) => x.id)).toEqual([a.id]);
    expect(full.corrupt).toEqual([expect.objectContaining({ id: b.id })]);
    const aside = await fs.readdir(join(dir, 'backups', 'corrupt'));
    expect(aside).toHaveLength(1);
    expect(aside[0]!.startsWith(`${b.id}.`)).toBe(true);
  });

  it('restores the state as it was at a given time', async () => {
    const first = await monitor.performBackup({ v: 1 });
    await new Promise((r) => setTimeout(r, 5));
    await monitor.performBackup({ v: 2 });
    expect((await monitor.restoreAt(new Date(first.createdAt))).data).toEqual({ v: 1 });
    expect((await monitor.restoreAt(new Date())).data).toEqual({ v: 2 });
    await expect(monitor.restoreAt(new Date(0))).rejects.toThrow(/at or before/);
  });
});

describe('PerformanceMonitor backups: disk space in health', () => {
  it('is DEGRADED when the backup disk is low', async () => {
    const m = new PerformanceMonitor({
      backupDir: join(dir, 'low'),
      backupMinFreeBytes: Number.MAX_SAFE_INTEGER,
    });
    await m.performBackup({ a: 1 });
    const health = m.getSystemHealth();
    expect(health.backups.disk).toMatchObject({ low: true });
    expect(health.status).toBe('DEGRADED');
    expect(health.reasons.join(' ')).toMatch(/backup disk/);
    await m.close();
  });
});

describe('PerformanceMonitor backups: review fixes', () => {
  it('a manual backup of other data does not cancel the final backup of the app state', async () => {
    monitor.startBackupService(() => ({ app: 'state' }));
    monitor.markActivity();
    await monitor.performBackup({ unrelated: true });
    await monitor.stopBackupService();
    expect((await monitor.restoreLatest()).data).toEqual({ app: 'state' });
  });

  it('activity that nets out to nothing still counts: a customer added then removed', async () => {
    let n = 0;
    monitor.trackCustomer(2);
    monitor.untrackCustomer(2); // the peak is 2 from here on
    monitor.startBackupService(() => ({ n: ++n }));
    monitor.trackCustomer(); // count and peak end where they were
    monitor.untrackCustomer();
    await monitor.stopBackupService();
    expect((await monitor.listBackups()).map((b) => b.reason)).toEqual(['final']);
  });

  it('a session touch alone counts as activity', async () => {
    monitor.registerSession('s1');
    monitor.startBackupService(() => ({ ok: true }));
    monitor.touchSession('s1');
    await monitor.stopBackupService();
    expect(await monitor.listBackups()).toHaveLength(1);
  });

  it('restoreAt fires onRestoreCompleted', async () => {
    const seen: string[] = [];
    monitor.backups.onRestoreCompleted((b) => seen.push(b.id));
    const info = await monitor.performBackup({ v: 1 });
    await monitor.restoreAt(new Date());
    expect(seen).toEqual([info.id]);
  });
});
