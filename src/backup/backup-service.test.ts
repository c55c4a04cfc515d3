import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackupService } from './backup-service.js';
import { BackupStore } from './backup-store.js';

let dir: string;
let activity: number;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-service-'));
  activity = 0;
});

afterEach(async () => {
  vi.useRealTimers();
  await fs.rm(dir, { recursive: true, force: true });
});

function service(options: { timeoutMs?: number; historySize?: number } = {}) {
  return new BackupService({
    store: new BackupStore({ dir }),
    activity: () => activity,
    intervalMinutes: 5,
    ...options,
  });
}

/** Lets timers fire and the backup's real file I/O finish. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await vi.waitFor(async () => {
    await new Promise((r) => setImmediate(r));
  });
}

async function settle(s: BackupService): Promise<void> {
  await vi.waitFor(() => expect(s.stats().running).toBe(false), { timeout: 5000 });
}

describe('BackupService', () => {
  it('backs up every interval while active, and skips while idle', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const s = service();
    let n = 0;
    s.start(() => ({ n: ++n }));
    activity = 1;
    await advance(5 * 60_000);
    await settle(s);
    expect(s.stats()).toMatchObject({ attempts: 1, successRate: 1 });
    await advance(5 * 60_000); // idle: no activity since the last backup
    await settle(s);
    expect(s.stats().attempts).toBe(1);
    activity = 2;
    await advance(5 * 60_000);
    await settle(s);
    expect(s.stats().attempts).toBe(2);
    expect((await s.restoreLatest()).data).toEqual({ n: 2 });
    await s.stop();
  });

  it('takes a final backup at stop only when there was activity since the last', async () => {
    const s = service();
    s.start(() => ({ v: activity }));
    await s.stop();
    expect(s.stats().attempts).toBe(0);
    s.start(() => ({ v: activity }));
    activity = 3;
    await s.stop();
    expect(s.stats().history[0]).toMatchObject({ ok: true, reason: 'final' });
    await s.stop(); // idempotent
    expect(s.stats().attempts).toBe(1);
  });

  it('never runs two backups at once: manual backups queue, scheduled ticks coalesce', async () => {
    const s = service();
    const [a, b, c] = await Promise.all([
      s.backup({ i: 1 }),
      s.backup({ i: 2 }),
      s.backup({ i: 3 }),
    ]);
    expect([a.sequence, b.sequence, c.sequence]).toEqual([1, 2, 3]);
    expect((await s.restoreLatest()).data).toEqual({ i: 3 });
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('db gone');
      },
      'PROVIDER_FAILED',
    ],
    ['rejects', () => Promise.reject(new Error('db gone')), 'PROVIDER_FAILED'],
    [
      'returns a cycle',
      () => {
        const a: Record<string, unknown> = {};
        a.a = { a };
        return a;
      },
      'NOT_SERIALISABLE',
    ],
    ['returns a BigInt', () => ({ n: 1n }), 'NOT_SERIALISABLE'],
    ['returns undefined', () => undefined, 'NOT_SERIALISABLE'],
  ])('records a provider that %s, and goes on', async (_, provider, code) => {
    const s = service();
    s.start(provider);
    activity = 1;
    await s.stop();
    expect(s.stats()).toMatchObject({
      attempts: 1,
      failures: 1,
      successRate: 0,
      consecutiveFailures: 1,
    });
    expect(s.stats().history[0]).toMatchObject({ ok: false, reason: 'final', errorCode: code });
    await s.backup({ fine: true });
    expect(s.stats()).toMatchObject({ attempts: 2, successRate: 0.5, consecutiveFailures: 0 });
  });

  it('gives up on a provider that hangs after timeoutMs, and passes it an aborted signal', async () => {
    const s = service({ timeoutMs: 50 });
    let signal: AbortSignal | undefined;
    s.start((ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    activity = 1;
    await s.stop();
    expect(s.stats().history[0]).toMatchObject({ ok: false, errorCode: 'PROVIDER_TIMEOUT' });
    expect(signal?.aborted).toBe(true);
  });

  it('keeps the last 100 attempts (seed: history of the last 100)', async () => {
    const s = service({ historySize: 100 });
    for (let i = 0; i < 105; i++) await s.backup(i).catch(() => undefined);
    const stats = s.stats();
    expect(stats.history).toHaveLength(100);
    expect(stats.attempts).toBe(105);
    expect(stats.history[0]!.id).toMatch(/-000105$/);
  });

  it('emits completed, failed and restored events; a throwing listener breaks nothing', async () => {
    const s = service();
    const seen: string[] = [];
    s.onBackupCompleted((i) => seen.push(`ok ${i.sequence}`));
    s.onBackupFailed((a) => seen.push(`failed ${a.errorCode}`));
    s.onRestoreCompleted((i) => seen.push(`restored ${i.sequence}`));
    s.onBackupCompleted(() => {
      throw new Error('listener bug');
    });
    await s.backup({ a: 1 });
    await expect(s.backup({ n: 1n })).rejects.toThrow(TypeError);
    await s.restoreLatest();
    expect(seen).toEqual(['ok 1', 'failed NOT_SERIALISABLE', 'restored 1']);
  });

  it('rejects bad options and providers naming them', () => {
    expect(
      () => new BackupService({ store: new BackupStore({ dir }), intervalMinutes: 0 }),
    ).toThrow(/backupIntervalMinutes/);
    expect(() => service().start('nope' as never)).toThrow(TypeError);
  });
});

/** The real fs, failing the first `times` temp-file opens with `code`. */
function failing(code: string, times: number) {
  let left = times;
  return {
    ...fs,
    open: (async (path: string, flags?: string, mode?: number) => {
      if (flags === 'wx' && path.endsWith('.tmp') && left-- > 0) {
        throw Object.assign(new Error(code), { code });
      }
      return fs.open(path, flags, mode);
    }) as typeof fs.open,
  };
}

describe('BackupService storage errors and disk space', () => {
  it('retries EBUSY with backoff and succeeds', async () => {
    const s = new BackupService({ store: new BackupStore({ dir, fs: failing('EBUSY', 2) }) });
    const info = await s.backup({ ok: 1 });
    expect(info.sequence).toBe(1);
    expect(s.stats()).toMatchObject({ attempts: 1, failures: 0 });
  });

  it.each([
    ['ENOSPC', 'permanent'],
    ['EACCES', 'permanent'],
    ['EROFS', 'permanent'],
    ['EPERM', 'permanent'],
    ['EIO', 'unknown'],
    ['EMFILE', 'transient'],
    ['ENFILE', 'transient'],
    ['EAGAIN', 'transient'],
  ])('classifies %s as %s, keeps earlier backups, and goes on', async (code, kind) => {
    await new BackupService({ store: new BackupStore({ dir }) }).backup({ v: 1 });
    const s = new BackupService({ store: new BackupStore({ dir, fs: failing(code, 10) }) });
    await expect(s.backup({ v: 2 })).rejects.toMatchObject({ code });
    expect(s.stats().history[0]).toMatchObject({ ok: false, errorCode: code, errorKind: kind });
    expect((await s.restoreLatest()).data).toEqual({ v: 1 });
  });

  it('reads the free space of the backup disk and flags it low under the threshold', async () => {
    const ok = new BackupService({ store: new BackupStore({ dir }), minFreeBytes: 0 });
    await ok.backup({ a: 1 });
    expect(ok.stats().disk).toMatchObject({ low: false });
    expect(ok.stats().disk!.freeBytes).toBeGreaterThan(0);
    expect(ok.stats().disk!.totalBytes).toBeGreaterThanOrEqual(ok.stats().disk!.freeBytes);
    const low = new BackupService({
      store: new BackupStore({ dir }),
      minFreeBytes: Number.MAX_SAFE_INTEGER,
    });
    expect(await low.checkDiskSpace()).toMatchObject({ low: true });
    const missing = new BackupService({ store: new BackupStore({ dir: join(dir, 'not-yet') }) });
    expect(await missing.checkDiskSpace()).toBeNull();
  });
});

describe('BackupService options', () => {
  it('takes the interval from startBackupService options', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const s = service();
    s.start(() => ({ a: 1 }), { intervalMinutes: 1 });
    expect(s.intervalMinutes).toBe(1);
    activity = 1;
    await advance(60_000);
    await settle(s);
    expect(s.stats().attempts).toBe(1);
    expect(() => s.start(() => 1, { intervalMinutes: -1 })).toThrow(/intervalMinutes/);
    await s.stop();
  });

  it('bounds the final backup at stop by twice timeoutMs', async () => {
    const s = service({ timeoutMs: 30 });
    s.start(() => new Promise(() => {}));
    activity = 1;
    const started = performance.now();
    await s.stop();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(s.stats().history[0]).toMatchObject({ ok: false, errorCode: 'PROVIDER_TIMEOUT' });
  });
});

describe('BackupService: bounded stop, inventory', () => {
  it('stop waits for a backup stuck in the file system at most twice timeoutMs, and never throws', async () => {
    let hang = false;
    const stuck: typeof fs = {
      ...fs,
      open: ((...args: Parameters<typeof fs.open>) =>
        hang ? new Promise(() => {}) : fs.open(...args)) as typeof fs.open,
    };
    const s = new BackupService({
      store: new BackupStore({ dir, fs: stuck }),
      activity: () => activity,
      timeoutMs: 40,
    });
    s.start(() => ({ v: 1 }));
    hang = true;
    void s.backup({ v: 2 }).catch(() => undefined); // never finishes: open() hangs
    await vi.waitFor(() => expect(s.stats().running).toBe(true));
    activity = 1;
    const started = performance.now();
    await s.stop();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(70); // it did wait for the running backup…
    expect(took).toBeLessThan(1_000); // …but only about 2 × 40 ms for it, then 2 × 40 ms for the final one
    expect(s.scheduled).toBe(false);
  });

  it('counts the backups and bytes on disk, and takes the recovery point of a previous run at start', async () => {
    const first = service();
    expect(first.stats()).toMatchObject({ backupCount: null, bytesOnDisk: null });
    const a = await first.backup({ v: 1 });
    const b = await first.backup({ v: 2 });
    expect(first.stats()).toMatchObject({
      backupCount: 2,
      bytesOnDisk: a.storedBytes + b.storedBytes,
    });

    const restarted = service(); // a new process on the same directory
    expect(restarted.stats().lastSuccessAt).toBeNull();
    restarted.start(() => ({}));
    await vi.waitFor(() => expect(restarted.stats().lastSuccessAt).toBe(b.createdAt));
    expect(restarted.stats()).toMatchObject({ backupCount: 2, attempts: 0 });
    expect(restarted.stats().lastGoodBackupAgeMs).toBeGreaterThanOrEqual(0);
    await restarted.stop();
  });

  it('restores the newest JSON state by default, even when a database backup is newer', async () => {
    const s = service();
    await s.backup({ app: 'state' });
    await s.store.write([Buffer.from('SQLite format 3\0')], {
      reason: 'sqlite',
      createdAt: new Date(),
      contentType: 'application/vnd.sqlite3',
    });
    expect((await s.restoreLatest()).data).toEqual({ app: 'state' });
    expect((await s.restoreAt(new Date())).data).toEqual({ app: 'state' });
    const db = await s.restoreLatest({ contentType: 'application/vnd.sqlite3' });
    expect(db.backup.contentType).toBe('application/vnd.sqlite3');
  });
});

describe('BackupService: review fixes', () => {
  it('the recovery point and failure streak belong to the JSON state: a database backup hides no failure', async () => {
    const s = service();
    s.start(() => {
      throw new Error('state unavailable');
    });
    activity = 1;
    await s.stop();
    const db = { backup: (path: string) => fs.writeFile(path, 'SQLite format 3\0') };
    await s.backupSqlite(db);
    expect(s.stats()).toMatchObject({ consecutiveFailures: 1, lastSuccessAt: null });
    expect(s.stats().lastGoodBackupAgeMs).toBeNull();
    const restarted = service();
    restarted.start(() => ({}));
    await new Promise((r) => setTimeout(r, 100));
    expect(restarted.stats().lastSuccessAt).toBeNull(); // not seeded from the database backup
    expect(restarted.stats().backupCount).toBe(1);
    await restarted.stop();
  });

  it('keeps the SQLite copy in the backup directory (0600) and removes it, even when it outlives its timeout', async () => {
    const seen: Array<{ path: string; mode: number }> = [];
    let finish: () => void = () => {};
    const slow = {
      backup: async (path: string) => {
        seen.push({ path, mode: (await fs.stat(path)).mode & 0o777 });
        await new Promise<void>((r) => (finish = r));
        await fs.writeFile(path, 'SQLite format 3\0late');
      },
    };
    const s = service({ timeoutMs: 30 });
    await expect(s.backupSqlite(slow)).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    expect(seen[0]!.path.startsWith(join(dir, '.sqlite-'))).toBe(true);
    expect(seen[0]!.mode).toBe(0o600);
    finish(); // the database's backup ends after Keel gave up on it
    await vi.waitFor(async () => {
      expect((await fs.readdir(dir)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    });
  });

  it('counts corrupt backups found by the retention run after a backup', async () => {
    const s = new BackupService({ store: new BackupStore({ dir }), retention: { keepLast: 5 } });
    const big = { rows: Array.from({ length: 2_000 }, (_, i) => `row ${i} ${i * 7919}`) };
    const first = await s.backup(big);
    const second = await s.backup({ v: 2 });
    const damage = async (id: string, at: (length: number) => number) => {
      const path = join(dir, `${id}.json.gz`);
      const bytes = await fs.readFile(path);
      bytes[at(bytes.length)]! ^= 0x10;
      await fs.writeFile(path, bytes);
    };
    await damage(first.id, (n) => n - 30); // in the payload: the header still lists
    await damage(second.id, () => 60); // in the header member: it no longer lists
    await s.backup({ v: 3 });
    expect(s.stats().corruptFound).toBe(2);
    expect(await fs.readdir(join(dir, 'corrupt'))).toHaveLength(2);
  });

  it('a stop that gives up on a stuck backup queues no final backup behind it', async () => {
    let hang = false;
    const stuck: typeof fs = {
      ...fs,
      open: ((...args: Parameters<typeof fs.open>) =>
        hang ? new Promise(() => {}) : fs.open(...args)) as typeof fs.open,
    };
    let calls = 0;
    const s = new BackupService({
      store: new BackupStore({ dir, fs: stuck }),
      activity: () => activity,
      timeoutMs: 20,
    });
    s.start(() => ({ n: ++calls }));
    hang = true;
    void s.backup({ manual: true }).catch(() => undefined);
    await vi.waitFor(() => expect(s.stats().running).toBe(true));
    activity = 1;
    await s.stop();
    expect(calls).toBe(0); // the provider was never asked: no final backup was queued
  });

  it('never lets a failing background backup reach the application as an unhandled rejection', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const s = new BackupService({
        store: new BackupStore({ dir, fs: failing('ENOSPC', 100) }),
        activity: () => activity,
      });
      s.start(() => {
        throw new Error('provider broke');
      });
      activity = 1;
      await advance(5 * 60_000);
      await settle(s);
      s.start(() => ({ ok: true }));
      activity = 2;
      await advance(5 * 60_000);
      await settle(s);
      activity = 3;
      await s.stop();
      await new Promise((r) => setImmediate(r));
      expect(s.stats().failures).toBe(3);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('BackupService coalescing', () => {
  it('skips ticks while a backup runs: a burst of activity gives one backup, then one more', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const s = service();
    let release: () => void = () => {};
    let calls = 0;
    s.start(async () => {
      calls++;
      if (calls === 1) await new Promise<void>((r) => (release = r));
      return { calls };
    });
    activity = 1;
    await advance(5 * 60_000); // first tick: starts a backup that waits
    for (let i = 0; i < 3; i++) {
      activity++;
      await advance(5 * 60_000); // ticks while it runs: skipped
    }
    expect(calls).toBe(1);
    release();
    await settle(s);
    await advance(5 * 60_000); // the activity during the burst is caught by one more backup
    await settle(s);
    expect(calls).toBe(2);
    expect(s.stats().attempts).toBe(2);
    await s.stop();
  });
});
