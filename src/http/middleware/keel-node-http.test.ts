import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  listen,
  request,
  type TimingHarness,
  timingHarness,
} from '../../../test/support/http-timing.js';
import { middlewareContract } from '../../../test/support/middleware-contract.js';
import { keelNodeHandler, keelNodeHttp } from './keel-node-http.js';

/** The app's own routing: the template of a path, if it is one of the app's. */
function templateOf(req: IncomingMessage): string | undefined {
  const m = /^\/(customers|status|slow)\/[^/?]+/.exec(req.url ?? '');
  if (req.method !== 'GET' || m === null) return undefined;
  return { customers: '/customers/:id', status: '/status/:code', slow: '/slow/:id' }[m[1]!];
}

middlewareContract('keelNodeHttp', async (h, arrived) => {
  const time = keelNodeHttp(h.target, { route: templateOf, onInternalError: h.onInternalError });
  const server = createServer((req, res) => {
    time(req, res);
    const template = templateOf(req);
    const [, , value] = (req.url ?? '').split(/[/?]/);
    if (template === '/customers/:id') {
      h.clock.t += 25;
      res.end('customer');
    } else if (template === '/status/:code') {
      res.statusCode = Number(value);
      res.end();
    } else if (template === '/slow/:id') {
      h.clock.t += 40;
      arrived();
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return { base: await listen(server), close: () => closeServer(server) };
});

describe('keelNodeHttp', () => {
  it('calls next when used as a Connect-style middleware, and requires a route function', async () => {
    const h = timingHarness();
    let called = 0;
    const res = { on: () => res } as never;
    keelNodeHttp(h.target, { route: templateOf })({} as never, res, () => called++);
    expect(called).toBe(1);
    expect(() => keelNodeHttp(h.monitor, {} as never)).toThrow(/route must be a function/);
    await h.close();
  });
});

describe('keelNodeHandler', () => {
  let h: TimingHarness;
  let server: Server | undefined;

  afterEach(async () => {
    if (server !== undefined) await closeServer(server);
    server = undefined;
    await h.close();
  });

  it('records a handler that throws or rejects as a failure and passes the error on', async () => {
    h = timingHarness();
    const handler = keelNodeHandler(
      h.target,
      (req, res) => {
        if (req.url === '/customers/sync') throw new Error('sync boom');
        if (req.url === '/customers/async') return Promise.reject(new Error('async boom'));
        res.end('ok');
        return undefined;
      },
      { route: templateOf },
    );
    const passedOn: string[] = [];
    server = createServer((req, res) => {
      const answer = (error: Error) => {
        passedOn.push(error.message);
        res.statusCode = 200; // even a success status: the throw decides
        res.end();
      };
      try {
        const result = handler(req, res);
        if (result instanceof Promise) result.catch(answer);
      } catch (error) {
        answer(error as Error);
      }
    });
    await request(await listen(server), ['/customers/1', '/customers/sync', '/customers/async'], {
      concurrency: 1,
    });
    await h.recorded(3);
    expect(passedOn).toEqual(['sync boom', 'async boom']);
    expect(h.monitor.getOperationStats('GET /customers/:id')).toMatchObject({
      count: 3,
      errorCount: 2,
    });
  });

  it('records a request whose route function throws as <unmatched>, and reports it', async () => {
    h = timingHarness();
    const handler = keelNodeHandler(h.target, (_req, res) => res.end(), {
      route: () => {
        throw new Error('router broken');
      },
      onInternalError: h.onInternalError,
    });
    server = createServer(handler);
    expect(await request(await listen(server), ['/customers/1'])).toEqual([200]);
    await h.recorded(1);
    expect(h.monitor.operations.names()).toEqual(['GET <unmatched>']);
    expect(h.internalErrors.map((e) => (e as Error).message)).toEqual(['router broken']);
  });
});
