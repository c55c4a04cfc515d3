import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import { checkDurationMs, describe } from '../core/index.js';
import type { BreakerOptions } from './breaker.js';
import type { BulkheadOptions } from './bulkhead.js';
import type { Classifier } from './classify.js';

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

/** Throws TypeError or RangeError naming the field of `p` that is invalid. */
export function checkPolicy<T>(p: RunPolicy<T>): void {
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
