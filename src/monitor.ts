import type {
  BackupInfo,
  BackupProvider,
  BackupService,
  CorruptBackup,
  PruneResult,
  RestoreOptions,
  RestoreResult,
  RetentionPolicy,
  SqliteDatabase,
} from './backup/index.js';
import type { CapacityTracker, SessionAttributes, SessionTracker } from './capacity/index.js';
import { type Clock, checkCount, checkDurationMs } from './core/index.js';
import type { PrometheusExporter } from './export/index.js';
import type { CheckGroup, HealthChecks, HealthStatus } from './health/index.js';
import {
  createHandler,
  type HttpHandlerOptions,
  type KeelRequestHandler,
  type KeelServer,
  type ServeOptions,
  serve,
} from './http/index.js';
import type {
  MetricRegistry,
  Operation,
  OperationRegistry,
  OperationStats,
  OperationsSnapshot,
  OperationTimer,
  StatsOptions,
} from './metrics/index.js';
import type {
  MeasureOptions,
  PerformanceMonitorOptions,
  RecordOptions,
} from './monitor-options.js';
import { createParts } from './monitor-parts.js';
import type {
  ErrorHandler,
  ErrorMatch,
  HandlerOptions,
  RecoverContext,
  Recovery,
  RecoveryResult,
  RunContext,
  RunPolicy,
} from './recovery/index.js';
import type { PerformanceReport, Reporter, SystemHealth } from './report/index.js';
import type { RuntimeSampler } from './runtime/index.js';
import {
  defineSlo,
  type Slo,
  type SloOptions,
  type SloStatus,
  sloStatus,
  type Target,
  type Targets,
} from './targets/index.js';

export type {
  MeasureOptions,
  MonitorCapacityOptions,
  MonitorMetricsOptions,
  PerformanceMonitorOptions,
  RecordOptions,
} from './monitor-options.js';
export type { SystemHealth } from './report/index.js';
/** Overall status, worst first: DOWN > DEGRADED > UNKNOWN > UP. */
export type { HealthStatus };

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
  /** Everything as Prometheus text or OpenMetrics (what `GET /metrics` serves). */
  readonly prometheus: PrometheusExporter;
  readonly #servers = new Set<KeelServer>();
  readonly #handlers = new Set<KeelRequestHandler>();
  readonly #reporter: Reporter;
  readonly #clock: Clock;
  readonly #injectedClock: boolean;
  readonly #slos: Slo[] = [];
  #marks = 0;
  #closed = false;

  /** @throws RangeError or TypeError naming the first invalid option */
  constructor(options: PerformanceMonitorOptions = {}) {
    this.#injectedClock = options.clock !== undefined;
    const slos = this.#slos;
    const parts = createParts(options, {
      activity: () => this.#activity(),
      slos: {
        statuses: () => this.getSloStatuses(),
        get count() {
          return slos.length;
        },
      },
    });
    this.operations = parts.operations;
    this.metrics = parts.metrics;
    this.targets = parts.targets;
    this.capacity = parts.capacity;
    this.sessions = parts.sessions;
    this.backups = parts.backups;
    this.recovery = parts.recovery;
    this.health = parts.health;
    this.runtime = parts.runtime;
    this.prometheus = parts.prometheus;
    this.#reporter = parts.reporter;
    this.#clock = parts.clock;
    for (const slo of options.slos ?? []) this.addSlo(slo);
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
    return this.#reporter.performanceReport(options);
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
    return { ...this.#reporter.systemHealth(report), durationMs: report.durationMs };
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
    return this.#reporter.systemHealth(this.health.latest());
  }

  // ---- HTTP -----------------------------------------------------------------

  /**
   * Starts Keel's HTTP server (`node:http`): `/metrics`, `/health`,
   * `/health/live`, `/health/ready`, `/api/report`, `/api/operations`,
   * `/api/backups`, `/api/events`, and, with a token, `POST /api/backups` and
   * `POST /api/backups/:id/restore`. Binds to 127.0.0.1 by default; a public
   * host needs a token (or `allowUnauthenticated`). Closed by {@link close}.
   * @example
   * const server = await monitor.serve({ port: 9464, token: process.env.KEEL_TOKEN });
   * console.log(`metrics on ${server.url}/metrics`);
   * @throws RangeError or TypeError for bad options; Error for a public host without a token, or when the port is taken
   */
  async serve(options?: ServeOptions): Promise<KeelServer> {
    const server = await serve(this, options);
    this.#servers.add(server);
    const close = server.close;
    return Object.assign(server, {
      close: () => {
        this.#servers.delete(server);
        return close();
      },
    });
  }

  /**
   * The same routes as a handler to mount in your own server; paths it does
   * not serve go to `next` (Express/Connect) or get 404.
   * @example
   * app.use(monitor.httpHandler({ prefix: '/keel', token }));
   */
  httpHandler(options?: HttpHandlerOptions): KeelRequestHandler {
    const handler = createHandler(this, options);
    this.#handlers.add(handler);
    return handler;
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
    for (const h of this.#handlers) h.close();
    await Promise.all([...this.#servers].map((server) => server.close()));
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
