import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  baseUrl,
  request,
  type TimingHarness,
  timingHarness,
} from '../../../test/support/http-timing.js';
import { middlewareContract, type ServedApp } from '../../../test/support/middleware-contract.js';
import { keelFastify } from './keel-fastify.js';

async function serve(instance: FastifyInstance): Promise<ServedApp> {
  await instance.listen({ port: 0, host: '127.0.0.1' });
  return {
    base: baseUrl(instance.server),
    close: async () => {
      instance.server.closeAllConnections(); // a handler that never answers must not hold the close
      await instance.close();
    },
  };
}

middlewareContract('keelFastify', async (h, arrived) => {
  const instance = Fastify();
  await instance.register(keelFastify(h.target, { onInternalError: h.onInternalError }));
  instance.get('/customers/:id', async (req) => {
    h.clock.t += 25;
    return { id: (req.params as { id: string }).id };
  });
  instance.get('/status/:code', async (req, reply) => {
    reply.code(Number((req.params as { code: string }).code)).send();
  });
  instance.get('/slow/:id', async () => {
    h.clock.t += 40;
    arrived();
    await new Promise(() => {});
  });
  return serve(instance);
});

describe('keelFastify', () => {
  let h: TimingHarness;
  let app: ServedApp | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await h.close();
  });

  it('times routes of encapsulated plugins too, under their prefix (it skips encapsulation)', async () => {
    h = timingHarness();
    const instance = Fastify();
    await instance.register(keelFastify(h.target));
    await instance.register(
      async (api) => {
        api.get('/invoices/:id', async () => 'invoice');
      },
      { prefix: '/api/v1' },
    );
    app = await serve(instance);
    await request(app.base, ['/api/v1/invoices/9', '/api/v1/invoices/10']);
    await h.recorded(2);
    expect(h.monitor.operations.names()).toEqual(['GET /api/v1/invoices/:id']);
    const plugin = keelFastify(h.monitor) as unknown as Record<symbol, unknown>;
    expect(plugin[Symbol.for('skip-override')]).toBe(true);
  });

  it("records a thrown handler error as a failure and still hands it to Fastify's error handler", async () => {
    h = timingHarness();
    const errors: string[] = [];
    const instance = Fastify();
    await instance.register(keelFastify(h.target));
    instance.setErrorHandler((error: Error, _req, reply) => {
      errors.push(error.message);
      reply.code(500).send({ error: error.message });
    });
    instance.get('/boom', async () => {
      throw new Error('boom');
    });
    app = await serve(instance);
    expect(await request(app.base, ['/boom'])).toEqual([500]);
    await h.recorded(1);
    expect(errors).toEqual(['boom']);
    expect(h.monitor.getOperationStats('GET /boom')).toMatchObject({ count: 1, errorCount: 1 });
  });

  it('serves the request when Keel itself throws, and reports the failure', async () => {
    h = timingHarness();
    const instance = Fastify();
    const failing = {
      operation() {
        throw new Error('operation store broken');
      },
    };
    await instance.register(keelFastify(failing, { onInternalError: h.onInternalError }));
    instance.get('/customers/:id', async () => 'fine');
    const served = await serve(instance);
    const res = await fetch(`${served.base}/customers/1`);
    expect(await res.text()).toBe('fine');
    await served.close(); // the response has ended: its onResponse hook has run
    expect(h.internalErrors.map((e) => (e as Error).message)).toEqual(['operation store broken']);
  });
});
