/**
 * The per-request cost of Keel's HTTP middleware itself, in one process:
 * each adapter is called with fake request/response objects in a tight loop
 * (a fresh pair per request, as a server makes, and the response's `'close'`
 * emitted, so the listener Keel adds and the recording it runs are counted)
 * against the same loop through a no-op middleware. Fastify's hooks are
 * called the way Fastify calls them, with a request whose `routeOptions` is a
 * getter building an object, as Fastify's does. A second Fastify row adds
 * what Fastify itself then does per request when its logger is off (with a
 * logger it does it anyway): the `'finish'`/`'error'` listeners that run
 * `onResponse` hooks and the request `'close'` listener of `onRequestAbort`.
 * (Whole `inject()` requests are too noisy for this, ±20 µs, and
 * light-my-request 6.8 retains ~10 KB per injected request.)
 */

import { EventEmitter } from 'node:events';
import {
  type FastifyHooks,
  keelExpress,
  keelFastify,
  keelKoa,
  keelNodeHttp,
} from '../../src/http/index.js';
import { PerformanceMonitor } from '../../src/index.js';
import { collectGarbage, median } from '../lib/measure.js';

/** One row: the median extra time per request the Keel middleware costs, in ns. */
export interface MiddlewareOverhead {
  name: string;
  overheadNs: number;
}

/** Options of {@link middlewareOverhead}. */
export interface MiddlewareOverheadOptions {
  /** Requests per timed batch. @defaultValue 200_000 */
  requests?: number;
  /** Measured batches per variant; the median difference is kept. @defaultValue 11 */
  reps?: number;
  /** Batches run first and dropped (JIT warm-up). @defaultValue 3 */
  warmup?: number;
}

class FakeRequest {
  method = 'GET';
  url = '/customers/42';
  baseUrl: string;
  route = { path: '/customers/:id' };
  constructor(baseUrl = '') {
    this.baseUrl = baseUrl;
  }
}

class FakeResponse extends EventEmitter {
  statusCode = 200;
  writableFinished = true;
  readonly req: FakeRequest;
  constructor(req: FakeRequest) {
    super();
    this.req = req;
  }
}

/** Shaped like Fastify's request: `routeOptions` is a getter that builds an object per read. */
class FakeFastifyRequest {
  method = 'GET';
  readonly #config = { url: '/customers/:id', method: 'GET' };
  get is404(): boolean {
    return this.#config.url === undefined;
  }
  get routeOptions(): { url: string; method: string } {
    const c = this.#config;
    return {
      method: c.method,
      url: c.url,
      bodyLimit: 1_048_576,
      handlerTimeout: 0,
      attachValidation: false,
      logLevel: '',
      exposeHeadRoute: true,
      prefixTrailingSlash: 'both',
      config: c,
      version: undefined,
    } as { url: string; method: string };
  }
}

type Middleware = (req: never, res: never, next: () => void) => void;
type Hook = (request: unknown, reply: unknown, done: () => void) => void;

const noop = () => {};

/** ns per request of `one`, over `n` requests. */
function nsPerRequest(one: () => void, n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) one();
  return ((performance.now() - start) * 1e6) / n;
}

/** A request through a Connect-style middleware: fresh objects, the call, the response's close. */
function connectRequest(middleware: Middleware, baseUrl = ''): () => void {
  return () => {
    const req = new FakeRequest(baseUrl);
    const res = new FakeResponse(req);
    middleware(req as never, res as never, noop);
    res.emit('close');
  };
}

const resolved = Promise.resolve();
const koaNext = () => resolved;

function koaRequest(middleware: (ctx: never, next: () => Promise<unknown>) => unknown): () => void {
  return () => {
    const req = new FakeRequest();
    const res = new FakeResponse(req);
    middleware({ res, req, _matchedRoute: '/customers/:id' } as never, koaNext);
    res.emit('close');
  };
}

/**
 * A request through two Fastify hooks. With `listeners`, also what Fastify
 * adds once `onResponse` and `onRequestAbort` hooks exist and its logger is
 * off: a closure on the response's `'finish'` and `'error'` that runs the
 * `onResponse` hooks, and one on the request's `'close'`.
 */
function fastifyRequest(onRequest: Hook, onResponse: Hook, listeners: boolean): () => void {
  const reply = { statusCode: 200 };
  return () => {
    const request = new FakeFastifyRequest();
    const raw = new EventEmitter();
    const res = new EventEmitter();
    onRequest(request, reply, noop);
    if (listeners) {
      const finished = () => {
        res.removeListener('finish', finished);
        res.removeListener('error', finished);
        onResponse(request, reply, noop);
      };
      res.on('finish', finished);
      res.on('error', finished);
      raw.on('close', () => raw.emit('aborted-check'));
      res.emit('finish');
    } else {
      onResponse(request, reply, noop);
    }
  };
}

/** The hooks the Keel Fastify plugin adds, taken from a stand-in instance. */
function fastifyHooks(monitor: PerformanceMonitor): { onRequest: Hook; onResponse: Hook } {
  const hooks: Record<string, Hook> = {};
  const instance = {
    addHook(name: string, hook: Hook) {
      hooks[name] = hook;
    },
  } as unknown as FastifyHooks;
  keelFastify(monitor)(instance, {}, noop);
  return { onRequest: hooks.onRequest!, onResponse: hooks.onResponse! };
}

/** Median over reps of (keel − baseline), the two alternating so drift hits both. */
function overhead(
  keel: () => void,
  baseline: () => void,
  { requests, reps, warmup }: Required<MiddlewareOverheadOptions>,
): number {
  const deltas: number[] = [];
  for (let r = 0; r < warmup + reps; r++) {
    collectGarbage();
    const b = nsPerRequest(baseline, requests);
    collectGarbage();
    const k = nsPerRequest(keel, requests);
    if (r >= warmup) deltas.push(k - b);
  }
  return median(deltas);
}

/**
 * Measures the per-request overhead of each Keel middleware adapter against
 * a no-op one (median of `reps` alternating batches).
 * @example
 * for (const { name, overheadNs } of await middlewareOverhead()) console.log(name, overheadNs);
 */
export async function middlewareOverhead(
  options: MiddlewareOverheadOptions = {},
): Promise<MiddlewareOverhead[]> {
  const config: Required<MiddlewareOverheadOptions> = {
    requests: options.requests ?? 200_000,
    reps: options.reps ?? 11,
    warmup: options.warmup ?? 3,
  };
  const monitor = new PerformanceMonitor({ runtime: { enabled: false } });
  const passThrough: Middleware = (_req, _res, next) => next();
  const route = () => '/customers/:id';
  const hooks = fastifyHooks(monitor);
  const doneHook: Hook = (_request, _reply, done) => done();
  const cases: Array<[string, () => void, () => void]> = [
    ['express', connectRequest(keelExpress(monitor)), connectRequest(passThrough)],
    [
      'express, router mounted at /tenants/:id',
      connectRequest(keelExpress(monitor), '/tenants/42'),
      connectRequest(passThrough, '/tenants/42'),
    ],
    ['koa', koaRequest(keelKoa(monitor)), koaRequest((_ctx, next) => next())],
    ['node:http', connectRequest(keelNodeHttp(monitor, { route })), connectRequest(passThrough)],
    [
      'fastify hooks',
      fastifyRequest(hooks.onRequest, hooks.onResponse, false),
      fastifyRequest(doneHook, doneHook, false),
    ],
    [
      'fastify hooks + listeners Fastify adds for them (logger off)',
      fastifyRequest(hooks.onRequest, hooks.onResponse, true),
      fastifyRequest(doneHook, doneHook, false),
    ],
  ];
  const results: MiddlewareOverhead[] = [];
  try {
    for (const [name, keel, baseline] of cases) {
      results.push({ name, overheadNs: Math.round(overhead(keel, baseline, config)) });
    }
  } finally {
    await monitor.close();
  }
  return results;
}
