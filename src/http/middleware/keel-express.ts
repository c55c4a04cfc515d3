import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpTimingTarget } from '../timing/index.js';
import { type ExpressRoutedRequest, ExpressRoutes } from './express-routes.js';
import { checkRouteOption, type HttpMiddlewareOptions } from './middleware-options.js';
import { RequestRecorder } from './request-recorder.js';
import { ResponseTiming } from './response-timing.js';

/** Options of {@link keelExpress}. */
export interface KeelExpressOptions extends HttpMiddlewareOptions {
  /**
   * The route template of a request, read when its response ends; return
   * `undefined` for `<unmatched>`. Never return the raw URL.
   * @defaultValue `req.baseUrl` (value-like segments as `:param`) + `req.route.path`
   */
  route?: (req: IncomingMessage) => string | undefined;
}

/** An Express (4 or 5) or Connect middleware. */
export type ExpressMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Express middleware that times every request as the operation
 * `METHOD <route template>` (kind `http-server`) until its response ends, a
 * 5xx counting as a failure, and counts it by status class in
 * `keel_http_requests_total`. Mount it first. Errors are left to Express's
 * error handling; the status it sends is what is recorded.
 *
 * @throws TypeError or RangeError naming the first invalid argument or option
 * @example
 * const app = express();
 * app.use(keelExpress(monitor));
 * app.get('/customers/:id', getCustomer); // timed as "GET /customers/:id"
 */
export function keelExpress(
  monitor: HttpTimingTarget,
  options: KeelExpressOptions = {},
): ExpressMiddleware {
  const route = checkRouteOption<(req: IncomingMessage) => unknown>(options?.route, false);
  const recorder = new RequestRecorder(monitor, options);
  const routes = new ExpressRoutes(recorder.config.maxRoutes);
  const routeOf = route ?? ((req: IncomingMessage) => routes.of(req as ExpressRoutedRequest));
  const timing = new ResponseTiming(recorder, (res) => routeOf(res.req));
  return function keelExpressMiddleware(_req, res, next) {
    timing.begin(res);
    next();
  };
}
