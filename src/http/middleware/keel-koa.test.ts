import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  listen,
  request,
  type TimingHarness,
  timingHarness,
} from '../../../test/support/http-timing.js';
import { middlewareContract, type ServedApp } from '../../../test/support/middleware-contract.js';
import { keelKoa } from './keel-koa.js';

async function serve(app: Koa): Promise<ServedApp> {
  const server = createServer(app.callback());
  return { base: await listen(server), close: () => closeServer(server) };
}

middlewareContract('keelKoa', (h, arrived) => {
  const app = new Koa();
  app.use(keelKoa(h.target, { onInternalError: h.onInternalError }));
  const router = new Router();
  router.get('/customers/:id', (ctx) => {
    h.clock.t += 25;
    ctx.body = { id: ctx.params.id };
  });
  router.get('/status/:code', (ctx) => {
    ctx.status = Number(ctx.params.code);
  });
  router.get('/slow/:id', async () => {
    h.clock.t += 40;
    arrived();
    await new Promise(() => {});
  });
  app.use(router.routes());
  return serve(app);
});

describe('keelKoa', () => {
  let h: TimingHarness;
  let app: ServedApp | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await h.close();
  });

  it('takes the template from @koa/router, a prefix included', async () => {
    h = timingHarness();
    const koa = new Koa();
    koa.use(keelKoa(h.target));
    const api = new Router({ prefix: '/api/v1' });
    api.get('/invoices/:id', (ctx) => {
      ctx.body = 'invoice';
    });
    koa.use(api.routes());
    app = await serve(koa);
    await request(app.base, ['/api/v1/invoices/9', '/api/v1/invoices/10']);
    await h.recorded(2);
    expect(h.monitor.operations.names()).toEqual(['GET /api/v1/invoices/:id']);
  });

  it("records a thrown error by the status Koa answers with, and leaves it to Koa's error handling", async () => {
    h = timingHarness();
    const errors: string[] = [];
    const koa = new Koa();
    koa.silent = true;
    koa.on('error', (error: Error) => errors.push(error.message));
    koa.use(keelKoa(h.target));
    const router = new Router();
    router.get('/boom', async () => {
      throw new Error('boom');
    });
    router.get('/missing', (ctx) => ctx.throw(404, 'no such customer'));
    koa.use(router.routes());
    app = await serve(koa);
    expect(await request(app.base, ['/boom', '/missing'])).toEqual([500, 404]);
    await h.recorded(2);
    expect(errors.sort()).toEqual(['boom', 'no such customer']);
    expect(h.monitor.getOperationStats('GET /boom')?.errorCount).toBe(1);
    expect(h.monitor.getOperationStats('GET /missing')).toMatchObject({ count: 1, errorCount: 0 });
  });
});
