import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeServer,
  listen,
  type TimingHarness,
  timingHarness,
} from '../../../test/support/http-timing.js';
import { instrumentOutgoingHttp } from './instrument-outgoing-http.js';
import { KEEL_INTERNAL_HEADER } from './outgoing-options.js';

let server: Server;
let base: string;
let host: string;
/** A port nothing listens on: connecting to it is refused. */
let closedPort: number;
let h: TimingHarness;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url?.startsWith('/fail')
      ? 503
      : req.url?.startsWith('/missing')
        ? 404
        : 200;
    res.end('body');
  });
  base = await listen(server);
  host = new URL(base).host;
  const spare = createServer();
  closedPort = Number(new URL(await listen(spare)).port);
  await closeServer(spare);
});
afterAll(() => closeServer(server));
afterEach(() => h.close());

/** GETs `url` with node:http; resolves with the status, or the error code. */
function get(url: string, headers: Record<string, string> = {}): Promise<number | string> {
  return new Promise((resolve) => {
    httpRequest(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      .end();
  });
}

async function fetchStatus(url: string, init?: RequestInit): Promise<number | string> {
  try {
    const res = await fetch(url, init);
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    return ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  }
}

describe('instrumentOutgoingHttp', () => {
  it('times fetch as METHOD host, kind http; 5xx and network errors fail, 4xx does not', async () => {
    h = timingHarness();
    using _timing = instrumentOutgoingHttp(h.target, { nodeHttp: false });
    expect(await fetchStatus(`${base}/customers/1?expand=all`)).toBe(200);
    expect(await fetchStatus(`${base}/customers/2`, { method: 'POST', body: 'x' })).toBe(200);
    expect(await fetchStatus(`${base}/missing/3`)).toBe(404);
    expect(await fetchStatus(`${base}/fail/4`)).toBe(503);
    expect(await fetchStatus(`http://127.0.0.1:${closedPort}/`)).toBe('ECONNREFUSED');
    expect(h.monitor.operations.names().sort()).toEqual(
      [`GET 127.0.0.1:${closedPort}`, `GET ${host}`, `POST ${host}`].sort(),
    );
    expect(h.monitor.getOperationStats(`GET ${host}`)).toMatchObject({
      kind: 'http',
      count: 3,
      errorCount: 1,
    });
    expect(h.monitor.getOperationStats(`GET 127.0.0.1:${closedPort}`)?.errorCount).toBe(1);
  });

  it('times http.request the same way', async () => {
    h = timingHarness();
    using _timing = instrumentOutgoingHttp(h.target, { undici: false });
    expect(await get(`${base}/customers/1`)).toBe(200);
    expect(await get(`${base}/fail/2`)).toBe(503);
    expect(await get(`${base}/missing/2`)).toBe(404);
    expect(await get(`http://127.0.0.1:${closedPort}/`)).toBe('ECONNREFUSED');
    expect(await fetchStatus(`${base}/customers/1`)).toBe(200); // undici: false
    expect(h.monitor.getOperationStats(`GET ${host}`)).toMatchObject({
      kind: 'http',
      count: 3,
      errorCount: 1,
    });
    expect(h.monitor.getOperationStats(`GET 127.0.0.1:${closedPort}`)).toMatchObject({
      count: 1,
      errorCount: 1,
    });
  });

  it('stops timing once disposed (dispose is idempotent)', async () => {
    h = timingHarness();
    const timing = instrumentOutgoingHttp(h.target);
    await fetchStatus(`${base}/a`);
    await get(`${base}/b`);
    timing[Symbol.dispose]();
    timing[Symbol.dispose]();
    await fetchStatus(`${base}/a`);
    await get(`${base}/b`);
    expect(h.monitor.getOperationStats(`GET ${host}`)?.count).toBe(2);
  });

  it(`leaves Keel's own requests (header ${KEEL_INTERNAL_HEADER}) and ignored ones untimed`, async () => {
    h = timingHarness();
    using _timing = instrumentOutgoingHttp(h.target, {
      ignore: (request) => request.path.startsWith('/health'),
    });
    await fetchStatus(`${base}/v1/metrics`, {
      method: 'POST',
      headers: { 'X-Keel-Internal': '1' },
    });
    await get(`${base}/v1/metrics`, { [KEEL_INTERNAL_HEADER]: '1' });
    await fetchStatus(`${base}/health`);
    await get(`${base}/health/live`);
    expect(h.monitor.operations.names()).toEqual([]);
  });

  it('names operations with the name option, from what it is given', async () => {
    h = timingHarness();
    const seen: unknown[] = [];
    using _timing = instrumentOutgoingHttp(h.target, {
      name: (request) => {
        seen.push(request);
        return `stripe ${request.method}`;
      },
    });
    await fetchStatus(`${base}/v1/charges?limit=3`);
    await get(`${base}/v1/charges`);
    expect(h.monitor.operations.names()).toEqual(['stripe GET']);
    expect(seen).toEqual([
      { client: 'undici', method: 'GET', protocol: 'http:', host, path: '/v1/charges?limit=3' },
      { client: 'node:http', method: 'GET', protocol: 'http:', host, path: '/v1/charges' },
    ]);
  });

  it('never breaks a request when its own code or a name function throws', async () => {
    h = timingHarness();
    using _timing = instrumentOutgoingHttp(h.target, {
      name: () => {
        throw new Error('bad name function');
      },
      onInternalError: h.onInternalError,
    });
    expect(await fetchStatus(`${base}/a`)).toBe(200);
    expect(await get(`${base}/b`)).toBe(200);
    expect(h.internalErrors.map((e) => (e as Error).message)).toEqual([
      'bad name function',
      'bad name function',
    ]);
    expect(h.monitor.operations.names()).toEqual([]);
  });

  it('rejects invalid options naming the field', () => {
    h = timingHarness();
    expect(() => instrumentOutgoingHttp({} as never)).toThrow(/monitor must be/);
    expect(() => instrumentOutgoingHttp(h.monitor, { name: 'x' as never })).toThrow(/^name/);
    expect(() => instrumentOutgoingHttp(h.monitor, { undici: 1 as never })).toThrow(/^undici/);
    expect(() => instrumentOutgoingHttp(h.monitor, { kind: '' })).toThrow(/kind/);
  });
});
