import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { MAX_NAME_LENGTH } from '../../core/index.js';
import {
  fitTarget,
  type HttpTimingTarget,
  InternalErrors,
  methodIndex,
  methodName,
  type TimedOperation,
  timingClock,
} from '../timing/index.js';
import { clientRequestInfo } from './node-http-request.js';
import {
  KEEL_INTERNAL_HEADER,
  type OutgoingHttpOptions,
  type OutgoingRequestInfo,
  resolveOutgoingOptions,
} from './outgoing-options.js';
import { type UndiciRequest, undiciHasHeader, undiciRequestInfo } from './undici-request.js';

interface Pending {
  readonly operation: TimedOperation;
  readonly start: number;
}

type Listener = (message: unknown) => void;

/**
 * Times outgoing HTTP requests, opt-in, through Node's `diagnostics_channel`:
 * the global `fetch` and the undici package (`undici:request:create` to
 * `undici:request:headers`) and `http.request`/`https.request`
 * (`http.client.request.start` to `http.client.response.finish`). Each
 * request is an operation of kind `http` named `METHOD host`, timed until
 * its response headers arrive; a network error (`…:error`) or a 5xx is a
 * failure. Requests with the `x-keel-internal` header are left untimed.
 * Dispose the result to stop (requests then in flight are not recorded).
 *
 * @throws TypeError or RangeError naming the first invalid argument or option
 * @example
 * using outgoing = instrumentOutgoingHttp(monitor);
 * await fetch('https://api.stripe.com/v1/charges'); // timed as "GET api.stripe.com", kind "http"
 */
export function instrumentOutgoingHttp(
  monitor: HttpTimingTarget,
  options: OutgoingHttpOptions = {},
): Disposable {
  timingClock(monitor);
  const config = resolveOutgoingOptions(options);
  const errors = new InternalErrors('an outgoing HTTP request', config.onInternalError);
  const pending = new WeakMap<object, Pending>();

  const nameOf = (info: OutgoingRequestInfo): string => {
    if (config.name === undefined) {
      const method = methodName(methodIndex(info.method));
      return `${method} ${fitTarget(method, info.host)}`;
    }
    const name = config.name(info);
    if (typeof name !== 'string') throw new TypeError('name(request) must return a string');
    return name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
  };
  const begin = (request: object, info: OutgoingRequestInfo) => {
    if (config.ignore?.(info) === true) return;
    const operation = monitor.operation(nameOf(info), { kind: config.kind });
    pending.set(request, { operation, start: operation.begin() });
  };
  const end = (request: unknown, success: boolean) => {
    if (typeof request !== 'object' || request === null) return;
    const p = pending.get(request);
    if (p === undefined) return;
    pending.delete(request);
    p.operation.finish(p.start, success);
  };
  // A subscriber that throws would surface as an uncaught exception: every one is guarded.
  const guarded =
    (fn: (message: Record<string, unknown>) => void): Listener =>
    (message) => {
      try {
        fn(message as Record<string, unknown>);
      } catch (error) {
        errors.report(error);
      }
    };
  const failed = guarded(({ request }) => end(request, false));
  const responded = (message: Record<string, unknown>, status: unknown) =>
    end(message.request, !(typeof status === 'number' && status >= 500));

  const listeners: Array<[string, Listener]> = [];
  if (config.undici) {
    listeners.push(
      [
        'undici:request:create',
        guarded(({ request }) => {
          const r = request as UndiciRequest;
          if (!undiciHasHeader(r.headers, KEEL_INTERNAL_HEADER)) begin(r, undiciRequestInfo(r));
        }),
      ],
      [
        'undici:request:headers',
        guarded((m) => responded(m, (m.response as { statusCode?: unknown }).statusCode)),
      ],
      ['undici:request:error', failed],
    );
  }
  if (config.nodeHttp) {
    listeners.push(
      [
        'http.client.request.start',
        guarded(({ request }) => {
          const r = request as ClientRequest;
          if (!r.hasHeader(KEEL_INTERNAL_HEADER)) begin(r, clientRequestInfo(r));
        }),
      ],
      [
        'http.client.response.finish',
        guarded((m) => responded(m, (m.response as IncomingMessage).statusCode)),
      ],
      ['http.client.request.error', failed],
    );
  }
  for (const [channel, listener] of listeners) subscribe(channel, listener);
  let disposed = false;
  return {
    [Symbol.dispose]() {
      if (disposed) return;
      disposed = true;
      for (const [channel, listener] of listeners) unsubscribe(channel, listener);
    },
  };
}
