import type { BoundCounter, Counter } from '../../metrics/index.js';
import {
  fitTarget,
  type HttpTimingTarget,
  InternalErrors,
  METHOD_BUCKETS,
  methodIndex,
  methodName,
  type TimedOperation,
  timingClock,
} from '../timing/index.js';
import {
  type HttpMiddlewareConfig,
  OVERFLOW_ROUTE,
  resolveMiddlewareOptions,
  UNMATCHED_ROUTE,
} from './middleware-options.js';
import { ABORTED_CLASS, STATUS_CLASSES, statusClassIndex } from './status-class.js';

type RequestLabels = 'method' | 'route' | 'status_class';

/** One (method, route template): its operation and its counter series, bound on first use. */
interface RouteEntry {
  readonly operation: TimedOperation;
  readonly method: string;
  readonly route: string;
  readonly counts: Array<BoundCounter | undefined>;
}

interface MethodTable {
  readonly method: string;
  /** By the template value the framework gives (a string, or its RegExp / array object). */
  readonly routes: Map<unknown, RouteEntry>;
  unmatched: RouteEntry | undefined;
  overflow: RouteEntry | undefined;
}

/** The text of a route template as the framework gives it: a string, a RegExp, an array of them. */
function templateText(route: unknown): string {
  if (typeof route === 'string') return route;
  if (Array.isArray(route)) return route.map(String).join(',');
  return String(route);
}

/**
 * Records finished requests: each into the operation `METHOD <route
 * template>` (handles cached per method and template) and the status-class
 * counter. What every framework adapter shares; never throws.
 */
export class RequestRecorder {
  readonly config: HttpMiddlewareConfig;
  readonly #target: HttpTimingTarget;
  readonly #clock: { now(): number };
  readonly #counter: Counter<RequestLabels> | undefined;
  readonly #tables: MethodTable[] = [];
  readonly #errors: InternalErrors;
  #routes = 0;

  /** @throws TypeError or RangeError naming the first invalid argument or option */
  constructor(target: HttpTimingTarget, options: unknown) {
    this.#clock = timingClock(target);
    this.config = resolveMiddlewareOptions(options);
    this.#target = target;
    this.#errors = new InternalErrors('an HTTP request', this.config.onInternalError);
    for (let i = 0; i < METHOD_BUCKETS; i++) {
      this.#tables.push({
        method: methodName(i),
        routes: new Map(),
        unmatched: undefined,
        overflow: undefined,
      });
    }
    const name = this.config.requestCounter;
    if (name !== false && target.metrics !== undefined) {
      try {
        this.#counter = target.metrics.counter<RequestLabels>(name, {
          help: 'HTTP requests served, by method, route template and status class (or aborted)',
          labelNames: ['method', 'route', 'status_class'],
        });
      } catch (error) {
        throw new TypeError(`requestCounter: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /** Failures of Keel's own timing code so far. */
  get internalErrors(): number {
    return this.#errors.count;
  }

  /** A clock reading to start a request's timing from (the operations' clock). */
  now(): number {
    return this.#clock.now();
  }

  /**
   * Records a request that started at `start`: a failure when the handler
   * threw or the status is 5xx; counted as `aborted` when the client left
   * before the response ended.
   */
  record(
    start: number,
    method: unknown,
    route: unknown,
    status: number,
    aborted: boolean,
    threw: boolean,
  ): void {
    try {
      const entry = this.#entry(method, route);
      entry.operation.finish(start, !threw && !(status >= 500));
      if (this.#counter !== undefined) {
        this.#count(entry, aborted ? ABORTED_CLASS : statusClassIndex(status));
      }
    } catch (error) {
      this.#errors.report(error);
    }
  }

  /** Reports a failure of an adapter's own code (never thrown into the request). */
  failed(error: unknown): void {
    this.#errors.report(error);
  }

  #entry(method: unknown, route: unknown): RouteEntry {
    const table = this.#tables[methodIndex(method)]!;
    if (route === undefined || route === null || route === '') {
      table.unmatched ??= this.#create(table.method, UNMATCHED_ROUTE);
      return table.unmatched;
    }
    const hit = table.routes.get(route);
    if (hit !== undefined) return hit;
    if (this.#routes >= this.config.maxRoutes) {
      table.overflow ??= this.#create(table.method, OVERFLOW_ROUTE);
      return table.overflow;
    }
    const entry = this.#create(table.method, templateText(route));
    table.routes.set(route, entry);
    this.#routes++;
    return entry;
  }

  #create(method: string, template: string): RouteEntry {
    const route = fitTarget(method, template);
    const operation = this.#target.operation(`${method} ${route}`, { kind: this.config.kind });
    return { operation, method, route, counts: [] };
  }

  #count(entry: RouteEntry, cls: number): void {
    let bound = entry.counts[cls];
    if (bound === undefined) {
      bound = this.#counter!.labels({
        method: entry.method,
        route: entry.route,
        status_class: STATUS_CLASSES[cls]!,
      });
      entry.counts[cls] = bound;
    }
    bound.inc();
  }
}
