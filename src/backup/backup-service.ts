import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Emitter, safeMessage } from '../core/index.js';
import { writeFileAtomic } from './atomic-file.js';
import type { ContentType } from './backup-format.js';
import {
  type BackupInfo,
  type BackupStore,
  PERMANENT_CODES,
  type RestoreOptions,
  type RestoreResult,
  TRANSIENT_CODES,
} from './backup-store.js';
import { checkRetention, type RetentionPolicy } from './retention.js';
import { serializeJson } from './serialize.js';

/** The default of restores that search: the app's JSON state, not a database file. */
const APP_STATE: RestoreOptions = { contentType: 'application/json' };

/** What a SQLite backup needs: better-sqlite3's `Database` fits. */
export interface SqliteDatabase {
  backup(destination: string): Promise<unknown>;
}

/** Returns the state to back up; may be async. Gets a signal that aborts on timeout. */
export type BackupProvider = (context: { signal: AbortSignal }) => unknown;

/** One backup attempt, kept in the last-100 history. */
export interface BackupAttempt {
  /** ISO time the attempt started. */
  at: string;
  ok: boolean;
  reason: string;
  durationMs: number;
  /** Set when it succeeded. */
  id?: string;
  /** Error code (`ENOSPC`, `EACCES`, `PROVIDER_FAILED`, `PROVIDER_TIMEOUT`, `NOT_SERIALISABLE`, …) when it failed. */
  errorCode?: string;
  /** Error message when it failed: the first line, credentials masked, at most 200 characters. */
  error?: string;
  /**
   * What kind of failure: `permanent` storage errors (ENOSPC, EACCES, EROFS…),
   * `transient` ones still failing after retries (EBUSY, EMFILE…), `input`
   * (the provider failed, hung, or returned what JSON cannot hold), `unknown`.
   */
  errorKind?: 'permanent' | 'transient' | 'input' | 'unknown';
}

/** Free space of the backup directory's file system. */
export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
  /** ISO time of the reading. */
  checkedAt: string;
  /** Free space is under `minFreeBytes`, or under twice the last backup's size. */
  low: boolean;
}

/** Backup statistics (seed: success rate, history). */
export interface BackupStats {
  attempts: number;
  failures: number;
  /** Fraction 0..1 of attempts that succeeded; 1 before any attempt. */
  successRate: number;
  /** Failed attempts in a row since the last success of the same content type (the larger streak of JSON and SQLite). */
  consecutiveFailures: number;
  /** ISO time of the last successful backup of the app's JSON state, if any. */
  lastSuccessAt: string | null;
  /** Age of the last good JSON backup in ms: the real recovery point of the app state. `null` before any. */
  lastGoodBackupAgeMs: number | null;
  /** Corrupt backups found (and moved to `corrupt/`) by the retention run after each backup. */
  corruptFound: number;
  running: boolean;
  scheduled: boolean;
  /** The schedule runs and there was activity since the last backup of the app state. */
  pendingActivity: boolean;
  /**
   * How long that unsaved activity has waited for a backup, ms (from when it
   * was first seen, at a tick or a stats read); `null` when nothing waits.
   */
  pendingForMs: number | null;
  /** How long the schedule has run, ms; `null` when it is not running. */
  scheduledForMs: number | null;
  /** Retention runs that failed (the backups they would have removed are still there). */
  pruneFailures: number;
  intervalMinutes: number;
  /** The last attempts, newest first (at most 100). */
  history: BackupAttempt[];
  /** The latest disk-space reading; `null` before the directory exists. */
  disk: DiskSpace | null;
  /** Backups in the directory (every content type); `null` until the service has looked. */
  backupCount: number | null;
  /** Bytes those backups take on disk; `null` until the service has looked. */
  bytesOnDisk: number | null;
}

/** Options of a {@link BackupService}. */
export interface BackupServiceOptions {
  store: BackupStore;
  /** @defaultValue 5 (the seed's) */
  intervalMinutes?: number;
  /** Longest a provider may take, and the bound on the final backup at stop. @defaultValue 30_000 */
  timeoutMs?: number;
  /** How much activity has happened so far; a backup is taken only when it changed. */
  activity?: () => number;
  /** Attempts kept in the history. @defaultValue 100 */
  historySize?: number;
  /** Wall clock for backup times. @defaultValue `() => new Date()` */
  now?: () => Date;
  /** Applied after every successful backup, once it is durable. @defaultValue `{ keepLast: 100 }` */
  retention?: RetentionPolicy;
  /** Free space below which the disk counts as low. @defaultValue 104_857_600 (100 MiB) */
  minFreeBytes?: number;
}

/** A failed attempt as an error with a code. */
class AttemptError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Takes backups on demand and every `intervalMinutes` while the app is
 * active, one at a time, never throwing into the application: failures are
 * recorded, counted and emitted.
 *
 * @example
 * const service = new BackupService({ store, activity: () => monitor.activity });
 * service.start(() => app.snapshot());
 * await service.stop(); // final backup if anything happened since the last one
 */
export class BackupService {
  #intervalMinutes: number;
  readonly #store: BackupStore;
  readonly #timeoutMs: number;
  readonly #activity: () => number;
  readonly #historySize: number;
  readonly #now: () => Date;
  readonly #retention: RetentionPolicy;
  #pruneFailures = 0;
  readonly #minFreeBytes: number;
  #disk: DiskSpace | null = null;
  #inventory: { count: number; bytes: number } | undefined;
  #lastStoredBytes = 0;
  readonly #history: BackupAttempt[] = [];
  readonly #completed = new Emitter<BackupInfo>();
  readonly #failed = new Emitter<BackupAttempt>();
  readonly #restored = new Emitter<BackupInfo>();
  #attempts = 0;
  #failures = 0;
  /** Failed attempts in a row, by content type. */
  readonly #streaks = new Map<ContentType, number>();
  #corruptFound = 0;
  #lastSuccess: Date | undefined;
  #running: Promise<unknown> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #provider: BackupProvider | undefined;
  #backedUpActivity = Number.NaN;
  /** When unsaved activity was first seen (wall ms), or undefined. */
  #pendingSinceMs: number | undefined;
  #scheduledAt: Date | undefined;

  /** Fires after each successful backup. */
  readonly onBackupCompleted = this.#completed.on;
  /** Fires after each failed attempt. */
  readonly onBackupFailed = this.#failed.on;
  /** Fires after each successful restore. */
  readonly onRestoreCompleted = this.#restored.on;
  /** Where the backups are. */
  readonly store: BackupStore;

  /** @throws RangeError naming an invalid option */
  constructor(options: BackupServiceOptions) {
    const interval = options.intervalMinutes ?? 5;
    if (!(interval > 0) || !Number.isFinite(interval)) {
      throw new RangeError(`backupIntervalMinutes must be a number > 0, got ${interval}`);
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    this.#intervalMinutes = interval;
    this.#store = options.store;
    this.store = options.store;
    this.#timeoutMs = timeoutMs;
    this.#activity = options.activity ?? (() => 0);
    this.#historySize = options.historySize ?? 100;
    this.#now = options.now ?? (() => new Date());
    this.#retention = checkRetention(options.retention ?? {});
    this.#minFreeBytes = options.minFreeBytes ?? 100 * 1024 * 1024;
    if (!(this.#minFreeBytes >= 0)) {
      throw new RangeError(`minFreeBytes must be a number >= 0, got ${this.#minFreeBytes}`);
    }
  }

  /** Minutes between automatic backups. */
  get intervalMinutes(): number {
    return this.#intervalMinutes;
  }

  /** True while the schedule runs. */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Starts backing up `provider()` every `intervalMinutes` while there was
   * activity since the last backup. Calling it again replaces the provider.
   */
  start(provider: BackupProvider, options: { intervalMinutes?: number } = {}): void {
    if (typeof provider !== 'function') {
      throw new TypeError('startBackupService needs a function that returns the state to back up');
    }
    const interval = options.intervalMinutes ?? this.#intervalMinutes;
    if (!(interval > 0) || !Number.isFinite(interval)) {
      throw new RangeError(`intervalMinutes must be a number > 0, got ${interval}`);
    }
    this.#provider = provider;
    if (this.#timer !== undefined && interval === this.#intervalMinutes) return;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#intervalMinutes = interval;
    // Activity is counted from here: a service started on an idle app backs nothing up.
    if (Number.isNaN(this.#backedUpActivity)) this.#backedUpActivity = this.#activity();
    // What a previous run left: the recovery point survives a restart.
    if (this.#inventory === undefined) void this.#takeInventory(true);
    this.#scheduledAt ??= this.#now();
    this.#timer = setInterval(() => {
      void this.#tick();
    }, interval * 60_000);
    this.#timer.unref();
  }

  /**
   * Stops the schedule; takes a final backup (bounded by twice `timeoutMs`) when
   * there was activity since the last one. Never throws.
   */
  async stop(): Promise<void> {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#scheduledAt = undefined;
    // A backup already running gets the same bound: a stuck file system never hangs shutdown.
    if (this.#running !== undefined && !(await this.#within(this.#running))) {
      return; // still stuck: a final backup queued behind it would run after shutdown
    }
    const provider = this.#provider;
    if (provider !== undefined && this.#activity() !== this.#backedUpActivity) {
      // Bounded: a shutdown waits at most twice timeoutMs (the provider's bound, then the write's).
      await this.#within(this.#attempt(provider, 'final'));
    }
  }

  /** Waits for `work` at most twice `timeoutMs`; true when it settled in time. Never throws. */
  async #within(work: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), 2 * this.#timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    return settled;
  }

  /**
   * Backs `data` up now (after any backup already running).
   * @throws the failure, after recording it (ENOSPC, a value JSON cannot hold, …)
   */
  /** True once {@link start} was given the provider of the app's state. */
  get hasProvider(): boolean {
    return this.#provider !== undefined;
  }

  /**
   * Backs the app's state up now through the provider of {@link start} (e.g.
   * "back up now" on the dashboard); counts as a backup of the app's state.
   * @throws Error when no provider was given; the backup's error when it fails (also recorded)
   */
  async backupNow(reason = 'on-demand'): Promise<BackupInfo> {
    const provider = this.#provider;
    if (provider === undefined) {
      throw new Error('no backup provider: call startBackupService(provider) first');
    }
    return this.#attempt(provider, reason, undefined, true);
  }

  async backup(data: unknown, reason = 'manual'): Promise<BackupInfo> {
    return this.#attempt(() => data, reason);
  }

  /**
   * Backs up a SQLite database with better-sqlite3's online backup (the
   * database stays usable meanwhile) into the same store, as one backup of
   * content type `application/vnd.sqlite3`. Restore gives the file's bytes;
   * {@link restoreSqliteTo} writes them to a path.
   * @throws the failure, after recording it
   */
  async backupSqlite(db: SqliteDatabase, reason = 'sqlite'): Promise<BackupInfo> {
    // The plain copy lives in the 0700 backup directory as a 0600 file, never in a shared /tmp.
    const copy = join(
      this.#store.dir,
      `.sqlite-${process.pid}-${randomBytes(6).toString('hex')}.partial`,
    );
    let copying: Promise<unknown> | undefined;
    try {
      return await this.#attempt(
        async () => {
          await mkdir(this.#store.dir, { recursive: true, mode: 0o700 });
          await writeFile(copy, '', { mode: 0o600, flag: 'wx' });
          copying = db.backup(copy);
          await copying;
          // Opened only when the write reads it: after a timeout nobody does, and nothing leaks.
          return (async function* () {
            yield* createReadStream(copy, { highWaterMark: 65_536 });
          })();
        },
        reason,
        'application/vnd.sqlite3',
      );
    } finally {
      // A copy that outlived its timeout is removed when it finally ends.
      void Promise.resolve(copying)
        .catch(() => undefined)
        .then(() => unlink(copy))
        .catch(() => undefined);
    }
  }

  /**
   * Writes a SQLite backup to `path` (0600, atomically); the newest SQLite
   * backup that verifies when `id` is omitted.
   * @throws BackupNotFoundError, BackupCorruptError, or TypeError when the backup is not a database
   */
  async restoreSqliteTo(path: string, id?: string): Promise<BackupInfo> {
    const { data, backup } =
      id === undefined
        ? await this.restoreLatest({ contentType: 'application/vnd.sqlite3' })
        : await this.restore(id);
    if (backup.contentType !== 'application/vnd.sqlite3' || !Buffer.isBuffer(data)) {
      throw new TypeError(`backup ${backup.id} is not a SQLite database`);
    }
    await writeFileAtomic(path, data);
    return backup;
  }

  /**
   * Restores one backup by id.
   * @throws RangeError for a malformed id, BackupNotFoundError, BackupCorruptError
   */
  async restore(id: string): Promise<RestoreResult> {
    return this.#emitRestored({ ...(await this.#store.read(id)), skippedCorrupt: [] });
  }

  /**
   * Restores the newest backup taken at or before `date` that verifies, of
   * the app's JSON state unless `contentType` says otherwise.
   * @throws BackupNotFoundError when there is none
   */
  async restoreAt(date: Date, options: RestoreOptions = {}): Promise<RestoreResult> {
    return this.#emitRestored(await this.#store.restoreAt(date, { ...APP_STATE, ...options }));
  }

  /**
   * Restores the newest backup that verifies, skipping (and reporting) corrupt
   * ones, of the app's JSON state unless `contentType` says otherwise.
   * @throws BackupNotFoundError when none verifies
   */
  async restoreLatest(options: RestoreOptions = {}): Promise<RestoreResult> {
    return this.#emitRestored(await this.#store.restoreLatest({ ...APP_STATE, ...options }));
  }

  #emitRestored(result: RestoreResult): RestoreResult {
    if (this.#restored.hasListeners) this.#restored.emit(result.backup);
    return result;
  }

  stats(): BackupStats {
    const now = this.#now().getTime();
    return {
      attempts: this.#attempts,
      failures: this.#failures,
      successRate: this.#attempts === 0 ? 1 : (this.#attempts - this.#failures) / this.#attempts,
      consecutiveFailures: Math.max(0, ...this.#streaks.values()),
      corruptFound: this.#corruptFound,
      lastSuccessAt: this.#lastSuccess?.toISOString() ?? null,
      lastGoodBackupAgeMs:
        this.#lastSuccess === undefined ? null : now - this.#lastSuccess.getTime(),
      running: this.#running !== undefined,
      pendingActivity: this.#pendingSince(now) !== undefined,
      pendingForMs: ((since) => (since === undefined ? null : now - since))(
        this.#pendingSince(now),
      ),
      scheduledForMs: this.#scheduledAt === undefined ? null : now - this.#scheduledAt.getTime(),
      pruneFailures: this.#pruneFailures,
      scheduled: this.scheduled,
      intervalMinutes: this.#intervalMinutes,
      history: [...this.#history],
      disk: this.#disk,
      backupCount: this.#inventory?.count ?? null,
      bytesOnDisk: this.#inventory?.bytes ?? null,
    };
  }

  /**
   * Reads the free space of the backup directory's file system (`fs.statfs`).
   * Never throws: an unreadable directory leaves the last reading.
   */
  async checkDiskSpace(): Promise<DiskSpace | null> {
    try {
      const s = await statfs(this.#store.dir);
      const freeBytes = s.bavail * s.bsize;
      this.#disk = {
        freeBytes,
        totalBytes: s.blocks * s.bsize,
        checkedAt: this.#now().toISOString(),
        low: freeBytes < this.#minFreeBytes || freeBytes < 2 * this.#lastStoredBytes,
      };
    } catch {
      // No directory yet, or no statfs here: keep what we had.
    }
    return this.#disk;
  }

  /** When the unsaved activity (if any) was first seen; notes it now if it is new. */
  #pendingSince(now: number): number | undefined {
    if (this.#timer === undefined || this.#activity() === this.#backedUpActivity) {
      this.#pendingSinceMs = undefined;
      return undefined;
    }
    this.#pendingSinceMs ??= now;
    return this.#pendingSinceMs;
  }

  async #tick(): Promise<void> {
    this.#pendingSince(this.#now().getTime());
    const provider = this.#provider;
    // Idle, or a backup still running: skip; the next tick catches up (bursts coalesce).
    if (provider === undefined || this.#running !== undefined) return;
    if (this.#activity() === this.#backedUpActivity) return;
    await this.#attempt(provider, 'scheduled').catch(() => undefined);
  }

  /** Runs one attempt after the one in progress; records its outcome. */
  #attempt(
    provider: BackupProvider,
    reason: string,
    contentType?: ContentType,
    ofState = reason === 'scheduled' || reason === 'final',
  ): Promise<BackupInfo> {
    const previous = this.#running ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(() => this.#run(provider, reason, contentType, ofState));
    this.#running = run;
    const clear = () => {
      if (this.#running === run) this.#running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  async #run(
    provider: BackupProvider,
    reason: string,
    contentType: ContentType | undefined,
    ofState: boolean,
  ): Promise<BackupInfo> {
    const startedAt = this.#now();
    const started = performance.now();
    const activity = this.#activity();
    this.#attempts++;
    try {
      const data = await this.#provide(provider);
      // JSON state is serialised in slices; other content (a database file) comes as a byte stream.
      const payload =
        contentType === undefined ? serializeJson(data) : (data as AsyncIterable<Buffer>);
      const info = await this.#store.write(payload, {
        reason,
        createdAt: startedAt,
        ...(contentType === undefined ? {} : { contentType }),
      });
      this.#streaks.set(contentType ?? 'application/json', 0);
      if (contentType === undefined) this.#lastSuccess = startedAt;
      // Only the app's own state (scheduled, final or on-demand backups) clears the activity mark.
      if (ofState) {
        this.#backedUpActivity = activity;
        this.#pendingSinceMs = undefined;
      }
      this.#lastStoredBytes = info.storedBytes;
      this.#record({
        at: startedAt.toISOString(),
        ok: true,
        reason,
        durationMs: info.durationMs,
        id: info.id,
      });
      if (this.#completed.hasListeners) this.#completed.emit(info);
      // Prune only now that the new backup is durable; a failed prune never fails the backup.
      const pruned = await this.#store.prune(this.#retention).catch(() => {
        this.#pruneFailures++;
      });
      this.#corruptFound += pruned?.corrupt.length ?? 0;
      return info;
    } catch (error) {
      this.#failures++;
      const type = contentType ?? 'application/json';
      this.#streaks.set(type, (this.#streaks.get(type) ?? 0) + 1);
      const attempt: BackupAttempt = {
        at: startedAt.toISOString(),
        ok: false,
        reason,
        durationMs: performance.now() - started,
        errorCode: codeOf(error),
        errorKind: kindOf(error),
        error: safeMessage(error),
      };
      this.#record(attempt);
      if (this.#failed.hasListeners) this.#failed.emit(attempt);
      throw error;
    } finally {
      await this.#takeInventory(false);
      await this.checkDiskSpace();
    }
  }

  /**
   * Counts the backups and their bytes on disk; with `seed`, and no success
   * seen yet, takes the newest backup that fully verifies as the last success
   * (the recovery point of a previous run). Never throws.
   */
  async #takeInventory(seed: boolean): Promise<void> {
    try {
      const listed = await this.#store.list();
      let bytes = 0;
      for (const b of listed) bytes += b.storedBytes;
      this.#inventory = { count: listed.length, bytes };
      if (seed && this.#lastSuccess === undefined) {
        const newest = await this.#store.newestVerified('application/json');
        if (newest !== undefined && this.#lastSuccess === undefined) {
          this.#lastSuccess = new Date(newest.createdAt);
        }
      }
    } catch {
      // An unreadable directory: the figures stay as they were.
    }
  }

  /** Calls the provider with a timeout that aborts its signal. */
  async #provide(provider: BackupProvider): Promise<unknown> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let value: unknown;
    try {
      value = await Promise.race([
        Promise.resolve().then(() => provider({ signal })),
        new Promise((_, reject) => {
          signal.addEventListener(
            'abort',
            () =>
              reject(
                new AttemptError(
                  'PROVIDER_TIMEOUT',
                  `the state provider did not answer within ${this.#timeoutMs} ms`,
                ),
              ),
            { once: true },
          );
        }),
      ]);
    } catch (error) {
      if (error instanceof AttemptError) throw error;
      throw new AttemptError('PROVIDER_FAILED', `the state provider threw: ${safeMessage(error)}`, {
        cause: error,
      });
    }
    return value;
  }

  #record(attempt: BackupAttempt): void {
    this.#history.unshift(attempt);
    if (this.#history.length > this.#historySize) this.#history.length = this.#historySize;
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  if (error instanceof TypeError) return 'NOT_SERIALISABLE';
  return 'UNKNOWN';
}

function kindOf(error: unknown): NonNullable<BackupAttempt['errorKind']> {
  const code = codeOf(error);
  if (PERMANENT_CODES.has(code)) return 'permanent';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (code === 'PROVIDER_FAILED' || code === 'PROVIDER_TIMEOUT' || code === 'NOT_SERIALISABLE') {
    return 'input';
  }
  return 'unknown';
}
