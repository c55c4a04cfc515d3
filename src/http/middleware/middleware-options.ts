import { checkName, describe } from '../../core/index.js';
import { checkListener } from '../timing/index.js';

/** Kind of the operations the middleware records: requests served, apart from the `http` calls they make. */
export const HTTP_SERVER_KIND = 'http-server';
/** Name of the counter of requests by method, route template and status class. */
export const REQUEST_COUNTER = 'keel_http_requests_total';
/** Route of every request no route matched (404s, static files, middleware that answered). */
export const UNMATCHED_ROUTE = '<unmatched>';
/** Route of every template past `maxRoutes`. */
export const OVERFLOW_ROUTE = '<overflow>';

/** Options every Keel HTTP middleware takes. */
export interface HttpMiddlewareOptions {
  /**
   * Kind of every request operation: a request served contains the time of
   * the `db` and `http` operations it waits on, so it is kept apart from them.
   * @defaultValue 'http-server'
   */
  kind?: string;
  /**
   * Counter of requests by `method`, `route` and `status_class` in the
   * monitor's custom metrics; `false` for none.
   * @defaultValue 'keel_http_requests_total'
   */
  requestCounter?: string | false;
  /**
   * Most (method, route template) pairs timed apart; requests of later
   * templates share `METHOD <overflow>`. Bounds memory if a route function
   * ever returns raw paths.
   * @defaultValue 500
   */
  maxRoutes?: number;
  /**
   * Called with any error thrown by Keel's own timing code (a failing clock,
   * a rejected name, a throwing `route` function); the request is never
   * affected, and a throwing listener is ignored.
   * @defaultValue one process warning (code `KEEL_HTTP_TIMING_FAILED`) at the first failure
   */
  onInternalError?: (error: unknown) => void;
}

/** Resolved {@link HttpMiddlewareOptions}. */
export interface HttpMiddlewareConfig {
  readonly kind: string;
  readonly requestCounter: string | false;
  readonly maxRoutes: number;
  readonly onInternalError: ((error: unknown) => void) | undefined;
}

/**
 * Validates middleware options and resolves their defaults.
 * @throws TypeError or RangeError naming the first invalid field
 */
export function resolveMiddlewareOptions(options: unknown): HttpMiddlewareConfig {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const o = options as HttpMiddlewareOptions;
  const kind = checkName(o.kind ?? HTTP_SERVER_KIND, 'kind');
  const requestCounter = o.requestCounter ?? REQUEST_COUNTER;
  if (requestCounter !== false && typeof requestCounter !== 'string') {
    throw new TypeError(
      `requestCounter must be a metric name or false, got ${describe(requestCounter)}`,
    );
  }
  const maxRoutes = o.maxRoutes ?? 500;
  if (!Number.isSafeInteger(maxRoutes) || maxRoutes < 1) {
    throw new RangeError(`maxRoutes must be a positive integer, got ${describe(maxRoutes)}`);
  }
  const onInternalError = checkListener(o.onInternalError);
  return Object.freeze({ kind, requestCounter, maxRoutes, onInternalError });
}

/**
 * Checks a `route` option: a function from the request to its template.
 * @throws TypeError when it is given (or required) and not a function
 */
export function checkRouteOption<F>(value: unknown, required: boolean): F | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'function') {
    throw new TypeError(
      `route must be a function returning the request's route template (e.g. "/customers/:id"), got ${describe(value)}`,
    );
  }
  return value as F;
}
