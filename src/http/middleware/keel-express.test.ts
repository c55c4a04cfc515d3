import { createServer, type Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  listen,
  request,
  signal,
  type TimingHarness,
  timingHarness,
} from '../../../test/support/http-timing.js';
import { middlewareContract } from '../../../test/support/middleware-contract.js';
import type { HttpTimingTarget } from '../timing/index.js';
import { keelExpress } from './keel-express.js';

async function serve(app: express.Express): Promise<{ base: string; server: Server }> {
  const server = createServer(app);
  return { base: await listen(server), server };
}

middlewareContract('keelExpress', async (h, arrived) => {
  const app = express();
  app.use(keelExpress(h.target, { onInternalError: h.onInternalError }));
  app.get('/customers/:id', (req, res) => {
    h.clock.t += 25;
    res.json({ id: req.params.id });
  });
  app.get('/status/:code', (req, res) => {
    res.status(Number(req.params.code)).end();
  });
  app.get('/slow/:id', () => {
    h.clock.t += 40;
    arrived();
  });
  const { base, server } = await serve(app);
  return { base, close: () => closeServer(server) };
});

describe('keelExpress', () => {
  let h: TimingHarness;
  let server: Server | undefined;

  afterEach(async () => {
    if (server !== undefined) await closeServer(server);
    server = undefined;
    await h.close();
  });

  async function start(app: express.Express): Promise<string> {
    const served = await serve(app);
    server = served.server;
    return served.base;
  }

  it('records a thrown handler error as a failure and still hands it to the error middleware', async () => {
    h = timingHarness();
    const seen: unknown[] = [];
    const app = express();
    app.use(keelExpress(h.target));
    app.get('/sync', () => {
      throw new Error('sync boom');
    });
    app.get('/async', async () => {
      throw new Error('async boom');
    });
    app.get('/invalid', () => {
      throw Object.assign(new Error('invalid'), { status: 422 });
    });
    app.use(
      (
        error: Error & { status?: number },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        seen.push(error.message);
        res.status(error.status ?? 500).end();
      },
    );
    const base = await start(app);
    expect(await request(base, ['/sync', '/async', '/invalid'])).toEqual([500, 500, 422]);
    await h.recorded(3);
    expect(seen).toEqual(['sync boom', 'async boom', 'invalid']);
    expect(h.monitor.getOperationStats('GET /sync')?.errorCount).toBe(1);
    expect(h.monitor.getOperationStats('GET /async')?.errorCount).toBe(1);
    expect(h.monitor.getOperationStats('GET /invalid')?.errorCount).toBe(0);
  });

  it('templates a router mounted on a path with parameters', async () => {
    h = timingHarness();
    const invoices = express.Router({ mergeParams: true });
    invoices.get('/:invoiceId', (_req, res) => res.end());
    invoices.get('/', (_req, res) => res.end());
    const app = express();
    app.use(keelExpress(h.target));
    app.use('/tenants/:tenant/invoices', invoices);
    await request(await start(app), [
      '/tenants/1/invoices/7',
      '/tenants/2/invoices/8',
      '/tenants/3f2a9c1e-0d4b-4c6e-9a8f-1b2c3d4e5f60/invoices',
    ]);
    await h.recorded(3);
    expect(h.monitor.operations.names().sort()).toEqual([
      'GET /tenants/:param/invoices',
      'GET /tenants/:param/invoices/:invoiceId',
    ]);
  });

  it('takes the template from a route option', async () => {
    h = timingHarness();
    const app = express();
    app.use(keelExpress(h.target, { route: (req) => (req.url === '/x' ? '/named' : undefined) }));
    app.get('/x', (_req, res) => res.end());
    app.get('/y', (_req, res) => res.end());
    await request(await start(app), ['/x', '/y']);
    await h.recorded(2);
    expect(h.monitor.operations.names()).toEqual(['GET /named', 'GET <unmatched>']);
  });

  it('serves the request when Keel itself throws, and reports the failure', async () => {
    h = timingHarness();
    const failing: HttpTimingTarget = {
      operation() {
        throw new Error('operation store broken');
      },
      operations: {
        sliceClock: {
          clock: {
            now: () => {
              throw new Error('clock broken');
            },
          },
        },
      },
    };
    const app = express();
    app.use(keelExpress(failing, { onInternalError: h.onInternalError }));
    app.use(
      keelExpress(
        { ...failing, operations: h.monitor.operations },
        { onInternalError: h.onInternalError },
      ),
    );
    app.get('/customers/:id', (_req, res) => res.send('fine'));
    const res = await fetch(`${await start(app)}/customers/1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('fine');
    await closeServer(server!);
    server = undefined;
    expect(h.internalErrors.map((e) => (e as Error).message)).toEqual([
      'clock broken',
      'operation store broken',
    ]);
  });

  it('records into a PerformanceMonitor passed as it is', async () => {
    h = timingHarness();
    const app = express();
    app.use(keelExpress(h.monitor));
    app.get('/customers/:id', (_req, res) => res.end());
    const served = await serve(app);
    server = served.server;
    const closed = signal();
    server.on('request', (_req, res) => res.on('close', closed.resolve));
    await request(served.base, ['/customers/1']);
    await closed.promise; // Keel's close listener was added first, so it has run
    expect(h.monitor.getOperationStats('GET /customers/:id')?.count).toBe(1);
  });

  it('rejects a monitor without operation() and invalid options, naming the field', () => {
    h = timingHarness();
    expect(() => keelExpress({} as HttpTimingTarget)).toThrow(TypeError);
    expect(() => keelExpress(h.monitor, { maxRoutes: 0 })).toThrow(/maxRoutes/);
    expect(() => keelExpress(h.monitor, { kind: '' })).toThrow(/kind/);
    expect(() => keelExpress(h.monitor, { route: 'x' as never })).toThrow(/route/);
  });
});
