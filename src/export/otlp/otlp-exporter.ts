import { checkNumber, describe, Emitter, safeMessage } from '../../core/index.js';
import type { OtelSources } from './otel-sources.js';
import { OtlpEncoder, type OtlpResourceOptions } from './otlp-encoder.js';
import { checkHeaders, postOtlp, requestHeaders } from './otlp-request.js';
import {
  type OtlpRetryConfig,
  type OtlpRetryOptions,
  RETRYABLE_STATUSES,
  resolveRetry,
  retryDelayMs,
} from './otlp-retry.js';

/** Options of an {@link OtlpExporter}. */
export interface OtlpExporterOptions extends OtlpResourceOptions {
  /** The collector's OTLP/HTTP metrics endpoint. @defaultValue 'http://127.0.0.1:4318/v1/metrics' */
  url?: string;
  /** Extra request headers (an API key, a tenant); Keel's own headers win over them. */
  headers?: Readonly<Record<string, string>>;
  /** Time between scheduled exports. @defaultValue 60000 (OpenTelemetry's default) */
  intervalMs?: number;
  /** Longest a request may take, at most `intervalMs`. @defaultValue 10000, or `intervalMs` when shorter */
  timeoutMs?: number;
  /** Retries on 429, 502, 503, 504 and unreachable collectors. */
  retry?: OtlpRetryOptions;
  /**
   * Bucket bounds of `keel.operation_duration` in ms; every target is added.
   * @defaultValue 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
   */
  bucketsMs?: readonly number[];
  /** Wall clock, Unix ms, for the points' timestamps and the stats. @defaultValue Date */
  wallClock?: { now(): number };
}

/** Resolved {@link OtlpExporterOptions} (without the resource and buckets, which the encoder keeps). */
export interface OtlpExporterConfig {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly retry: OtlpRetryConfig;
}

/** Why an export failed. */
export interface OtlpExportError {
  /**
   * `http`: the collector answered with an error status; `network`: it could
   * not be reached; `timeout`: no answer within the time left; `aborted`:
   * the caller's signal or close(); `encode`: Keel could not read or encode
   * its figures.
   */
  kind: 'http' | 'network' | 'timeout' | 'aborted' | 'encode';
  /** The HTTP status, for `http`. */
  status?: number;
  /** What happened, safe to log (first line, credentials masked). */
  message: string;
  /** Requests made. */
  attempts: number;
  /** False when sending the same request again cannot help (a 4xx other than 429). */
  retryable: boolean;
  /** When the export gave up, ISO 8601. */
  at: string;
}

/** The outcome of one export: a value, never a throw. */
export type OtlpExportResult =
  | { ok: true; attempts: number; rejectedDataPoints: number }
  | { ok: false; error: OtlpExportError };

/** A request the collector could not take now, to be sent again. */
export interface OtlpRetryScheduledEvent {
  /** The request that failed (1 for the first). */
  attempt: number;
  /** Wait before the next one. */
  delayMs: number;
  /** Why, safe to log. */
  message: string;
}

/** What an {@link OtlpExporter} did since it was made. */
export interface OtlpExporterStats {
  /** Exports begun (each one request plus its retries). */
  exports: number;
  successes: number;
  failures: number;
  consecutiveFailures: number;
  /** Requests sent again after a retryable answer. */
  retries: number;
  /** Scheduled exports left out because the previous one still ran. */
  skipped: number;
  /** Points the collector accepted the request but dropped (partial success). */
  rejectedDataPoints: number;
  lastError: OtlpExportError | null;
  /** ISO 8601. */
  lastSuccessAt: string | null;
  lastDurationMs: number | null;
  /** True between start() and close(). */
  scheduled: boolean;
}

/** Share of the interval a scheduled export (retries included) may take: it never meets the next. */
const BUDGET_SHARE = 0.9;

/**
 * Pushes Keel's metrics to an OpenTelemetry collector over OTLP/HTTP with
 * the JSON encoding, every `intervalMs` once started, retrying what the
 * OTLP specification calls retryable within the interval; failures are
 * counted and emitted, never thrown.
 *
 * @throws RangeError or TypeError naming an invalid option
 * @example
 * const otlp = new OtlpExporter(exportSourcesOf(monitor), { serviceName: 'billing' });
 * otlp.onExportFailed((e) => console.warn('metrics export failed:', e.message));
 * otlp.start();
 * // at shutdown: a last export, bounded by timeoutMs
 * await otlp.close();
 */
export class OtlpExporter {
  readonly config: OtlpExporterConfig;
  readonly #sources: OtelSources;
  readonly #encoder: OtlpEncoder;
  readonly #wallClock: { now(): number };
  readonly #failed = new Emitter<OtlpExportError>();
  readonly #retrying = new Emitter<OtlpRetryScheduledEvent>();
  readonly #stats: Omit<OtlpExporterStats, 'scheduled'> = {
    exports: 0,
    successes: 0,
    failures: 0,
    consecutiveFailures: 0,
    retries: 0,
    skipped: 0,
    rejectedDataPoints: 0,
    lastError: null,
    lastSuccessAt: null,
    lastDurationMs: null,
  };
  #timer: NodeJS.Timeout | undefined;
  #running: { done: Promise<OtlpExportResult>; abort: AbortController } | undefined;
  #closing: Promise<void> | undefined;

  /** Fires after each export that failed for good (after its retries). */
  readonly onExportFailed = this.#failed.on;
  /** Fires when a request is to be sent again, before the wait. */
  readonly onRetryScheduled = this.#retrying.on;

  constructor(sources: OtelSources, options: OtlpExporterOptions = {}) {
    this.#sources = sources;
    this.#encoder = new OtlpEncoder(options);
    this.#wallClock = options.wallClock ?? Date;
    const url = options.url ?? 'http://127.0.0.1:4318/v1/metrics';
    if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new TypeError(`url must be an http or https URL, got ${describe(url)}`);
    }
    const intervalMs = checkNumber(options.intervalMs ?? 60_000, 'intervalMs', 100, 2 ** 31 - 1);
    const timeoutMs = options.timeoutMs ?? Math.min(10_000, intervalMs);
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 1 && timeoutMs <= intervalMs)) {
      throw new RangeError(
        `timeoutMs must be a number between 1 and intervalMs (${intervalMs}), got ${describe(timeoutMs)}`,
      );
    }
    this.config = Object.freeze({
      url,
      headers: Object.freeze(checkHeaders(options.headers ?? {})),
      intervalMs,
      timeoutMs,
      retry: resolveRetry(options.retry),
    });
  }

  /** What it did so far. */
  get stats(): OtlpExporterStats {
    return { ...this.#stats, scheduled: this.#timer !== undefined };
  }

  /**
   * Exports every `intervalMs` (on an unref'd timer) until {@link close}.
   * Idempotent.
   * @throws Error when the exporter is closed
   */
  start(): void {
    if (this.#closing !== undefined) {
      throw new Error('this OtlpExporter is closed: create a new one to export again');
    }
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.config.intervalMs);
    this.#timer.unref();
  }

  /**
   * Exports now, after any export still running; retries within
   * `intervalMs`. Never throws: a failure is the result (and counted, and emitted).
   */
  async exportNow(options: { signal?: AbortSignal } = {}): Promise<OtlpExportResult> {
    while (this.#running !== undefined) await this.#running.done;
    return this.#run(this.config.intervalMs * BUDGET_SHARE, options.signal);
  }

  /**
   * Stops the schedule, ends an export that is waiting to retry, and (when
   * it was started) exports a last time within `timeoutMs`. Idempotent;
   * never throws.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    const started = this.#timer !== undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    // What runs (or waits to retry) has older figures than a last export would: end it.
    while (this.#running !== undefined) {
      const running = this.#running;
      running.abort.abort(new Error('the exporter was closed'));
      await running.done;
    }
    if (started) await this.#run(this.config.timeoutMs);
  }

  #tick(): void {
    if (this.#running !== undefined) {
      this.#stats.skipped++;
      return;
    }
    void this.#run(this.config.intervalMs * BUDGET_SHARE);
  }

  /** One export within `budgetMs`; sets and clears `#running`. */
  #run(budgetMs: number, signal?: AbortSignal): Promise<OtlpExportResult> {
    const abort = new AbortController();
    const done = this.#export(
      budgetMs,
      signal ? AbortSignal.any([signal, abort.signal]) : abort.signal,
    )
      .catch((e: unknown) =>
        this.#failure('encode', `the export failed: ${safeMessage(e)}`, 0, true),
      )
      .then((result) => {
        // Idle before it is told: a listener may export again at once.
        this.#running = undefined;
        return this.#record(result);
      });
    this.#running = { done, abort };
    return done;
  }

  async #export(budgetMs: number, signal: AbortSignal): Promise<OtlpExportResult> {
    const startedAt = performance.now();
    const deadline = startedAt + budgetMs;
    this.#stats.exports++;
    let body: string;
    try {
      body = JSON.stringify(this.#encoder.encode(this.#sources, this.#wallClock.now()));
    } catch (e) {
      return this.#failure('encode', `could not read Keel's metrics: ${safeMessage(e)}`, 0, true);
    } finally {
      this.#stats.lastDurationMs = performance.now() - startedAt;
    }
    const headers = requestHeaders(this.config.headers);
    for (let attempt = 1; ; attempt++) {
      const left = deadline - performance.now();
      const timeout = AbortSignal.timeout(
        Math.max(1, Math.ceil(Math.min(this.config.timeoutMs, left))),
      );
      const outcome = await postOtlp(
        this.config.url,
        body,
        headers,
        AbortSignal.any([signal, timeout]),
        () => this.#wallClock.now(),
      );
      this.#stats.lastDurationMs = performance.now() - startedAt;
      if (outcome.ok) return { ok: true, attempts: attempt, rejectedDataPoints: outcome.rejected };
      if (signal.aborted) {
        return this.#failure('aborted', safeMessage(signal.reason), attempt, true);
      }
      if (timeout.aborted) {
        return this.#failure(
          'timeout',
          `the collector at ${this.config.url} did not answer within ${Math.round(Math.min(this.config.timeoutMs, left))} ms`,
          attempt,
          true,
        );
      }
      const retryable = outcome.status === undefined || RETRYABLE_STATUSES.has(outcome.status);
      const kind = outcome.status === undefined ? 'network' : 'http';
      const delay = retryDelayMs(attempt, this.config.retry, outcome.retryAfterMs);
      // A retry must end before the budget does: it never meets the next scheduled export.
      if (
        !retryable ||
        attempt >= this.config.retry.maxAttempts ||
        performance.now() + delay >= deadline
      ) {
        return this.#failure(kind, outcome.message, attempt, retryable, outcome.status);
      }
      if (this.#retrying.hasListeners) {
        this.#retrying.emit({ attempt, delayMs: delay, message: outcome.message });
      }
      if (!(await wait(delay, signal))) {
        return this.#failure('aborted', safeMessage(signal.reason), attempt, true);
      }
      this.#stats.retries++;
    }
  }

  #failure(
    kind: OtlpExportError['kind'],
    message: string,
    attempts: number,
    retryable: boolean,
    status?: number,
  ): OtlpExportResult {
    const at = new Date(this.#wallClock.now()).toISOString();
    const error: OtlpExportError = {
      kind,
      ...(status === undefined ? {} : { status }),
      message,
      attempts,
      retryable,
      at,
    };
    return { ok: false, error };
  }

  #record(result: OtlpExportResult): OtlpExportResult {
    const s = this.#stats;
    if (result.ok) {
      s.successes++;
      s.consecutiveFailures = 0;
      s.rejectedDataPoints += result.rejectedDataPoints;
      s.lastSuccessAt = new Date(this.#wallClock.now()).toISOString();
    } else {
      s.failures++;
      s.consecutiveFailures++;
      s.lastError = result.error;
      this.#failed.emit(result.error);
    }
    return result;
  }
}

/** Waits `ms` on an unref'd timer; false when `signal` aborted first. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (waited: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(waited);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
