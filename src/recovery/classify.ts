/**
 * What a failure means for recovery:
 * - `transient`: may pass by itself; retried, counts against the breaker;
 * - `permanent`: will not; not retried, counts against the breaker;
 * - `ignored`: an expected outcome (e.g. "not found"); passed on as it is,
 *   neither retried nor counted as a failure;
 * - `cancelled`: the caller gave up; never retried, never counted as a failure.
 */
export type FailureKind = 'transient' | 'permanent' | 'ignored' | 'cancelled';

/** Decides what a failure means; `undefined` leaves it to Keel's default. */
export type Classifier = (error: unknown) => FailureKind | undefined;

/** Error codes of failures that usually pass by themselves. */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EBUSY',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'KEEL_TIMEOUT',
  'KEEL_BREAKER_OPEN',
  'KEEL_BULKHEAD_FULL',
]);

/** Programming errors: retrying the same call cannot help. */
const PERMANENT_NAMES = new Set(['TypeError', 'RangeError', 'SyntaxError', 'ReferenceError']);

/**
 * Keel's default classification, first match wins:
 * 1. an `AbortError` (or code `ABORT_ERR`) → `cancelled`;
 * 2. `error.transient === true` / `false` → `transient` / `permanent`;
 * 3. a code in {@link TRANSIENT_ERROR_CODES} (network, busy, Keel's timeout,
 *    open breaker, full bulkhead) → `transient`;
 * 4. an HTTP `status`/`statusCode`: 408, 425, 429 and 5xx except 501 and 505
 *    → `transient`, any other 4xx/5xx → `permanent`;
 * 5. TypeError, RangeError, SyntaxError, ReferenceError → `permanent`;
 * 6. anything else → `transient`.
 */
export function classifyFailure(error: unknown): FailureKind {
  if (typeof error !== 'object' || error === null) return 'transient';
  const e = error as {
    name?: unknown;
    code?: unknown;
    transient?: unknown;
    status?: unknown;
    statusCode?: unknown;
  };
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return 'cancelled';
  if (e.transient === true) return 'transient';
  if (e.transient === false) return 'permanent';
  if (typeof e.code === 'string' && TRANSIENT_ERROR_CODES.has(e.code)) return 'transient';
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 600) {
    if (status === 408 || status === 425 || status === 429) return 'transient';
    return status >= 500 && status !== 501 && status !== 505 ? 'transient' : 'permanent';
  }
  if (typeof e.name === 'string' && PERMANENT_NAMES.has(e.name)) return 'permanent';
  return 'transient';
}

/**
 * The error type recovery files a failure under: the error's `type`, else its
 * `code`, else its `name` (`'Error'` for anything that is not an object).
 */
export function errorTypeOf(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error !== 'object' || error === null) return 'Error';
  const e = error as { type?: unknown; code?: unknown; name?: unknown };
  if (typeof e.type === 'string' && e.type.length > 0) return e.type;
  if (typeof e.code === 'string' && e.code.length > 0) return e.code;
  if (typeof e.name === 'string' && e.name.length > 0) return e.name;
  return 'Error';
}

export { safeMessage } from '../core/index.js';
