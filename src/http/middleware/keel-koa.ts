import type { ServerResponse } from 'node:http';
import type { HttpTimingTarget } from '../timing/index.js';
import type { HttpMiddlewareOptions } from './middleware-options.js';
import { RequestRecorder } from './request-recorder.js';
import { ResponseTiming } from './response-timing.js';

/** What the Koa middleware reads of a context: the response, and @koa/router's matched route. */
export interface KoaRoutedContext {
  readonly res: ServerResponse;
  /** Set by @koa/router: the matched layer's path, its prefix included. */
  readonly _matchedRoute?: unknown;
}

/** A Koa middleware. */
export type KoaMiddleware = (
  ctx: KoaRoutedContext,
  next: () => Promise<unknown>,
) => Promise<unknown>;

/**
 * Koa middleware that times every request as the operation
 * `METHOD <route template>` (kind `http-server`; the template from
 * @koa/router's `ctx._matchedRoute`) until its response ends, a 5xx
 * counting as a failure, and counts it by status class in
 * `keel_http_requests_total`. Use it first; errors pass through to Koa.
 *
 * @throws TypeError or RangeError naming the first invalid argument or option
 * @example
 * const app = new Koa();
 * app.use(keelKoa(monitor));
 * app.use(router.routes()); // router.get('/customers/:id', …) is timed as "GET /customers/:id"
 */
export function keelKoa(
  monitor: HttpTimingTarget,
  options: HttpMiddlewareOptions = {},
): KoaMiddleware {
  const timing = new ResponseTiming<KoaRoutedContext>(
    new RequestRecorder(monitor, options),
    (_res, ctx) => ctx._matchedRoute,
  );
  return function keelKoaMiddleware(ctx, next) {
    timing.begin(ctx.res, ctx);
    return next();
  };
}
