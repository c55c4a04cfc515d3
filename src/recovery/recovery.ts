import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import {
  type Clock,
  checkDurationMs,
  describe,
  Emitter,
  isBreakerOpenError,
  isBulkheadFullError,
  isTimeoutError,
  systemClock,
  TimeoutError,
} from '../core/index.js';
import type { Operation, OperationRegistry } from '../metrics/index.js';
import {
  type Admission,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
  CircuitBreaker,
} from './breaker.js';
import { Bulkhead, type BulkheadOptions } from './bulkhead.js';
import {
  type Classifier,
  classifyFailure,
  errorTypeOf,
  type FailureKind,
  safeMessage,
} from './classify.js';
import { type Deadline, DeadlineWatcher } from './deadline.js';
import {
  checkRecoverContext,
  type ErrorHandler,
  type ErrorMatch,
  type HandlerOptions,
  HandlerRegistry,
  type RecoverContext,
  type RecoveryResult,
} from './handlers.js';

/** Retry with exponential backoff and decorrelated jitter (cockatiel's generator). */
export interface RetryOptions {
  /** Attempts in all, the first included. @defaultValue 3 */
  maxAttempts?: number;
  /** Scale of the first delay. @defaultValue 128 */
  initialDelayMs?: number;
  /** No delay is longer. @defaultValue 30_000 */
  maxDelayMs?: number;
  /** No retry starts when the run so far plus the next delay would pass this. @defaultValue Infinity */
  budgetMs?: number;
}

/**
 * Graceful degradation once every attempt failed: a value, a function of the
 * error, or the operation's last good result. The run then resolves and
 * counts as `degraded`.
 */
export type Fallback<T> = { value: T } | { fn: (error: unknown) => T | Promise<T> } | 'last-good';

/** How `monitor.run` guards a call. Order: fallback → retry → breaker → bulkhead → timeout. */
export interface RunPolicy<T = unknown> {
  retry?: RetryOptions | boolean;
  /** Each attempt's time limit: its signal aborts and it fails with TimeoutError. */
  timeoutMs?: number;
  /** The operation's circuit breaker, made on its first run with one (later options are ignored). */
  breaker?: BreakerOptions | boolean;
  /** The operation's concurrency limit, made on its first run with one. */
  bulkhead?: BulkheadOptions;
  fallback?: Fallback<T>;
  /** What a failure means; `undefined` falls back to Keel's default. */
  classify?: Classifier;
  /** The caller's cancellation: aborting it cancels the run (never counted as a failure). */
  signal?: AbortSignal;
  /** Passed to recovery handlers. */
  data?: unknown;
  /** Kind of the operation (`db`, `http`, …) on its first use. */
  kind?: string;
}

/** What the work gets. */
export interface RunContext {
  /** Aborts on timeout or when the caller cancels; made only when read. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly operation: string;
}

/** Recovery figures of one operation run through `monitor.run`. */
export interface OperationRecoveryStats {
  operation: string;
  runs: number;
  /** Runs that succeeded, at once or after retries. */
  succeeded: number;
  /** Failed attempts (transient or permanent; not Keel's own breaker or bulkhead rejections). */
  errors: number;
  /** Handler tries between its attempts. */
  recoveryAttempts: number;
  /** Runs that succeeded after at least one failed attempt. */
  recovered: number;
  /** How many runs recovered after N attempts: `{ "2": 5, "3": 1 }`. */
  recoveredAfter: Record<string, number>;
  /** Runs that failed for good (no fallback). */
  gaveUp: number;
  /** Runs answered by the fallback. */
  degraded: number;
  cancelled: number;
  /** Failures passed on as expected outcomes. */
  ignored: number;
  retries: number;
  timeouts: number;
  breakerRejections: number;
  bulkheadRejections: number;
  /** Mean and longest time from the first failure to the recovery, ms. */
  meanTimeToRecoverMs: number;
  maxTimeToRecoverMs: number;
  breaker: BreakerState | null;
}

/** Figures of one error type. */
export interface ErrorTypeStats {
  type: string;
  occurrences: number;
  /** Handler tries (between attempts of a run, and by recoverFromError). */
  recoveryAttempts: number;
  /** Runs that failed with it and then succeeded, and recoverFromError calls that recovered. */
  recovered: number;
  /** How many of those runs recovered after N attempts. */
  recoveredAfter: Record<string, number>;
  /** Mean time from a run's first failure to its recovery, ms (0 when none). */
  meanTimeToRecoverMs: number;
  gaveUp: number;
  /** ISO time it was last seen. */
  lastSeenAt: string;
}

/** One of the last 100 errors; never a stack trace, credentials masked. */
export interface RecentError {
  type: string;
  operation: string | null;
  /** First line, at most 200 characters. */
  message: string;
  kind: FailureKind;
  /** ISO time. */
  at: string;
}

/** Everything recovery knows. */
export interface RecoveryStats {
  runs: number;
  recovered: number;
  gaveUp: number;
  degraded: number;
  retries: number;
  recoveryAttempts: number;
  /** Operations whose breaker is open, half-open or isolated. */
  openBreakers: Array<{ operation: string; state: BreakerState }>;
  operations: OperationRecoveryStats[];
  /** Most frequent first. */
  errorTypes: ErrorTypeStats[];
  /** Newest first, at most 100. */
  recentErrors: RecentError[];
  handlers: string[];
}

/** A run or a recoverFromError that recovered. */
export interface RecoveredEvent {
  operation: string | null;
  errorType: string;
  attempts: number;
  durationMs: number;
}

/**
 * A run that failed for good or fell back, or a recoverFromError that could
 * not recover. It carries the run's `data`, so the app can keep the work
 * (e.g. queue it for replay) instead of losing it.
 */
export interface GaveUpEvent {
  operation: string | null;
  errorType: string;
  attempts: number;
  kind: FailureKind;
  /** First line of the error, credentials masked. */
  message: string;
  /** True when a fallback answered instead. */
  degraded: boolean;
  /** The policy's (or recoverFromError context's) `data`. */
  data: unknown;
}

/** Options of {@link Recovery}. */
export interface RecoveryOptions {
  /** Breaker states saved by `breakerStates()` before a restart, by operation. */
  breakerStates?: Record<string, BreakerSnapshot>;
  /** Wall clock for breakers (persisted times) and report times. @defaultValue Date.now */
  now?: () => number;
  /** Error types kept apart before they share `_other`. @defaultValue 200 */
  maxErrorTypes?: number;
}

/** The counts kept per operation, reported by `stats()` as they are. */
const RUN_COUNTS = [
  'runs',
  'succeeded',
  'errors',
  'recoveryAttempts',
  'recovered',
  'gaveUp',
  'degraded',
  'cancelled',
  'ignored',
  'retries',
  'timeouts',
  'breakerRejections',
  'bulkheadRejections',
] as const;
type RunCounts = Pick<OperationRecoveryStats, (typeof RUN_COUNTS)[number]>;

interface OpState extends RunCounts {
  name: string;
  op: Operation;
  /** The context of a first attempt that has no timeout or signal of its own: shared, frozen. */
  context: RunContext;
  breaker: CircuitBreaker | undefined;
  bulkhead: Bulkhead | undefined;
  lastGood: { value: unknown } | undefined;
  recoveredAfter: Map<number, number>;
  recoverMsSum: number;
  recoverMsMax: number;
}

interface TypeState {
  occurrences: number;
  recoveryAttempts: number;
  recovered: number;
  recoveredAfter: Map<number, number>;
  recoverMsSum: number;
  gaveUp: number;
  lastSeenAt: number;
}

/** A signal that never aborts: what the work gets when nothing can cancel it. */
const NEVER = new AbortController().signal;
const RECENT = 100;

/**
 * One attempt: the work's context (its signal is made only when read) and,
 * when guarded, its own deadline in the shared watcher — one object per
 * attempt, no timer.
 */
class AttemptContext implements RunContext, Deadline {
  readonly operation: string;
  readonly attempt: number;
  /** When the deadline passes (clock reading); set by {@link guard}. */
  at = 0;
  /** The watcher's index of this deadline. */
  slot = -1;
  readonly #outer: AbortSignal | undefined;
  readonly #timed: boolean;
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;
  #timeoutMs = 0;
  #watcher: DeadlineWatcher | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #onOuter: (() => void) | undefined;

  constructor(operation: string, attempt: number, outer: AbortSignal | undefined, timed: boolean) {
    this.operation = operation;
    this.attempt = attempt;
    this.#outer = outer;
    this.#timed = timed;
  }

  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    if (!this.#timed) return this.#outer ?? NEVER;
    const controller = new AbortController();
    this.#controller = controller;
    if (this.#aborted) controller.abort(this.#reason);
    else if (this.#outer?.aborted === true) controller.abort(this.#outer.reason);
    return controller.signal;
  }

  /**
   * The work raced against the deadline (`timeoutMs` from `now`) and the
   * caller's signal; a fired deadline aborts the signal and rejects with
   * TimeoutError.
   */
  guard<T>(
    work: PromiseLike<T>,
    watcher: DeadlineWatcher,
    timeoutMs: number | undefined,
    now: number | undefined,
  ): Promise<T> {
    const raced = new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      work.then(resolve, reject);
    });
    if (timeoutMs !== undefined) {
      this.#timeoutMs = timeoutMs;
      this.at = (now ?? watcher.now()) + timeoutMs;
      this.#watcher = watcher;
      watcher.watch(this, timeoutMs);
    }
    const outer = this.#outer;
    if (outer !== undefined) {
      this.#onOuter = () => {
        this.abort(outer.reason);
        this.#reject?.(outer.reason);
      };
      outer.addEventListener('abort', this.#onOuter, { once: true });
    }
    return raced;
  }

  /** The deadline passed (called by the watcher). */
  fire(): void {
    const error = new TimeoutError(this.operation, this.#timeoutMs);
    this.abort(error);
    this.#reject?.(error);
  }

  abort(reason: unknown): void {
    if (this.#controller !== undefined) this.#controller.abort(reason);
    else {
      this.#aborted = true;
      this.#reason = reason;
    }
  }

  /** Leaves the watcher and the caller's signal: nothing outlives the attempt. */
  dispose(): void {
    this.#watcher?.unwatch(this);
    if (this.#onOuter !== undefined) this.#outer?.removeEventListener('abort', this.#onOuter);
  }
}

/**
 * Error recovery (seed 10.3): handlers by error type, and `run`, which times
 * an operation and guards it with retry, circuit breaker, bulkhead, timeout
 * and fallback, counting what each did.
 *
 * @example
 * recovery.registerErrorHandler('database_error', () => db.reconnect());
 * const invoice = await recovery.run('load_invoice', ({ signal }) => db.get(id, { signal }), {
 *   retry: { maxAttempts: 3 }, breaker: { consecutive: 5 }, timeoutMs: 2_000, fallback: 'last-good',
 * });
 */
export class Recovery {
  readonly #operations: OperationRegistry;
  readonly #handlers = new HandlerRegistry();
  readonly #ops = new Map<string, OpState>();
  readonly #types = new Map<string, TypeState>();
  readonly #recent: RecentError[] = [];
  readonly #checked = new WeakSet<object>();
  readonly #watcher: DeadlineWatcher;
  readonly #now: () => number;
  readonly #savedBreakers: Record<string, BreakerSnapshot>;
  readonly #maxErrorTypes: number;
  readonly #recovered = new Emitter<RecoveredEvent>();
  readonly #gaveUp = new Emitter<GaveUpEvent>();
  readonly #breakerOpened = new Emitter<BreakerTransition>();
  #recoverFromErrorCalls = 0;

  /** Fires when a run succeeds after failed attempts, or a handler recovers. */
  readonly onRecovered = this.#recovered.on;
  /** Fires when a run fails for good, or a handler cannot recover. */
  readonly onGaveUp = this.#gaveUp.on;
  /** Fires when a breaker opens (from closed or half-open) or is isolated. */
  readonly onBreakerOpened = this.#breakerOpened.on;

  constructor(
    operations: OperationRegistry,
    clock: Clock = systemClock,
    options: RecoveryOptions = {},
  ) {
    this.#operations = operations;
    this.#watcher = new DeadlineWatcher(clock);
    this.#now = options.now ?? Date.now;
    this.#savedBreakers = options.breakerStates ?? {};
    this.#maxErrorTypes = options.maxErrorTypes ?? 200;
  }

  // ---- handlers -------------------------------------------------------------

  /**
   * Registers `handler` for errors matching `match`: an error type string
   * (compared with the error's `type`, `code` or `name`), an Error class (the
   * closest superclass wins) or a predicate.
   * @returns a Disposable that unregisters it
   * @throws when `match` already has a handler, or an argument is invalid
   */
  registerErrorHandler<C extends object = Record<string, unknown>>(
    match: ErrorMatch,
    handler: ErrorHandler<C>,
    options?: HandlerOptions,
  ): Disposable {
    return this.#handlers.register(match, handler, options);
  }

  /** Removes the handler of `match` (or that handler function). @returns whether one was removed */
  unregisterErrorHandler(matchOrHandler: ErrorMatch | ErrorHandler<never>): boolean {
    return this.#handlers.unregister(matchOrHandler);
  }

  /**
   * Runs the handler registered for `errorOrType` (seed: `recover_from_error`)
   * with the caller's whole `context` (the handler's `context`).
   * Never throws for a failing recovery: no handler gives `{ recovered: false, reason: 'no-handler' }`.
   * @throws TypeError (a rejection) when `context` is not an object or one of its
   *   keys `operation`, `signal`, `previous` has the wrong type: nothing runs
   */
  async recoverFromError<C extends object = RecoverContext>(
    errorOrType: unknown,
    context?: C & RecoverContext,
  ): Promise<RecoveryResult> {
    checkRecoverContext(context);
    this.#recoverFromErrorCalls++;
    const operation = context?.operation ?? null;
    const kind = typeof errorOrType === 'string' ? 'transient' : classifyFailure(errorOrType);
    const type = this.#noteError(errorOrType, operation, kind);
    const result = await this.#handlers.recover(errorOrType, context);
    const t = this.#typeState(type);
    t.recoveryAttempts += result.attempts;
    if (result.recovered) {
      this.#typeRecovered(operation, type, result.attempts, result.durationMs);
    } else if (result.reason !== 'no-handler' && result.reason !== 'recursion') {
      t.gaveUp++;
      this.#emitGaveUp(
        operation,
        type,
        result.attempts,
        kind,
        result.error ?? errorOrType,
        context?.data,
        false,
      );
    }
    return result;
  }

  // ---- run ------------------------------------------------------------------

  /**
   * Times `fn` as `operation` and guards it with `policy`; resolves with its
   * result (or the fallback's) and rejects with its last error.
   * @throws TypeError or RangeError, synchronously, for a bad `fn` or policy: nothing runs
   */
  run<T>(
    operation: string,
    fn: (context: RunContext) => T | Promise<T>,
    policy?: RunPolicy<T>,
  ): Promise<T> {
    if (typeof fn !== 'function') {
      throw new TypeError(`fn must be a function, got ${describe(fn)}`);
    }
    // Each policy object is checked once (policies are usually constants); then remembered.
    if (policy !== undefined && !this.#checked.has(policy)) {
      checkPolicy(policy);
      this.#checked.add(policy);
    }
    let s = this.#ops.get(operation);
    if (s === undefined || (policy !== undefined && needsParts(s, policy))) {
      s = this.#state(operation, policy);
    }
    if (policy === undefined) return this.#plain(s, fn);
    return this.#guarded(s, fn, policy);
  }

  /** A run without a policy: timing and counting only. */
  async #plain<T>(s: OpState, fn: (context: RunContext) => T | Promise<T>): Promise<T> {
    const start = s.op.begin();
    s.runs++;
    try {
      const value = await fn(s.context);
      s.succeeded++;
      s.op.finish(start, true);
      return value;
    } catch (error) {
      const kind = classifyFailure(error);
      if (kind === 'transient' || kind === 'permanent') this.#noteError(error, s, kind);
      this.#settleFailure(s, start, error, kind, 1, undefined);
      throw error;
    }
  }

  async #guarded<T>(
    s: OpState,
    fn: (context: RunContext) => T | Promise<T>,
    p: RunPolicy<T>,
  ): Promise<T> {
    const start = s.op.begin();
    s.runs++;
    const retry = p.retry === true ? {} : p.retry === false ? undefined : p.retry;
    const maxAttempts = retry === undefined ? 1 : (retry.maxAttempts ?? 3);
    const timeoutMs = p.timeoutMs;
    let backoff: (() => number) | undefined;
    let firstFailureAt = 0;
    let lastType = 'Error';
    let previous: RecoveryResult | undefined;
    for (let attempt = 1; ; attempt++) {
      // Only a timeout or the caller's signal needs a context of its own; else a shared one.
      const ctx =
        timeoutMs !== undefined || p.signal !== undefined
          ? new AttemptContext(s.name, attempt, p.signal, timeoutMs !== undefined)
          : undefined;
      let admission: Admission | undefined;
      let holding = false;
      let called = false;
      try {
        if (p.signal?.aborted === true) throw p.signal.reason;
        if (s.breaker !== undefined) admission = s.breaker.admit();
        let waited = attempt > 1;
        if (s.bulkhead !== undefined) {
          const wait = s.bulkhead.acquire(p.signal);
          if (wait !== undefined) {
            await wait;
            waited = true;
          }
          holding = true;
        }
        called = true;
        let result = fn(ctx ?? (attempt === 1 ? s.context : plainContext(s.name, attempt)));
        if (ctx !== undefined && isThenable(result)) {
          // The run's start reading serves as the first attempt's "now": one clock read less.
          result = ctx.guard(result, this.#watcher, timeoutMs, waited ? undefined : start);
        }
        const value = await result;
        ctx?.dispose();
        if (holding) s.bulkhead?.release();
        if (admission !== undefined) s.breaker?.success(admission);
        s.succeeded++;
        s.op.finish(start, true);
        if (p.fallback === 'last-good') s.lastGood = { value };
        if (attempt > 1)
          this.#noteRecovered(s, attempt, this.#watcher.now() - firstFailureAt, lastType);
        return value;
      } catch (error) {
        ctx?.dispose();
        if (holding) s.bulkhead?.release();
        const kind: FailureKind =
          p.signal?.aborted === true
            ? 'cancelled'
            : isTimeoutError(error)
              ? 'transient'
              : (p.classify?.(error) ?? classifyFailure(error));
        if (admission !== undefined) {
          if (!called || kind === 'cancelled') s.breaker?.release(admission);
          else if (kind === 'ignored') s.breaker?.success(admission);
          else s.breaker?.failure(admission);
        }
        if (kind === 'ignored' || kind === 'cancelled') {
          this.#settleFailure(s, start, error, kind, attempt, p);
          throw error;
        }
        if (attempt === 1) firstFailureAt = this.#watcher.now();
        // Keel's own fast rejections are symptoms, not error types of their own.
        if (isBreakerOpenError(error)) s.breakerRejections++;
        else if (isBulkheadFullError(error)) s.bulkheadRejections++;
        else lastType = this.#noteError(error, s, kind);
        if (isTimeoutError(error)) s.timeouts++;
        if (kind === 'transient' && attempt < maxAttempts && retry !== undefined) {
          backoff ??= backoffSchedule(retry);
          const delay = backoff();
          // The budget counts from the start of the run, first attempt included.
          const elapsed = this.#watcher.now() - start;
          if (elapsed + delay <= (retry.budgetMs ?? Number.POSITIVE_INFINITY)) {
            previous = await this.#betweenAttempts(s, error, attempt, p, delay, previous);
            if (p.signal?.aborted === true) {
              this.#settleFailure(s, start, p.signal.reason, 'cancelled', attempt, p);
              throw p.signal.reason;
            }
            // A handler that answers `false` says the error cannot be recovered: stop retrying.
            if (previous?.declined !== true) {
              s.retries++;
              continue;
            }
          }
        }
        const fallback = p.fallback;
        if (fallback !== undefined && (fallback !== 'last-good' || s.lastGood !== undefined)) {
          s.degraded++;
          s.op.finish(start, false);
          this.#emitGaveUp(s.name, lastType, attempt, kind, error, p.data, true);
          if (fallback === 'last-good') return s.lastGood?.value as T;
          return 'value' in fallback ? fallback.value : await fallback.fn(error);
        }
        this.#settleFailure(s, start, error, kind, attempt, p);
        throw error;
      }
    }
  }

  /**
   * Runs the error's handler (if any) with the previous try's outcome, then
   * waits out the backoff delay (always through a timer, so even a zero delay
   * yields to the event loop). Returns the handler's outcome.
   */
  async #betweenAttempts(
    s: OpState,
    error: unknown,
    attempt: number,
    p: { data?: unknown; signal?: AbortSignal },
    delayMs: number,
    previous: RecoveryResult | undefined,
  ): Promise<RecoveryResult | undefined> {
    let outcome: RecoveryResult | undefined;
    if (this.#handlers.find(error) !== undefined) {
      outcome = await this.#handlers.recover(
        error,
        {
          operation: s.name,
          data: p.data,
          ...(p.signal === undefined ? {} : { signal: p.signal }),
          ...(previous === undefined ? {} : { previous }),
        },
        attempt,
      );
      s.recoveryAttempts += outcome.attempts;
      this.#typeState(errorTypeOf(error)).recoveryAttempts += outcome.attempts;
    }
    await sleep(delayMs, p.signal);
    return outcome;
  }

  #noteRecovered(s: OpState, attempts: number, ms: number, type: string): void {
    s.recovered++;
    countUp(s.recoveredAfter, attempts);
    s.recoverMsSum += ms;
    if (ms > s.recoverMsMax) s.recoverMsMax = ms;
    this.#typeRecovered(s.name, type, attempts, ms);
  }

  /** Counts a recovery under its error type and tells the listeners. */
  #typeRecovered(operation: string | null, type: string, attempts: number, ms: number): void {
    const t = this.#typeState(type);
    t.recovered++;
    countUp(t.recoveredAfter, attempts);
    t.recoverMsSum += ms;
    if (this.#recovered.hasListeners) {
      this.#recovered.emit({ operation, errorType: type, attempts, durationMs: ms });
    }
  }

  /** Records the end of a run that did not succeed (and was not degraded). */
  #settleFailure(
    s: OpState,
    start: number,
    error: unknown,
    kind: FailureKind,
    attempts: number,
    p: { data?: unknown } | undefined,
  ): void {
    if (kind === 'cancelled') {
      s.cancelled++;
      return;
    }
    if (kind === 'ignored') {
      s.ignored++;
      s.op.finish(start, true);
      return;
    }
    s.gaveUp++;
    s.op.finish(start, false);
    const type =
      isBreakerOpenError(error) || isBulkheadFullError(error) ? undefined : errorTypeOf(error);
    if (type !== undefined) this.#typeState(type).gaveUp++;
    this.#emitGaveUp(s.name, type ?? errorTypeOf(error), attempts, kind, error, p?.data, false);
  }

  /** Tells listeners a run gave up or fell back, with its `data` so the work can be kept for later. */
  #emitGaveUp(
    operation: string | null,
    errorType: string,
    attempts: number,
    kind: FailureKind,
    error: unknown,
    data: unknown,
    degraded: boolean,
  ): void {
    if (!this.#gaveUp.hasListeners) return;
    // Inside the recovery chain of this type: a listener that calls
    // recoverFromError for it again gets `recursion`, not a loop.
    this.#handlers.within(errorType, () =>
      this.#gaveUp.emit({
        operation,
        errorType,
        attempts,
        kind,
        message: safeMessage(error),
        degraded,
        data,
      }),
    );
  }

  /** Counts an error under its type (and its operation) and keeps it among the recent ones. */
  #noteError(error: unknown, s: OpState | string | null, kind: FailureKind): string {
    const type = errorTypeOf(error);
    const t = this.#typeState(type);
    t.occurrences++;
    t.lastSeenAt = this.#now();
    let operation: string | null = null;
    if (typeof s === 'object' && s !== null) {
      s.errors++;
      operation = s.name;
    } else operation = s;
    this.#recent.unshift({
      type,
      operation,
      message: safeMessage(error),
      kind,
      at: new Date(t.lastSeenAt).toISOString(),
    });
    if (this.#recent.length > RECENT) this.#recent.length = RECENT;
    return type;
  }

  #typeState(type: string): TypeState {
    let t = this.#types.get(type);
    if (t === undefined) {
      const key = this.#types.size >= this.#maxErrorTypes ? '_other' : type;
      t = this.#types.get(key);
      if (t === undefined) {
        t = {
          occurrences: 0,
          recoveryAttempts: 0,
          recovered: 0,
          recoveredAfter: new Map(),
          recoverMsSum: 0,
          gaveUp: 0,
          lastSeenAt: 0,
        };
        this.#types.set(key, t);
      }
    }
    return t;
  }

  /** The state of an operation, with the breaker and bulkhead its policy asks for. */
  #state<T>(operation: string, policy: RunPolicy<T> | undefined): OpState {
    const op = this.#operations.operation(
      operation,
      policy?.kind === undefined ? undefined : { kind: policy.kind },
    );
    const name = op.name;
    let s = this.#ops.get(name);
    if (s === undefined) {
      s = {
        name,
        op,
        context: plainContext(name, 1),
        breaker: undefined,
        bulkhead: undefined,
        lastGood: undefined,
        ...(Object.fromEntries(RUN_COUNTS.map((k) => [k, 0])) as RunCounts),
        recoveredAfter: new Map(),
        recoverMsSum: 0,
        recoverMsMax: 0,
      };
    }
    if (policy?.breaker !== undefined && policy.breaker !== false && s.breaker === undefined) {
      const options = policy.breaker === true ? {} : policy.breaker;
      const saved = this.#savedBreakers[name];
      s.breaker = new CircuitBreaker(
        name,
        saved === undefined || options.initialState !== undefined
          ? options
          : { ...options, initialState: saved },
        { now: this.#now, onChange: (t) => this.#breakerChanged(t) },
      );
    }
    if (policy?.bulkhead !== undefined && s.bulkhead === undefined) {
      s.bulkhead = new Bulkhead(name, policy.bulkhead);
    }
    this.#ops.set(operation, s);
    this.#ops.set(name, s);
    return s;
  }

  #breakerChanged(t: BreakerTransition): void {
    if ((t.to === 'open' || t.to === 'isolated') && this.#breakerOpened.hasListeners) {
      this.#breakerOpened.emit(t);
    }
  }

  // ---- reading ----------------------------------------------------------------

  /** The circuit breaker of an operation, once a run made one. */
  breaker(operation: string): CircuitBreaker | undefined {
    return this.#ops.get(operation)?.breaker;
  }

  /** Every breaker's state, to save and pass back as `breakerStates` after a restart. */
  breakerStates(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const s of new Set(this.#ops.values())) {
      if (s.breaker !== undefined) out[s.name] = s.breaker.toJSON();
    }
    return out;
  }

  /** Timeouts being watched now (0 when no guarded call runs). */
  get pendingTimeouts(): number {
    return this.#watcher.size;
  }

  stats(): RecoveryStats {
    const operations: OperationRecoveryStats[] = [];
    const openBreakers: RecoveryStats['openBreakers'] = [];
    let runs = 0;
    let recovered = 0;
    let gaveUp = 0;
    let degraded = 0;
    let retries = 0;
    for (const s of new Set(this.#ops.values())) {
      const breaker = s.breaker?.state ?? null;
      if (breaker !== null && breaker !== 'closed') {
        openBreakers.push({ operation: s.name, state: breaker });
      }
      runs += s.runs;
      recovered += s.recovered;
      gaveUp += s.gaveUp;
      degraded += s.degraded;
      retries += s.retries;
      const counts = Object.fromEntries(RUN_COUNTS.map((k) => [k, s[k]])) as RunCounts;
      operations.push({
        operation: s.name,
        ...counts,
        recoveredAfter: byAttempts(s.recoveredAfter),
        meanTimeToRecoverMs: s.recovered === 0 ? 0 : s.recoverMsSum / s.recovered,
        maxTimeToRecoverMs: s.recoverMsMax,
        breaker,
      });
    }
    let recoveryAttempts = 0;
    const errorTypes: ErrorTypeStats[] = [];
    for (const [type, t] of this.#types) {
      recoveryAttempts += t.recoveryAttempts;
      errorTypes.push({
        type,
        occurrences: t.occurrences,
        recoveryAttempts: t.recoveryAttempts,
        recovered: t.recovered,
        recoveredAfter: byAttempts(t.recoveredAfter),
        meanTimeToRecoverMs: t.recovered === 0 ? 0 : t.recoverMsSum / t.recovered,
        gaveUp: t.gaveUp,
        lastSeenAt: new Date(t.lastSeenAt).toISOString(),
      });
    }
    errorTypes.sort((a, b) => b.occurrences - a.occurrences);
    return {
      runs,
      recovered,
      gaveUp,
      degraded,
      retries,
      recoveryAttempts,
      openBreakers,
      operations,
      errorTypes,
      recentErrors: [...this.#recent],
      handlers: this.#handlers.names,
    };
  }

  /** Calls of recoverFromError so far. */
  get recoverFromErrorCalls(): number {
    return this.#recoverFromErrorCalls;
  }
}

/** True when the policy asks for a breaker or bulkhead the operation does not have yet. */
function needsParts<T>(s: OpState, policy: RunPolicy<T>): boolean {
  return (
    (policy.breaker !== undefined && policy.breaker !== false && s.breaker === undefined) ||
    (policy.bulkhead !== undefined && s.bulkhead === undefined)
  );
}

function checkPolicy<T>(p: RunPolicy<T>): void {
  if (typeof p !== 'object' || p === null) {
    throw new TypeError(`policy must be an object, got ${describe(p)}`);
  }
  if (p.timeoutMs !== undefined) {
    checkDurationMs(p.timeoutMs, 'policy.timeoutMs');
    if (p.timeoutMs === 0) throw new RangeError('policy.timeoutMs must be > 0, got 0');
  }
  if (typeof p.retry === 'object' && p.retry !== null) {
    const r = p.retry;
    if (
      r.maxAttempts !== undefined &&
      (!Number.isSafeInteger(r.maxAttempts) || r.maxAttempts < 1)
    ) {
      throw new RangeError(
        `policy.retry.maxAttempts must be an integer >= 1, got ${describe(r.maxAttempts)}`,
      );
    }
    if (r.initialDelayMs !== undefined)
      checkDurationMs(r.initialDelayMs, 'policy.retry.initialDelayMs');
    if (r.maxDelayMs !== undefined) checkDurationMs(r.maxDelayMs, 'policy.retry.maxDelayMs');
    if (r.budgetMs !== undefined && !(r.budgetMs >= 0)) {
      throw new RangeError(
        `policy.retry.budgetMs must be a number >= 0, got ${describe(r.budgetMs)}`,
      );
    }
  }
  const f = p.fallback as unknown;
  if (
    f !== undefined &&
    f !== 'last-good' &&
    !(
      typeof f === 'object' &&
      f !== null &&
      ('value' in f || typeof (f as { fn?: unknown }).fn === 'function')
    )
  ) {
    throw new TypeError(
      `policy.fallback must be { value }, { fn } or 'last-good', got ${describe(f)}`,
    );
  }
}

/**
 * The delays between attempts: cockatiel's exponential backoff with
 * decorrelated jitter ("Polly v2"), each in [0, maxDelayMs].
 * @example
 * const next = backoffSchedule({ initialDelayMs: 100, maxDelayMs: 5_000 });
 * next(); next(); // e.g. 92, 231
 */
export function backoffSchedule(retry: RetryOptions = {}): () => number {
  let state: IBackoff<unknown> | undefined;
  const factory = new ExponentialBackoff({
    initialDelay: retry.initialDelayMs ?? 128,
    maxDelay: retry.maxDelayMs ?? 30_000,
  });
  return () => {
    state = state === undefined ? factory.next() : state.next(undefined);
    return state.duration;
  };
}

function countUp(counts: Map<number, number>, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** A count by number of attempts as JSON: `{ "2": 5, "3": 1 }`. */
function byAttempts(counts: ReadonlyMap<number, number>): Record<string, number> {
  return Object.fromEntries([...counts].map(([attempts, n]) => [String(attempts), n]));
}

/** A context whose signal never aborts. */
function plainContext(operation: string, attempt: number): RunContext {
  return Object.freeze({ signal: NEVER, attempt, operation });
}

function isThenable<T>(x: T | PromiseLike<T>): x is PromiseLike<T> {
  return typeof (x as PromiseLike<T> | null)?.then === 'function';
}

/** Waits `ms` (through a timer, even for 0); ends early, without error, when the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve(); // the caller checks the signal and settles the run as cancelled
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve(); // the caller checks the signal and settles the run as cancelled
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
