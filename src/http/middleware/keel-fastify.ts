import type { HttpTimingTarget } from '../timing/index.js';
import type { HttpMiddlewareOptions } from './middleware-options.js';
import { RequestRecorder } from './request-recorder.js';

/** What the Fastify plugin reads of a request. */
export interface FastifyRoutedRequest {
  readonly method: string;
  /** True when no route matched. */
  readonly is404?: boolean;
  /** The matched route's options; `url` is its template, prefix included. */
  readonly routeOptions?: { readonly url?: string | undefined };
}

/** What the Fastify plugin reads of a reply. */
export interface FastifyReplyStatus {
  readonly statusCode: number;
}

type Done = (error?: Error) => void;

/** The part of a Fastify instance the plugin uses. */
export interface FastifyHooks {
  addHook(
    name: 'onRequest' | 'onResponse',
    hook: (request: FastifyRoutedRequest, reply: FastifyReplyStatus, done: Done) => void,
  ): unknown;
  addHook(
    name: 'onRequestAbort',
    hook: (request: FastifyRoutedRequest, done: Done) => void,
  ): unknown;
  decorateRequest?(name: symbol, value: undefined): unknown;
}

/** A Fastify plugin (callback style) that applies to the instance it is registered on. */
export type FastifyPlugin = (instance: FastifyHooks, options: unknown, done: Done) => void;

/**
 * A Fastify plugin that times every request as the operation
 * `METHOD <route template>` (kind `http-server`; the template from
 * `request.routeOptions.url`) from `onRequest` to `onResponse`, a 5xx
 * counting as a failure, and counts it by status class in
 * `keel_http_requests_total`; a request the client aborts is recorded at
 * `onRequestAbort`. It skips Fastify's encapsulation (no fastify-plugin
 * needed), so register it once, on the root instance.
 *
 * @throws TypeError or RangeError naming the first invalid argument or option
 * @example
 * const app = Fastify();
 * await app.register(keelFastify(monitor));
 * app.get('/customers/:id', getCustomer); // timed as "GET /customers/:id"
 */
export function keelFastify(
  monitor: HttpTimingTarget,
  options: HttpMiddlewareOptions = {},
): FastifyPlugin {
  const recorder = new RequestRecorder(monitor, options);
  const start = Symbol('keel.http.start');
  type Tagged = FastifyRoutedRequest & Record<symbol, number | undefined>;

  const routeOf = (request: FastifyRoutedRequest): string | undefined =>
    request.is404 === true ? undefined : request.routeOptions?.url;

  const end = (request: Tagged, status: number, aborted: boolean) => {
    const started = request[start];
    if (started === undefined) return;
    request[start] = undefined;
    let route: string | undefined;
    try {
      route = routeOf(request);
    } catch (error) {
      recorder.failed(error);
    }
    recorder.record(started, request.method, route, status, aborted, false);
  };

  const plugin: FastifyPlugin = (instance, _options, done) => {
    // A declared request field keeps Fastify's request objects one shape.
    instance.decorateRequest?.(start, undefined);
    instance.addHook('onRequest', (request, _reply, next) => {
      try {
        (request as Tagged)[start] = recorder.now();
      } catch (error) {
        recorder.failed(error);
      }
      next();
    });
    instance.addHook('onResponse', (request, reply, next) => {
      end(request as Tagged, reply.statusCode, false);
      next();
    });
    // The status is not known here: an aborted request counts as a success unless it threw into a 5xx.
    instance.addHook('onRequestAbort', (request, next) => {
      end(request as Tagged, 0, true);
      next();
    });
    done();
  };
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'keel',
  });
  return plugin;
}
