import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpTimingTarget } from '../timing/index.js';
import { checkRouteOption, type HttpMiddlewareOptions } from './middleware-options.js';
import { RequestRecorder } from './request-recorder.js';
import { ResponseTiming } from './response-timing.js';

/** Options of {@link keelNodeHttp} and {@link keelNodeHandler}. */
export interface KeelNodeHttpOptions extends HttpMiddlewareOptions {
  /**
   * The route template of a request (`"/customers/:id"`), read when its
   * response ends, e.g. from your router; `undefined` for `<unmatched>`.
   * Never return the raw URL: every distinct name is an operation.
   */
  route: (req: IncomingMessage) => string | undefined;
}

/** A `node:http` (or Connect-style) middleware: call it first; `next`, when given, is called. */
export type NodeHttpMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** A plain `node:http` request handler. */
export type NodeHttpHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

function responseTiming(monitor: HttpTimingTarget, options: KeelNodeHttpOptions): ResponseTiming {
  const route = checkRouteOption<(req: IncomingMessage) => unknown>(options?.route, true)!;
  return new ResponseTiming(new RequestRecorder(monitor, options), (res) => route(res.req));
}

/**
 * Times each `node:http` request it is called with as the operation
 * `METHOD <route template>` (kind `http-server`) until its response ends, a
 * 5xx counting as a failure, and counts it by status class in
 * `keel_http_requests_total`.
 *
 * @throws TypeError or RangeError naming the first invalid argument or option
 * @example
 * const time = keelNodeHttp(monitor, { route: (req) => router.find(req)?.template });
 * http.createServer((req, res) => { time(req, res); handle(req, res); });
 */
export function keelNodeHttp(
  monitor: HttpTimingTarget,
  options: KeelNodeHttpOptions,
): NodeHttpMiddleware {
  const timing = responseTiming(monitor, options);
  return function keelNodeHttpMiddleware(_req, res, next) {
    timing.begin(res);
    if (next !== undefined) next();
  };
}

/**
 * Wraps a plain `node:http` handler with {@link keelNodeHttp}'s timing; a
 * handler that throws (or rejects) is recorded as a failure whatever the
 * status, and its error is passed on unchanged.
 *
 * @throws TypeError or RangeError naming the first invalid argument or option
 * @example
 * http.createServer(keelNodeHandler(monitor, handle, { route: (req) => templateOf(req) }));
 */
export function keelNodeHandler(
  monitor: HttpTimingTarget,
  handler: NodeHttpHandler,
  options: KeelNodeHttpOptions,
): NodeHttpHandler {
  if (typeof handler !== 'function') throw new TypeError('handler must be a function');
  const timing = responseTiming(monitor, options);
  return function keelNodeHandlerWrapper(req, res) {
    timing.begin(res);
    let result: unknown;
    try {
      result = handler(req, res);
    } catch (error) {
      timing.threw(res);
      throw error;
    }
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        timing.threw(res);
        throw error;
      });
    }
    return result;
  };
}
