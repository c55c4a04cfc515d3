import {
  type BackupInfo,
  type BackupProvider,
  BackupService,
  type BackupStats,
  BackupStore,
  type CorruptBackup,
  type PruneResult,
  type RestoreOptions,
  type RestoreResult,
  type RetentionPolicy,
  type SqliteDatabase,
} from './backup/index.js';
import {
  BUILT_IN_LIMITS,
  CapacityTracker,
  type ResourceOptions,
  type ResourceStatus,
  type SessionAttributes,
  type SessionStats,
  SessionTracker,
} from './capacity/index.js';
import { type Clock, checkCount, checkDurationMs, systemClock, toEpochMs } from './core/index.js';
import {
  builtInChecks,
  CapacityHistory,
  type CapacityTrend,
  type CheckGroup,
  type CheckOutcome,
  HealthChecks,
  type HealthReport,
  type HealthSource,
  type HealthStatus,
  type HealthThresholds,
  type ResolvedThresholds,
  resolveThresholds,
  runtimeRecommendations,
} from './health/index.js';
import {
  type AggregateStats,
  MetricRegistry,
  type Operation,
  type OperationOptions,
  OperationRegistry,
  type OperationStats,
  type OperationsSnapshot,
  type OperationTimer,
  type StatsOptions,
} from './metrics/index.js';
import {
  type ErrorHandler,
  type ErrorMatch,
  type HandlerOptions,
  type RecoverContext,
  Recovery,
  type RecoveryFinding,
  type RecoveryOptions,
  type RecoveryResult,
  type RunContext,
  type RunPolicy,
  recoveryFinding,
  recoveryRecommendations,
} from './recovery/index.js';
import { RuntimeSampler, type RuntimeVitals } from './runtime/index.js';
import {
  buildReport,
  defineSlo,
  findViolations,
  type PerformanceReport,
  type Slo,
  type SloOptions,
  type SloStatus,
  sloStatus,
  type Target,
  Targets,
  type TargetsOptions,
  type Violation,
} from './targets/index.js';

/** Overall status, worst first: DOWN > DEGRADED > UNKNOWN > UP. */
export type { HealthStatus };

/** The seed's system health (`get_system_health`), from the latest figures. */
export interface SystemHealth {
  status: HealthStatus;
  /** Why the status is not UP, one short sentence each. */
  reasons: string[];
  /** ISO time of the reading. */
  checkedAt: string;
  /** Window the response figures cover, in ms. */
  windowMs: number;
  avgResponseTimeMs: number;
  p95ResponseTimeMs: number;
  p99ResponseTimeMs: number;
  /** Fraction 0..1 of failed calls in the window. */
  errorRate: number;
  /** Calls measured in the window. */
  totalOperations: number;
  throughputPerSec: number;
  meetingTargets: boolean;
  transactionCount: number;
  customerCount: number;
  activeSessions: number;
  sessions: SessionStats;
  capacity: ResourceStatus[];
  /** Fraction 0..1 of backup attempts that succeeded; 1 before any. */
  backupSuccessRate: number;
  /** ISO time of the last good backup, `null` before any. */
  lastBackupAt: string | null;
  /** Backup statistics without the attempt history (see `monitor.backups.stats()`). */
  backups: Omit<BackupStats, 'history'>;
  /** Error recovery: runs, recoveries, give-ups, open breakers, top error types. */
  recovery: RecoveryFinding;
  /** Memory of the process (seed future enhancement 1); `null` before the first sample. */
  memory: RuntimeVitals['memory'] | null;
  /** The latest runtime reading; `null` before the first sample or when sampling is off. */
  runtime: RuntimeVitals | null;
  /** Status of the liveness checks (the process itself) and of every check (readiness). */
  liveness: HealthStatus;
  readiness: HealthStatus;
  /** Every check's latest outcome. */
  checks: CheckOutcome[];
}

/** Options of the metrics part of a {@link PerformanceMonitor}. */
export interface MonitorMetricsOptions {
  /** Sliding window of the figures. @defaultValue 10 */
  windowMinutes?: number;
  /** Slice of the window. @defaultValue 1 */
  sliceMinutes?: number;
  /** Most distinct operation names before `_other`. @defaultValue 2000 */
  maxOperations?: number;
  /** Most series of one custom metric before its overflow series. @defaultValue 2000 */
  maxSeriesPerMetric?: number;
}

/** Capacity limits: the seed's two, overridable field by field, and any others. */
export interface MonitorCapacityOptions {
  /** @defaultValue `{ limit: 10_000, warnAtFraction: 0.8, policy: 'warn' }` */
  transactions?: Partial<ResourceOptions>;
  /** @defaultValue `{ limit: 1_000, warnAtFraction: 0.8, policy: 'warn' }` */
  customers?: Partial<ResourceOptions>;
  /** Other limited resources by name. */
  resources?: Record<string, ResourceOptions>;
}

/** Options of a {@link PerformanceMonitor}; every field is optional. */
export interface PerformanceMonitorOptions {
  /** Time source in ms; inject a fake one in tests. @defaultValue `performance.now()` */
  clock?: Clock;
  metrics?: MonitorMetricsOptions;
  /** @defaultValue P95 <= 200 ms and error rate <= 1% for every operation */
  targets?: TargetsOptions;
  slos?: SloOptions[];
  capacity?: MonitorCapacityOptions;
  sessions?: {
    /** @defaultValue 30 */
    idleTimeoutMinutes?: number;
    /** @defaultValue 100_000 */
    maxSessions?: number;
  };
  /** Error rate at which health is DOWN, once the window has 20 calls. @defaultValue 0.5 */
  downErrorRate?: number;
  /** Directory of the backups, created (0700) at the first backup. @defaultValue 'backups' (the seed's) */
  backupDir?: string;
  /** Automatic backups every this many minutes while the app is active. @defaultValue 5 */
  backupIntervalMinutes?: number;
  /** Longest the state provider may take, and the bound on the final backup. @defaultValue 30_000 */
  backupTimeoutMs?: number;
  /** Which backups to keep after each new one. @defaultValue `{ keepLast: 100 }` (the seed's) */
  backupRetention?: RetentionPolicy;
  /** Free space of the backup disk below which health is DEGRADED. @defaultValue 100 MiB */
  backupMinFreeBytes?: number;
  /** Encrypts backups at rest with AES-256-GCM: 32 bytes, kept outside the backup directory. */
  backupEncryptionKey?: Uint8Array;
  /** Error recovery: breaker states saved before a restart, wall clock, error-type limit. */
  recovery?: RecoveryOptions;
  /** Runtime vitals sampling (memory, event loop, GC, CPU, handles, disk). */
  runtime?: { enabled?: boolean; intervalMs?: number };
  /**
   * Thresholds of the built-in health checks. `health.downErrorRate` takes
   * precedence over the top-level `downErrorRate`; `health.diskMinFreeBytes`
   * over `backupMinFreeBytes`.
   */
  health?: HealthThresholds;
}

/** Options of a measured call. */
export type MeasureOptions = OperationOptions;

/** Options of {@link PerformanceMonitor.recordOperation}. */
export interface RecordOptions extends OperationOptions {
  /** @defaultValue true */
  success?: boolean;
}

/**
 * Keel's facade: times operations, judges them against targets, tracks
 * capacity and sessions, and reports health and recommendations.
 *
 * @example
 * const monitor = new PerformanceMonitor();
 * await monitor.measureOperation('transaction_entry', () => processTransaction());
 * monitor.trackTransaction();
 * const report = monitor.getPerformanceReport();
 * if (!report.meetingTargets) console.log(report.recommendations);
 */
export class PerformanceMonitor implements AsyncDisposable {
  /** Timed operations and their windows. */
  readonly operations: OperationRegistry;
  /** Custom counters, gauges and histograms. */
  readonly metrics: MetricRegistry;
  /** Response-time and error-rate targets. */
  readonly targets: Targets;
  /** Limited resources: transactions, customers and any others. */
  readonly capacity: CapacityTracker;
  /** Active sessions with idle expiry. */
  readonly sessions: SessionTracker;
  /** Backups: on demand and automatic, history and statistics. */
  readonly backups: BackupService;
  /** Error recovery: handlers, `run` policies, breakers and their statistics. */
  readonly recovery: Recovery;
  /** Health checks: Keel's built-in ones and the app's (`health.register`). */
  readonly health: HealthChecks;
  /** Process vitals, sampled every second (option `runtime`). */
  readonly runtime: RuntimeSampler;
  readonly #thresholds: ResolvedThresholds;
  readonly #capacityHistory = new CapacityHistory();
  #opsView: { stamp: string; snapshot: OperationsSnapshot; violations: Violation[] } | undefined;
  readonly #clock: Clock;
  readonly #injectedClock: boolean;
  readonly #slos: Slo[] = [];
  #marks = 0;
  #closed = false;

  /** @throws RangeError or TypeError naming the first invalid option */
  constructor(options: PerformanceMonitorOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#injectedClock = options.clock !== undefined;
    const m = options.metrics ?? {};
    const downErrorRate = options.downErrorRate ?? 0.5;
    if (!(downErrorRate > 0 && downErrorRate <= 1)) {
      throw new RangeError(`downErrorRate must be a fraction in (0, 1], got ${downErrorRate}`);
    }
    this.#thresholds = resolveThresholds({
      downErrorRate,
      // The disk counts as low at the backups' own threshold unless health says otherwise.
      ...(options.backupMinFreeBytes === undefined
        ? {}
        : { diskMinFreeBytes: options.backupMinFreeBytes }),
      ...options.health,
    });
    this.targets = new Targets(options.targets);
    this.capacity = new CapacityTracker({
      clock: this.#clock,
      resources: capacityResources(options.capacity ?? {}),
    });
    this.sessions = new SessionTracker({ clock: this.#clock, ...options.sessions });
    this.metrics = new MetricRegistry({
      clock: this.#clock,
      ...(m.maxSeriesPerMetric === undefined ? {} : { maxSeriesPerMetric: m.maxSeriesPerMetric }),
    });
    this.operations = new OperationRegistry({
      clock: this.#clock,
      ...(m.windowMinutes === undefined ? {} : { windowMinutes: m.windowMinutes }),
      ...(m.sliceMinutes === undefined ? {} : { sliceMinutes: m.sliceMinutes }),
      ...(m.maxOperations === undefined ? {} : { maxOperations: m.maxOperations }),
    });
    for (const slo of options.slos ?? []) this.addSlo(slo);
    this.recovery = new Recovery(this.operations, this.#clock, options.recovery);
    const runtime = options.runtime ?? {};
    this.runtime = new RuntimeSampler({
      ...(runtime.intervalMs === undefined ? {} : { intervalMs: runtime.intervalMs }),
      diskPath: options.backupDir ?? 'backups',
      onSample: () => this.#capacityTrends(),
    });
    this.health = new HealthChecks(this.#clock);
    const source: HealthSource = {
      operations: () => this.#operationsView(),
      backups: () => this.backups.stats(),
      recovery: () => this.recovery.stats(),
      capacity: () => this.capacity.list(),
      capacityTrends: () => this.#capacityTrends(),
      runtime: () => this.runtime.latest(),
    };
    for (const [name, check, group] of builtInChecks(source, this.#thresholds)) {
      this.health.registerBuiltIn(name, check, group);
    }
    this.backups = new BackupService({
      store: new BackupStore({
        dir: options.backupDir ?? 'backups',
        ...(options.backupEncryptionKey === undefined
          ? {}
          : { encryptionKey: options.backupEncryptionKey }),
      }),
      activity: () => this.#activity(),
      ...(options.backupIntervalMinutes === undefined
        ? {}
        : { intervalMinutes: options.backupIntervalMinutes }),
      ...(options.backupTimeoutMs === undefined ? {} : { timeoutMs: options.backupTimeoutMs }),
      ...(options.backupRetention === undefined ? {} : { retention: options.backupRetention }),
      ...(options.backupMinFreeBytes === undefined
        ? {}
        : { minFreeBytes: options.backupMinFreeBytes }),
    });
    // Last: every option is valid by now, so a throwing constructor leaves no timer behind.
    if (options.runtime?.enabled !== false) this.runtime.start();
  }

  // ---- timing -------------------------------------------------------------

  /**
   * Times `fn` (sync or async) as `name`, records success or failure, and
   * returns its result; a throw or rejection is recorded and passed on.
   * @example
   * const tx = await monitor.measureOperation('transaction_entry', () => ledger.post(entry), { kind: 'db' });
   */
  measureOperation<T>(name: string, fn: () => T, options?: MeasureOptions): T {
    if (typeof fn !== 'function') throw new TypeError('fn must be a function');
    return this.operations.operation(name, options).measure(fn);
  }

  /**
   * Starts timing `name`. End with `.success()` or `.fail(error)`; a timer
   * disposed unended (`using` leaving its block early) counts as a failure.
   * @example
   * { using t = monitor.startTimer('transaction_entry'); post(tx); t.success(); }
   */
  startTimer(name: string, options?: MeasureOptions): OperationTimer {
    return this.operations.operation(name, options).start();
  }

  /**
   * The bound handle of an operation, for hot paths: no name lookup per call.
   * @example
   * const post = monitor.operation('post_transaction', { kind: 'db' });
   * post.measure(() => db.insert(tx));
   */
  operation(name: string, options?: MeasureOptions): Operation {
    return this.operations.operation(name, options);
  }

  /**
   * Records a duration measured elsewhere, in ms.
   * @throws RangeError when durationMs is negative, NaN or infinite (nothing is recorded)
   */
  recordOperation(name: string, durationMs: number, options?: RecordOptions): void {
    checkDurationMs(durationMs, 'durationMs');
    const op = this.operations.operation(name, options);
    if (this.#injectedClock) this.operations.sliceClock.advance(this.#clock.now());
    op.record(durationMs, options?.success ?? true);
  }

  /** Figures of one operation over the window; `undefined` for an operation never seen. */
  getOperationStats(name: string, options?: StatsOptions): OperationStats | undefined {
    return this.operations.stats(name, options);
  }

  /** Figures of every operation, overall and by kind. */
  getOperationsSnapshot(options?: StatsOptions): OperationsSnapshot {
    return this.operations.snapshot(options);
  }

  // ---- targets ------------------------------------------------------------

  /** Sets the target of one operation (missing fields from the default target). */
  setTarget(name: string, target: Target): void {
    this.targets.set(name, target);
  }

  /**
   * Adds a service-level objective.
   * @throws RangeError or TypeError for an invalid definition or a duplicate name
   */
  addSlo(options: SloOptions): void {
    const slo = defineSlo(options);
    const { sliceMinutes } = this.operations.config;
    if (typeof slo.windowMinutes === 'number' && slo.windowMinutes < sliceMinutes) {
      throw new RangeError(
        `slo "${slo.name}".windowMinutes must be at least one slice (${sliceMinutes} min), got ${slo.windowMinutes}`,
      );
    }
    if (this.#slos.some((s) => s.name === slo.name)) {
      throw new RangeError(`an SLO named "${slo.name}" already exists; SLO names must be unique`);
    }
    this.#slos.push(slo);
  }

  /** Where every SLO stands. */
  getSloStatuses(): SloStatus[] {
    const maxMinutes = this.operations.config.windowMinutes;
    return this.#slos.map((slo) => {
      if (slo.windowMinutes === 'lifetime') {
        return sloStatus(
          slo,
          this.operations.goodEvents(slo.operation, slo.latencyMs, { lifetime: true }),
          null,
        );
      }
      // An SLO window longer than the metrics window is judged over the metrics window.
      const windowMinutes = Math.min(slo.windowMinutes ?? maxMinutes, maxMinutes);
      const counts = this.operations.goodEvents(slo.operation, slo.latencyMs, { windowMinutes });
      // The window judged is whole slices.
      const { sliceMinutes } = this.operations.config;
      const slices = Math.max(1, Math.round(windowMinutes / sliceMinutes));
      return sloStatus(slo, counts, slices * sliceMinutes * 60_000);
    });
  }

  /**
   * The performance report: verdicts against targets, overall and per-operation
   * figures, violations and recommendations (seed: `get_performance_report`).
   */
  getPerformanceReport(options?: StatsOptions): PerformanceReport {
    const snapshot = this.operations.snapshot(options);
    const trends = this.#capacityTrends();
    const timeLeft = new Map(trends.map((t) => [t.name, t.timeLeftMs]));
    return buildReport({
      snapshot,
      targets: this.targets,
      slos: this.getSloStatuses(),
      // Capacity resources with the time left at their current growth.
      capacity: this.capacity
        .list()
        .map((r) => ({ ...r, timeLeftMs: timeLeft.get(r.name) ?? null })),
      metricOverflows: this.metrics.overflows(),
      generatedAt: new Date(toEpochMs(this.#clock, snapshot.takenAtMs)),
      recovery: recoveryRecommendations(this.recovery.stats()),
      extraRecommendations: runtimeRecommendations({
        runtime: this.runtime.latest(),
        backups: this.backups.stats(),
        trends,
        thresholds: this.#thresholds,
      }),
    });
  }

  /**
   * Growth of each capacity resource over the last hour. Counts are noted at
   * every runtime sample and every health or report read (at most every 5 s),
   * so trends exist with sampling off too.
   */
  #capacityTrends(): CapacityTrend[] {
    const resources = this.capacity.list();
    this.#capacityHistory.add(this.#clock.now(), resources);
    return this.#capacityHistory.trends(resources);
  }

  /**
   * The window's overall figures and target verdicts, recomputed only when
   * something was recorded, the window moved, or a target changed since the
   * last time: a health probe on an unchanged monitor costs microseconds.
   */
  #operationsView(): {
    overall: AggregateStats;
    violations: Violation[];
    snapshot: OperationsSnapshot;
  } {
    // Time-dependent figures (throughput, checkedAt) are at most a second of clock time old.
    const second = Math.floor(this.#clock.now() / 1000);
    const stamp = `${this.operations.recordedCount()}:${this.operations.epoch}:${second}:${this.targets.version}:${this.#slos.length}`;
    const cached = this.#opsView;
    if (cached !== undefined && cached.stamp === stamp) {
      return {
        overall: cached.snapshot.overall,
        violations: cached.violations,
        snapshot: cached.snapshot,
      };
    }
    const snapshot = this.operations.snapshot();
    const violations = findViolations(snapshot, this.targets, this.getSloStatuses());
    this.#opsView = { stamp, snapshot, violations };
    return { overall: snapshot.overall, violations, snapshot };
  }

  /**
   * Runs every health check (Keel's and the app's) in parallel, each bounded
   * by its timeout, and returns the figures of {@link getSystemHealth} with
   * the fresh outcome. `group: 'liveness'` runs only the process checks.
   */
  async checkHealth(
    options: { group?: CheckGroup } = {},
  ): Promise<SystemHealth & { durationMs: number }> {
    const report = await this.health.run(options.group ?? 'readiness');
    return { ...this.#figures(report), durationMs: report.durationMs };
  }

  // ---- error recovery -------------------------------------------------------

  /**
   * Registers a recovery handler (seed: `register_error_handler`) for an error
   * type string (compared with the error's `type`, `code` or `name`), an Error
   * class (the closest superclass wins) or a predicate.
   * @example
   * monitor.registerErrorHandler('database_error', async ({ signal }) => db.reconnect({ signal }));
   * @returns a Disposable that unregisters it
   */
  registerErrorHandler<C extends object = Record<string, unknown>>(
    match: ErrorMatch,
    handler: ErrorHandler<C>,
    options?: HandlerOptions,
  ): Disposable {
    return this.recovery.registerErrorHandler(match, handler, options);
  }

  /** Removes a handler by its match (or the handler function). @returns whether one was removed */
  unregisterErrorHandler(matchOrHandler: ErrorMatch | ErrorHandler<never>): boolean {
    return this.recovery.unregisterErrorHandler(matchOrHandler);
  }

  /**
   * Runs the handler for an error or error type (seed: `recover_from_error`),
   * handing it the caller's whole `context` (as `context`; `operation`,
   * `data`, `signal` and `previous` keep their meaning). Never throws for a
   * failing recovery: without a handler, `{ recovered: false, reason: 'no-handler' }`.
   * @example
   * monitor.registerErrorHandler<{ invoice: number }>('database_error', ({ context }) => requeue(context.invoice));
   * await monitor.recoverFromError('database_error', { invoice: 42, step: 'post' });
   * @throws TypeError (a rejection) for a context that is not an object, or a known key of the wrong type
   */
  async recoverFromError<C extends object = RecoverContext>(
    errorOrType: unknown,
    context?: C & RecoverContext,
  ): Promise<RecoveryResult> {
    return this.recovery.recoverFromError(errorOrType, context);
  }

  /**
   * Times `fn` as `operation` and guards it: fallback → retry → breaker →
   * bulkhead → timeout, each only when the policy asks for it.
   * @example
   * await monitor.run('charge_card', ({ signal }) => gateway.charge({ signal }), {
   *   retry: { maxAttempts: 3 }, breaker: { consecutive: 5 }, timeoutMs: 2_000,
   * });
   */
  run<T>(
    operation: string,
    fn: (context: RunContext) => T | Promise<T>,
    policy?: RunPolicy<T>,
  ): Promise<T> {
    return this.recovery.run(operation, fn, policy);
  }

  // ---- capacity and sessions ----------------------------------------------

  /**
   * Counts `n` new transactions (seed: `track_transaction`).
   * @throws RangeError for a bad n; CapacityExceededError past the limit with policy `reject`
   */
  trackTransaction(n = 1): number {
    return this.capacity.increment('transactions', n);
  }

  /** Counts `n` transactions as removed. @throws RangeError for a bad n or below zero */
  untrackTransaction(n = 1): number {
    return this.capacity.decrement('transactions', n);
  }

  /** Sets the transaction count. @throws RangeError for a bad count */
  setTransactionCount(count: number): number {
    return this.capacity.set('transactions', checkCount(count, 'count'));
  }

  /**
   * Counts `n` new customers (seed: `track_customer`).
   * @throws RangeError for a bad n; CapacityExceededError past the limit with policy `reject`
   */
  trackCustomer(n = 1): number {
    return this.capacity.increment('customers', n);
  }

  /** Counts `n` customers as removed. @throws RangeError for a bad n or below zero */
  untrackCustomer(n = 1): number {
    return this.capacity.decrement('customers', n);
  }

  /** Sets the customer count. @throws RangeError for a bad count */
  setCustomerCount(count: number): number {
    return this.capacity.set('customers', checkCount(count, 'count'));
  }

  /** Starts (or touches) a session; returns true when it is new. */
  registerSession(id: string, attributes?: SessionAttributes): boolean {
    return this.sessions.register(id, attributes);
  }

  /** Ends a session; returns false when it was unknown. */
  unregisterSession(id: string): boolean {
    return this.sessions.unregister(id);
  }

  /** Marks a session as active now; returns false when it was unknown or expired. */
  touchSession(id: string): boolean {
    return this.sessions.touch(id);
  }

  // ---- backups ------------------------------------------------------------

  /**
   * Backs up `provider()` every `backupIntervalMinutes` while the app is
   * active (a measured operation, a capacity or session change, or
   * {@link markActivity} since the last backup); never two at once, never
   * while idle. Failures are recorded and emitted, never thrown.
   * @example
   * monitor.startBackupService(() => app.snapshot());
   */
  startBackupService(provider: BackupProvider, options?: { intervalMinutes?: number }): void {
    this.backups.start(provider, options);
  }

  /** Stops automatic backups, with a final one if there was activity since the last. */
  async stopBackupService(): Promise<void> {
    await this.backups.stop();
  }

  /** Counts as activity for the automatic backups. */
  markActivity(): void {
    this.#marks++;
  }

  /**
   * Backs `data` up now (seed: `perform_backup`).
   * @throws when the backup fails (e.g. ENOSPC, a value JSON cannot hold); the failure is also recorded
   */
  async performBackup(data: unknown, options?: { reason?: string }): Promise<BackupInfo> {
    return this.backups.backup(data, options?.reason ?? 'manual');
  }

  /** Every backup that verifies by its header, newest first. */
  async listBackups(): Promise<BackupInfo[]> {
    return this.backups.store.list();
  }

  /**
   * Restores one backup.
   * @throws RangeError for a malformed id, BackupNotFoundError for an unknown one, BackupCorruptError
   */
  async restoreBackup(id: string): Promise<RestoreResult> {
    return this.backups.restore(id);
  }

  /**
   * Restores the newest backup of the app's state (JSON; pass `contentType`
   * for a SQLite one) that verifies; corrupt ones are skipped and reported.
   * @throws BackupNotFoundError when none verifies
   */
  async restoreLatest(options?: RestoreOptions): Promise<RestoreResult> {
    return this.backups.restoreLatest(options);
  }

  /**
   * The newest backup of the app's state taken at or before `date` that verifies.
   * @throws BackupNotFoundError when there is none
   */
  async restoreAt(date: Date, options?: RestoreOptions): Promise<RestoreResult> {
    return this.backups.restoreAt(date, options);
  }

  /** Checks every backup (`quick`: headers; `full`: checksums); corrupt ones are moved aside. */
  async verifyBackups(options?: {
    level?: 'quick' | 'full';
  }): Promise<{ valid: BackupInfo[]; corrupt: CorruptBackup[] }> {
    return this.backups.store.verify(options?.level ?? 'full');
  }

  /**
   * Deletes the backups `policy` does not keep, per content type (never the
   * newest that verifies); one due for removal that does not verify is moved
   * to `corrupt/` instead. `dryRun` only reports.
   */
  async pruneBackups(
    policy: RetentionPolicy,
    options?: { dryRun?: boolean },
  ): Promise<PruneResult> {
    return this.backups.store.prune(policy, options);
  }

  /**
   * Backs up a SQLite database (better-sqlite3's online backup) into the same store.
   * @example
   * await monitor.backupSqlite(db); // db: a better-sqlite3 Database
   */
  async backupSqlite(db: SqliteDatabase, options?: { reason?: string }): Promise<BackupInfo> {
    return this.backups.backupSqlite(db, options?.reason ?? 'sqlite');
  }

  /** A sum of counters that only grow: any change of the app's activity changes it. */
  #activity(): number {
    return (
      this.operations.recordedCount() + this.capacity.changes + this.sessions.changes + this.#marks
    );
  }

  // ---- health -------------------------------------------------------------

  /**
   * The latest health figures and status, synchronously and cheaply (seed:
   * `get_system_health`): Keel's checks run now on the latest figures; the
   * app's checks give their last outcome (run them with {@link checkHealth}).
   */
  getSystemHealth(): SystemHealth {
    return this.#figures(this.health.latest());
  }

  #figures(report: HealthReport): SystemHealth {
    const { overall: o, snapshot, violations } = this.#operationsView();
    const reasons: string[] = [];
    for (const c of report.checks) {
      if (c.status === 'UP') continue;
      const own = (c.details as { reasons?: string[] } | undefined)?.reasons;
      if (c.builtIn && own !== undefined) reasons.push(...own);
      else reasons.push(`${c.name}: ${c.message ?? c.status}`);
    }
    const backups = this.backups.stats();
    const { history: _, ...withoutHistory } = backups;
    const runtime = this.runtime.latest() ?? null;
    return {
      status: report.status,
      reasons,
      checkedAt: new Date(toEpochMs(this.#clock, snapshot.takenAtMs)).toISOString(),
      windowMs: snapshot.windowMs ?? 0,
      avgResponseTimeMs: o.meanMs,
      p95ResponseTimeMs: o.p95Ms,
      p99ResponseTimeMs: o.p99Ms,
      errorRate: o.errorRate,
      totalOperations: o.count,
      throughputPerSec: o.throughputPerSec,
      meetingTargets: violations.length === 0,
      transactionCount: this.capacity.get('transactions')?.count ?? 0,
      customerCount: this.capacity.get('customers')?.count ?? 0,
      activeSessions: this.sessions.activeCount,
      sessions: this.sessions.stats(),
      capacity: this.capacity.list(),
      backupSuccessRate: backups.successRate,
      lastBackupAt: backups.lastSuccessAt,
      backups: withoutHistory,
      recovery: recoveryFinding(this.recovery.stats()),
      memory: runtime?.memory ?? null,
      runtime,
      liveness: report.liveness,
      readiness: report.readiness,
      checks: report.checks,
    };
  }

  // ---- lifecycle ------------------------------------------------------------

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stops Keel's timers. Idempotent; figures stay readable. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.backups.stop();
    this.runtime.stop();
    this.operations.close();
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Creates a {@link PerformanceMonitor}. */
export function createMonitor(options?: PerformanceMonitorOptions): PerformanceMonitor {
  return new PerformanceMonitor(options);
}

function capacityResources(c: MonitorCapacityOptions): Record<string, ResourceOptions> {
  const out: Record<string, ResourceOptions> = { ...c.resources };
  for (const name of ['transactions', 'customers'] as const) {
    const given = c[name];
    if (given !== undefined) out[name] = { limit: BUILT_IN_LIMITS[name], ...given };
  }
  return out;
}
