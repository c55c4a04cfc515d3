import { describe, expect, it } from 'vitest';
import { parseRetryAfter, RETRYABLE_STATUSES, resolveRetry, retryDelayMs } from './otlp-retry.js';

describe('OTLP retry rules', () => {
  it('retries only what the OTLP specification calls retryable', () => {
    expect([...RETRYABLE_STATUSES].sort()).toEqual([429, 502, 503, 504]);
    for (const status of [400, 401, 403, 404, 413, 500]) {
      expect(RETRYABLE_STATUSES.has(status)).toBe(false);
    }
  });

  it.each([
    // retry, random, expected ms (initial 100, max 1000): half fixed, half jitter
    [1, 0, 50],
    [1, 1, 100],
    [2, 0.5, 150],
    [3, 1, 400],
    [5, 1, 1000],
    [9, 0, 500],
  ])('backs off exponentially with equal jitter: retry %d, random %d → %d ms', (n, r, ms) => {
    const config = resolveRetry({ initialDelayMs: 100, maxDelayMs: 1_000 });
    expect(retryDelayMs(n, config, undefined, () => r)).toBe(ms);
  });

  it('takes Retry-After over the backoff, up to maxDelayMs', () => {
    const config = resolveRetry({ initialDelayMs: 100, maxDelayMs: 1_000 });
    expect(retryDelayMs(1, config, 300)).toBe(300);
    expect(retryDelayMs(1, config, 60_000)).toBe(1_000);
  });

  it.each([
    [null, undefined],
    ['', undefined],
    ['3', 3_000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Thu, 01 Jan 2025 00:00:00 GMT', 0],
    ['soon', undefined],
  ])('reads Retry-After %j as %j ms', (header, ms) => {
    expect(parseRetryAfter(header, Date.UTC(2026, 0, 1))).toBe(ms);
  });

  it.each([
    [{ maxAttempts: 0 }, /retry.maxAttempts must be an integer between 1 and 20/],
    [{ maxAttempts: 1.5 }, /retry.maxAttempts/],
    [{ initialDelayMs: -1 }, /retry.initialDelayMs/],
    [{ initialDelayMs: 10, maxDelayMs: 5 }, /retry.maxDelayMs must be a number >= 10/],
  ])('rejects %j', (options, message) => {
    expect(() => resolveRetry(options)).toThrow(message);
  });
});
