import { checkNumber, describe } from '../../core/index.js';

/** How an {@link OtlpExporter} retries a request the collector could not take now. */
export interface OtlpRetryOptions {
  /** Requests per export, the first included; 1 turns retries off. @defaultValue 5 */
  maxAttempts?: number;
  /** Backoff before the first retry; it doubles each time, with jitter. @defaultValue 1000 */
  initialDelayMs?: number;
  /** Longest backoff, and longest `Retry-After` honoured. @defaultValue 30000 */
  maxDelayMs?: number;
}

/** Resolved {@link OtlpRetryOptions}. */
export type OtlpRetryConfig = Readonly<Required<OtlpRetryOptions>>;

/** Statuses after which the OTLP specification lets a client send the same request again. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** @throws RangeError naming the invalid field */
export function resolveRetry(options: OtlpRetryOptions = {}): OtlpRetryConfig {
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) {
    throw new RangeError(
      `retry.maxAttempts must be an integer between 1 and 20, got ${describe(maxAttempts)}`,
    );
  }
  const initialDelayMs = checkNumber(options.initialDelayMs ?? 1_000, 'retry.initialDelayMs', 0);
  const maxDelayMs = checkNumber(options.maxDelayMs ?? 30_000, 'retry.maxDelayMs', initialDelayMs);
  return Object.freeze({ maxAttempts, initialDelayMs, maxDelayMs });
}

/**
 * The wait before retry `retry` (1 for the first): the collector's
 * `Retry-After` when it gave one, else exponential backoff with equal
 * jitter (half fixed, half random); at most `maxDelayMs` either way.
 */
export function retryDelayMs(
  retry: number,
  config: OtlpRetryConfig,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, config.maxDelayMs);
  const full = Math.min(config.initialDelayMs * 2 ** (retry - 1), config.maxDelayMs);
  return full / 2 + (random() * full) / 2;
}

/** A `Retry-After` header (seconds, or an HTTP date) in ms from `nowUnixMs`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowUnixMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowUnixMs);
}
