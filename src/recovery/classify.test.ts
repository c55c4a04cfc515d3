import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../core/index.js';
import { classifyFailure, errorTypeOf, safeMessage } from './classify.js';
import { backoffSchedule } from './run-policy.js';

const err = (props: Record<string, unknown>, name = 'Error') =>
  Object.assign(Object.assign(new Error('x'), { name }), props);

describe('classifyFailure', () => {
  it.each([
    [err({}, 'AbortError'), 'cancelled'],
    [err({ code: 'ABORT_ERR' }), 'cancelled'],
    [err({ transient: false, code: 'ECONNRESET' }), 'permanent'],
    [err({ code: 'ECONNRESET' }), 'transient'],
    [new TimeoutError('x', 10), 'transient'],
    [err({ status: 503 }), 'transient'],
    [err({ statusCode: 429 }), 'transient'],
    [err({ status: 404 }), 'permanent'],
    [err({ status: 501 }), 'permanent'],
    [new TypeError('bad'), 'permanent'],
    [new Error('who knows'), 'transient'],
    ['a string', 'transient'],
  ])('%o is %s', (error, kind) => {
    expect(classifyFailure(error)).toBe(kind);
  });
});

describe('errorTypeOf', () => {
  it('takes type, then code, then name', () => {
    expect(errorTypeOf(err({ type: 'database_error', code: 'E1' }))).toBe('database_error');
    expect(errorTypeOf(err({ code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorTypeOf(new RangeError('r'))).toBe('RangeError');
    expect(errorTypeOf('payment_error')).toBe('payment_error');
    expect(errorTypeOf(42)).toBe('Error');
  });
});

describe('safeMessage', () => {
  it('keeps the first line only, masks credentials, truncates to 200', () => {
    const e = new Error(
      'connect failed password=hunter2 token: abc123 Bearer eyJhbGciOi.x.y to postgres://app:s3cret@db:5432\n    at secret stack',
    );
    const m = safeMessage(e);
    expect(m).not.toMatch(/hunter2|abc123|eyJhbGciOi|s3cret|stack/);
    expect(m).toContain('password=[redacted]');
    expect(m).toContain('postgres://[redacted]@db:5432');
    expect(safeMessage(new Error('x'.repeat(500)))).toHaveLength(200);
    const json = safeMessage(
      new Error('bad body {"password":"hunter2","apiKey":"sk-123","user":"ada"}'),
    );
    expect(json).not.toMatch(/hunter2|sk-123/);
    expect(json).toContain('"user":"ada"');
    expect(safeMessage(new Error("login failed for password 'hunter2'"))).not.toContain('hunter2');
    expect(safeMessage(new Error('token expired'))).toBe('token expired');
  });
});

describe('backoffSchedule (property)', () => {
  it('every delay is finite and within [0, maxDelayMs]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 1, max: 40 }),
        (initialDelayMs, maxDelayMs, n) => {
          const next = backoffSchedule({ initialDelayMs, maxDelayMs });
          for (let i = 0; i < n; i++) {
            const d = next();
            expect(Number.isFinite(d)).toBe(true);
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(maxDelayMs);
          }
        },
      ),
    );
  });

  it('grows roughly exponentially and is jittered', () => {
    const runs = Array.from({ length: 200 }, () => {
      const next = backoffSchedule({ initialDelayMs: 100, maxDelayMs: 1e9 });
      return Array.from({ length: 6 }, () => next());
    });
    const mean = (i: number) => runs.reduce((s, r) => s + r[i]!, 0) / runs.length;
    expect(mean(5)).toBeGreaterThan(4 * mean(1));
    expect(new Set(runs.map((r) => Math.round(r[0]!))).size).toBeGreaterThan(50);
  });
});
