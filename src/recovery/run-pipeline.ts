import { isBreakerOpenError, isBulkheadFullError, isTimeoutError } from '../core/index.js';
import { AttemptContext, plainContext, type RunContext } from './attempt-context.js';
import type { Admission } from './breaker.js';
import { classifyFailure, errorTypeOf, type FailureKind } from './classify.js';
import type { DeadlineWatcher } from './deadline.js';
import type { HandlerRegistry, RecoveryResult } from './handlers.js';
import type { RecoveryEvents } from './recovery-events.js';
import type { OpState, RecoveryStatistics } from './recovery-statistics.js';
import { backoffSchedule, type RunPolicy } from './run-policy.js';

/**
 * The runs of a `Recovery`: the work timed and counted, and, under a policy,
 * guarded in the order fallback → retry → breaker → bulkhead → timeout, with
 * the error's handler and the backoff delay between attempts.
 */
export class RunPipeline {
  readonly #watcher: DeadlineWatcher;
  readonly #handlers: HandlerRegistry;
  readonly #statistics: RecoveryStatistics;
  readonly #events: RecoveryEvents;

  constructor(
    watcher: DeadlineWatcher,
    handlers: HandlerRegistry,
    statistics: RecoveryStatistics,
    events: RecoveryEvents,
  ) {
    this.#watcher = watcher;
    this.#handlers = handlers;
    this.#statistics = statistics;
    this.#events = events;
  }

  /** A run without a policy: timing and counting only. */
  async plain<T>(s: OpState, fn: (context: RunContext) => T | Promise<T>): Promise<T> {
    const start = s.op.begin();
    s.runs++;
    try {
      const value = await fn(s.context);
      s.succeeded++;
      s.op.finish(start, true);
      return value;
    } catch (error) {
      const kind = classifyFailure(error);
      if (kind === 'transient' || kind === 'permanent') this.#statistics.noteError(error, s, kind);
      this.#settleFailure(s, start, error, kind, 1, undefined);
      throw error;
    }
  }

  /** A run under a policy. */
  async guarded<T>(
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
        else lastType = this.#statistics.noteError(error, s, kind);
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
          this.#events.emitGaveUp(s.name, lastType, attempt, kind, error, p.data, true);
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
      this.#statistics.typeState(errorTypeOf(error)).recoveryAttempts += outcome.attempts;
    }
    await sleep(delayMs, p.signal);
    return outcome;
  }

  #noteRecovered(s: OpState, attempts: number, ms: number, type: string): void {
    this.#statistics.noteRecovered(s, attempts, ms, type);
    this.#events.emitRecovered(s.name, type, attempts, ms);
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
    if (type !== undefined) this.#statistics.typeState(type).gaveUp++;
    this.#events.emitGaveUp(
      s.name,
      type ?? errorTypeOf(error),
      attempts,
      kind,
      error,
      p?.data,
      false,
    );
  }
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
