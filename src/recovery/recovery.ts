import { type Clock, describe, systemClock } from '../core/index.js';
import type { OperationRegistry } from '../metrics/index.js';
import type { RunContext } from './attempt-context.js';
import { type BreakerSnapshot, CircuitBreaker } from './breaker.js';
import { Bulkhead } from './bulkhead.js';
import { classifyFailure, type FailureKind } from './classify.js';
import { DeadlineWatcher } from './deadline.js';
import {
  checkRecoverContext,
  type ErrorHandler,
  type ErrorMatch,
  type HandlerOptions,
  HandlerRegistry,
  type RecoverContext,
  type RecoveryResult,
} from './handlers.js';
import { RecoveryEvents } from './recovery-events.js';
import {
  type OpState,
  opState,
  RecoveryStatistics,
  type RecoveryStats,
  type TypeState,
} from './recovery-statistics.js';
import { RunPipeline } from './run-pipeline.js';
import { checkPolicy, type RunPolicy } from './run-policy.js';

/** Options of {@link Recovery}. */
export interface RecoveryOptions {
  /** Breaker states saved by `breakerStates()` before a restart, by operation. */
  breakerStates?: Record<string, BreakerSnapshot>;
  /** Wall clock for breakers (persisted times) and report times. @defaultValue Date.now */
  now?: () => number;
  /** Error types kept apart before they share `_other`. @defaultValue 200 */
  maxErrorTypes?: number;
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
  readonly #checked = new WeakSet<object>();
  readonly #watcher: DeadlineWatcher;
  readonly #now: () => number;
  readonly #savedBreakers: Record<string, BreakerSnapshot>;
  readonly #statistics: RecoveryStatistics;
  readonly #events = new RecoveryEvents(this.#handlers);
  readonly #pipeline: RunPipeline;
  #recoverFromErrorCalls = 0;

  /** Fires when a run succeeds after failed attempts, or a handler recovers. */
  readonly onRecovered = this.#events.recovered.on;
  /** Fires when a run fails for good, or a handler cannot recover. */
  readonly onGaveUp = this.#events.gaveUp.on;
  /** Fires when a breaker opens (from closed or half-open) or is isolated. */
  readonly onBreakerOpened = this.#events.breakerOpened.on;

  constructor(
    operations: OperationRegistry,
    clock: Clock = systemClock,
    options: RecoveryOptions = {},
  ) {
    this.#operations = operations;
    this.#watcher = new DeadlineWatcher(clock);
    this.#now = options.now ?? Date.now;
    this.#savedBreakers = options.breakerStates ?? {};
    this.#statistics = new RecoveryStatistics(this.#now, options.maxErrorTypes ?? 200);
    this.#pipeline = new RunPipeline(this.#watcher, this.#handlers, this.#statistics, this.#events);
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
    if (policy === undefined) return this.#pipeline.plain(s, fn);
    return this.#pipeline.guarded(s, fn, policy);
  }

  // ---- what recoverFromError counts and tells ---------------------------------

  #noteError(error: unknown, operation: string | null, kind: FailureKind): string {
    return this.#statistics.noteError(error, operation, kind);
  }

  #typeState(type: string): TypeState {
    return this.#statistics.typeState(type);
  }

  /** Counts a recovery under its error type and tells the listeners. */
  #typeRecovered(operation: string | null, type: string, attempts: number, ms: number): void {
    this.#statistics.typeRecovered(type, attempts, ms);
    this.#events.emitRecovered(operation, type, attempts, ms);
  }

  #emitGaveUp(...event: Parameters<RecoveryEvents['emitGaveUp']>): void {
    this.#events.emitGaveUp(...event);
  }

  // ---- operations -------------------------------------------------------------

  /** The state of an operation, with the breaker and bulkhead its policy asks for. */
  #state<T>(operation: string, policy: RunPolicy<T> | undefined): OpState {
    const op = this.#operations.operation(
      operation,
      policy?.kind === undefined ? undefined : { kind: policy.kind },
    );
    const name = op.name;
    let s = this.#ops.get(name);
    if (s === undefined) {
      s = opState(name, op);
    }
    if (policy?.breaker !== undefined && policy.breaker !== false && s.breaker === undefined) {
      const options = policy.breaker === true ? {} : policy.breaker;
      const saved = this.#savedBreakers[name];
      s.breaker = new CircuitBreaker(
        name,
        saved === undefined || options.initialState !== undefined
          ? options
          : { ...options, initialState: saved },
        { now: this.#now, onChange: (t) => this.#events.breakerChanged(t) },
      );
    }
    if (policy?.bulkhead !== undefined && s.bulkhead === undefined) {
      s.bulkhead = new Bulkhead(name, policy.bulkhead);
    }
    this.#ops.set(operation, s);
    this.#ops.set(name, s);
    return s;
  }

  // ---- reading ----------------------------------------------------------------

  /** The circuit breaker of an operation, once a run made one. */
  breaker(operation: string): CircuitBreaker | undefined {
    return this.#ops.get(operation)?.breaker;
  }

  /** Every breaker's state, to save and pass back as `breakerStates` after a restart. */
  breakerStates(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const s of this.#states()) {
      if (s.breaker !== undefined) out[s.name] = s.breaker.toJSON();
    }
    return out;
  }

  /** Timeouts being watched now (0 when no guarded call runs). */
  get pendingTimeouts(): number {
    return this.#watcher.size;
  }

  stats(): RecoveryStats {
    return this.#statistics.stats(this.#states(), this.#handlers.names);
  }

  /** Calls of recoverFromError so far. */
  get recoverFromErrorCalls(): number {
    return this.#recoverFromErrorCalls;
  }

  /** Each operation's state once (the map also holds it under the name it was run by). */
  #states(): Set<OpState> {
    return new Set(this.#ops.values());
  }
}

/** True when the policy asks for a breaker or bulkhead the operation does not have yet. */
function needsParts<T>(s: OpState, policy: RunPolicy<T>): boolean {
  return (
    (policy.breaker !== undefined && policy.breaker !== false && s.breaker === undefined) ||
    (policy.bulkhead !== undefined && s.bulkhead === undefined)
  );
}
