import { checkName, describe } from '../../core/index.js';
import { checkListener } from '../timing/index.js';

/**
 * The header that marks a request as Keel's own (the OTLP exporter's, a
 * webhook notifier's): requests carrying it, with any value, are never timed.
 */
export const KEEL_INTERNAL_HEADER = 'x-keel-internal';

/** Kind of the operations outgoing requests are timed as. */
export const OUTGOING_HTTP_KIND = 'http';

/** An outgoing request as `name` and `ignore` see it. */
export interface OutgoingRequestInfo {
  /** Which client sent it: `undici` (the global `fetch`, the undici package) or `node:http` (`http.request`, `https.request`). */
  readonly client: 'undici' | 'node:http';
  /** The method as sent (`GET`, `POST`, …). */
  readonly method: string;
  /** `http:` or `https:`. */
  readonly protocol: string;
  /** Host name, with the port when it is not the default one (`api.stripe.com`, `127.0.0.1:8080`). */
  readonly host: string;
  /** Path and query as sent: raw, so never put it whole into a name. */
  readonly path: string;
}

/** Options of {@link instrumentOutgoingHttp}. */
export interface OutgoingHttpOptions {
  /**
   * The operation name of a request. Keep it to a bounded set: hosts, or
   * path templates, never raw paths with ids.
   * @defaultValue `METHOD host`, e.g. `GET api.stripe.com` (non-standard methods as `OTHER`)
   */
  name?: (request: OutgoingRequestInfo) => string;
  /** Requests to leave untimed (besides those with the {@link KEEL_INTERNAL_HEADER} header). @defaultValue none */
  ignore?: (request: OutgoingRequestInfo) => boolean;
  /** Kind of the operations. @defaultValue 'http' */
  kind?: string;
  /** Time requests made through undici: the global `fetch` and the undici package. @defaultValue true */
  undici?: boolean;
  /** Time requests made through `node:http` and `node:https`. @defaultValue true */
  nodeHttp?: boolean;
  /**
   * Called with any error thrown by Keel's own timing code, or by `name` or
   * `ignore`; the request is never affected (it is left untimed).
   * @defaultValue one process warning (code `KEEL_HTTP_TIMING_FAILED`) at the first failure
   */
  onInternalError?: (error: unknown) => void;
}

/** Resolved {@link OutgoingHttpOptions}. */
export interface OutgoingHttpConfig {
  readonly name: ((request: OutgoingRequestInfo) => string) | undefined;
  readonly ignore: ((request: OutgoingRequestInfo) => boolean) | undefined;
  readonly kind: string;
  readonly undici: boolean;
  readonly nodeHttp: boolean;
  readonly onInternalError: ((error: unknown) => void) | undefined;
}

function checkFunction<F>(value: unknown, field: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${field} must be a function, got ${describe(value)}`);
  }
  return value as F | undefined;
}

function checkBoolean(value: unknown, field: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') {
    throw new TypeError(`${field} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/**
 * Validates the options of {@link instrumentOutgoingHttp} and resolves their defaults.
 * @throws TypeError or RangeError naming the first invalid field
 */
export function resolveOutgoingOptions(options: unknown): OutgoingHttpConfig {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const o = options as OutgoingHttpOptions;
  return Object.freeze({
    name: checkFunction<OutgoingHttpConfig['name']>(o.name, 'name'),
    ignore: checkFunction<OutgoingHttpConfig['ignore']>(o.ignore, 'ignore'),
    kind: checkName(o.kind ?? OUTGOING_HTTP_KIND, 'kind'),
    undici: checkBoolean(o.undici, 'undici'),
    nodeHttp: checkBoolean(o.nodeHttp, 'nodeHttp'),
    onInternalError: checkListener(o.onInternalError),
  });
}
