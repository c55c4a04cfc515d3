/**
 * What every Keel HTTP middleware must do, whatever the framework: one
 * shared suite, run by each adapter's test file against a real server on
 * 127.0.0.1 that serves the same three routes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  abortAfterArrival,
  counterSeries,
  request,
  signal,
  type TimingHarness,
  timingHarness,
} from './http-timing.js';

/** A served app: its base URL, and how to stop it. */
export interface ServedApp {
  base: string;
  close(): Promise<void>;
}

/**
 * Serves an app with Keel's middleware (given `onInternalError:
 * harness.onInternalError`) recording into `harness.target`, and the routes:
 * - `GET /customers/:id`: adds 25 to `harness.clock.t`, answers 200;
 * - `GET /status/:code`: answers with that status;
 * - `GET /slow/:id`: adds 40 to `harness.clock.t`, calls `arrived()`, never answers.
 * Nothing else is routed.
 */
export type ServeApp = (harness: TimingHarness, arrived: () => void) => Promise<ServedApp>;

export function middlewareContract(framework: string, serve: ServeApp): void {
  describe(`${framework}: what every Keel middleware does`, () => {
    let h: TimingHarness;
    let app: ServedApp | undefined;
    const arrived = { current: signal() };

    async function start(): Promise<string> {
      h = timingHarness();
      arrived.current = signal();
      app = await serve(h, () => arrived.current.resolve());
      return app.base;
    }

    afterEach(async () => {
      await app?.close();
      app = undefined;
      await h.close();
    });

    it('times a request as METHOD and the route template, kind http-server, over the handler', async () => {
      const base = await start();
      expect(await request(base, ['/customers/1', '/customers/2', '/customers/3'])).toEqual([
        200, 200, 200,
      ]);
      await h.recorded(3);
      expect(h.monitor.getOperationStats('GET /customers/:id')).toMatchObject({
        kind: 'http-server',
        count: 3,
        errorCount: 0,
        minMs: 25,
        maxMs: 25,
      });
      expect(h.internalErrors).toEqual([]);
    });

    it('gives 1,000 distinct ids one operation, never a raw URL', async () => {
      const base = await start();
      await request(
        base,
        Array.from({ length: 1000 }, (_, i) => `/customers/${i}?page=${i}`),
      );
      await h.recorded(1000);
      expect(h.monitor.operations.names()).toEqual(['GET /customers/:id']);
      expect(h.monitor.getOperationStats('GET /customers/:id')?.count).toBe(1000);
    });

    it('counts a 5xx as an error and a 4xx as a success, by status class', async () => {
      const base = await start();
      await request(base, [
        '/status/200',
        '/status/404',
        '/status/400',
        '/status/500',
        '/status/503',
      ]);
      await h.recorded(5);
      expect(h.monitor.getOperationStats('GET /status/:code')).toMatchObject({
        count: 5,
        errorCount: 2,
      });
      expect(counterSeries(h.monitor, 'keel_http_requests_total')).toEqual({
        'GET /status/:code 2xx': 1,
        'GET /status/:code 4xx': 2,
        'GET /status/:code 5xx': 2,
      });
    });

    it('names requests no route matched METHOD <unmatched>, and non-standard methods OTHER', async () => {
      const base = await start();
      await request(base, ['/nope/1', '/nope/2', '/customers']);
      await request(base, ['/nope/3'], { method: 'PROPFIND' });
      await h.recorded(4);
      expect(h.monitor.operations.names().sort()).toEqual(['GET <unmatched>', 'OTHER <unmatched>']);
      expect(h.monitor.getOperationStats('GET <unmatched>')).toMatchObject({
        count: 3,
        errorCount: 0,
      });
    });

    it('records a request the client aborts once, as aborted, until the client left', async () => {
      const base = await start();
      await abortAfterArrival(base, '/slow/1', arrived.current.promise);
      await h.recorded(1);
      expect(h.monitor.getOperationStats('GET /slow/:id')).toMatchObject({
        count: 1,
        errorCount: 0,
        maxMs: 40,
      });
      expect(counterSeries(h.monitor, 'keel_http_requests_total')).toEqual({
        'GET /slow/:id aborted': 1,
      });
    });
  });
}
