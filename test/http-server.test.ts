import * as fs from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearerMatches, isLoopback } from '../src/http/index.js';
import { PerformanceMonitor } from '../src/index.js';

const TOKEN = 'test-token-0123456789abcdef';
let dir: string;
let monitor: PerformanceMonitor;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-http-'));
  monitor = new PerformanceMonitor({
    backupDir: join(dir, 'backups'),
    runtime: { enabled: false },
  });
});

afterEach(async () => {
  await monitor.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };
const json = async (r: Response) => (await r.json()) as Record<string, unknown>;

describe('the embedded server: routes and status codes', () => {
  it('serves every read route on 127.0.0.1 with JSON bodies', async () => {
    monitor.recordOperation('save', 12);
    const server = await monitor.serve({ port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toMatch(
      /^keel_operation_duration_seconds_count\{operation="save",kind="app"\} 1$/m,
    );
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await json(health)).toMatchObject({ status: 'UP', totalOperations: 1 });
    expect(await json(await fetch(`${server.url}/health/live`))).toMatchObject({ status: 'UP' });
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    const report = await json(await fetch(`${server.url}/api/report`));
    expect(report).toMatchObject({ meetingTargets: true });
    const ops = await json(await fetch(`${server.url}/api/operations?windowMinutes=5`));
    expect(ops).toMatchObject({ windowMs: 300_000, operations: [{ name: 'save', count: 1 }] });
    expect(await json(await fetch(`${server.url}/api/backups`))).toMatchObject({
      backups: [],
      stats: { attempts: 0 },
    });
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ error: { code: 'NOT_FOUND', message: 'no such route' } });
    const wrongMethod = await fetch(`${server.url}/metrics`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${server.url}/api/operations?windowMinutes=x`)).status).toBe(400);
  });

  it('health probes answer 503 with a JSON body when DOWN', async () => {
    for (let i = 0; i < 30; i++) monitor.recordOperation('pay', 5, { success: false });
    const server = await monitor.serve({ port: 0 });
    const h = await fetch(`${server.url}/health`);
    expect(h.status).toBe(503);
    expect(await json(h)).toMatchObject({ status: 'DOWN' });
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await json(ready)).toMatchObject({ status: 'DOWN' });
    // Liveness is the process itself: failing calls never make an orchestrator restart it.
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });

  it('serves OpenMetrics 1.0 when Accept asks for it', async () => {
    monitor.recordOperation('save', 12);
    const server = await monitor.serve({ port: 0 });
    const r = await fetch(`${server.url}/metrics`, {
      headers: {
        accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
      },
    });
    expect(r.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const text = await r.text();
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toMatch(/^# TYPE keel_operation_errors counter$/m);
    expect(text).toMatch(/^# UNIT keel_operation_duration_seconds seconds$/m);
  });

  it('mounts in an existing server through httpHandler, passing other paths on', async () => {
    const handler = monitor.httpHandler({ prefix: '/keel' });
    const app = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(200).end('app');
      }),
    );
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const port = (app.address() as { port: number }).port;
    try {
      expect((await fetch(`http://127.0.0.1:${port}/keel/health/live`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/other`)).text()).toBe('app');
    } finally {
      await new Promise((r) => app.close(r));
    }
  });
});

describe('tokens and binding', () => {
  it('mutating routes are disabled without a token', async () => {
    monitor.startBackupService(() => ({ a: 1 }));
    const server = await monitor.serve({ port: 0 });
    const r = await fetch(`${server.url}/api/backups`, { method: 'POST', headers: auth });
    expect(r.status).toBe(403);
    expect(await json(r)).toMatchObject({ error: { code: 'MUTATIONS_DISABLED' } });
    expect(monitor.backups.stats().attempts).toBe(0);
  });

  it('a missing or wrong token is 401; the right one backs up now', async () => {
    monitor.startBackupService(() => ({ ledger: [1, 2, 3] }));
    const server = await monitor.serve({ port: 0, token: TOKEN });
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/api/backups`, { method: 'POST', headers });
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await post({ authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect((await post({ authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect(monitor.backups.stats().attempts).toBe(0);
    const right = await post(auth);
    expect(right.status).toBe(201);
    const { backup } = (await right.json()) as { backup: { id: string } };
    expect((await monitor.restoreBackup(backup.id)).data).toEqual({ ledger: [1, 2, 3] });
  });

  it('back up now without a provider is 409, saying what to do', async () => {
    const server = await monitor.serve({ port: 0, token: TOKEN });
    const r = await fetch(`${server.url}/api/backups`, { method: 'POST', headers: auth });
    expect(r.status).toBe(409);
    expect(await json(r)).toMatchObject({ error: { message: /startBackupService/ } });
  });

  it('compares tokens in constant time, by their hashes', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer   ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false); // a longer token: no length leak, no throw
    expect(bearerMatches('Bearer', TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
  });

  it('refuses to bind to a public address without a token, unless allowed', async () => {
    await expect(monitor.serve({ port: 0, host: '0.0.0.0' })).rejects.toThrow(
      /refusing to serve on 0\.0\.0\.0 without a token/,
    );
    const open = await monitor.serve({ port: 0, host: '0.0.0.0', allowUnauthenticated: true });
    expect(open.port).toBeGreaterThan(0);
    await open.close();
    const guarded = await monitor.serve({ port: 0, host: '0.0.0.0', token: TOKEN });
    await guarded.close();
    expect(isLoopback('127.0.0.2')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('::')).toBe(false);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('rejects weak tokens and bad options naming them', async () => {
    await expect(monitor.serve({ port: 0, token: 'short' })).rejects.toThrow(
      /token must be at least 16/,
    );
    await expect(monitor.serve({ port: 70_000 })).rejects.toThrow(/port must be/);
    await expect(monitor.serve({ port: 0, headersTimeoutMs: 0 })).rejects.toThrow(
      /headersTimeoutMs/,
    );
  });
});

describe('restore over HTTP', () => {
  async function served(onRestore?: (r: unknown) => void) {
    const info = await monitor.performBackup({ invoices: 3 });
    const server = await monitor.serve({
      port: 0,
      token: TOKEN,
      ...(onRestore === undefined ? {} : { onRestore }),
    });
    const restore = (id: string, body: unknown = { confirm: decodeURIComponent(id) }) =>
      fetch(`${server.url}/api/backups/${id}/restore`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    return { info, restore };
  }

  it('restores a backup into onRestore after a confirmation naming it', async () => {
    const applied: unknown[] = [];
    const { info, restore } = await served((r) => applied.push(r));
    const unconfirmed = await restore(info.id, {});
    expect(unconfirmed.status).toBe(400);
    expect(await json(unconfirmed)).toMatchObject({ error: { code: 'CONFIRMATION_REQUIRED' } });
    expect(applied).toEqual([]);
    const ok = await restore(info.id);
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ restored: { id: info.id } });
    expect(applied).toMatchObject([{ data: { invoices: 3 } }]);
  });

  it.each([
    ['an id not in the manifest', 'keel-backup-20200101T000000000Z-000009', 404],
    ['a path traversal', '..%2F..%2Fetc%2Fpasswd', 400],
    ['a malformed id', 'not-a-backup', 400],
    ['bad URL encoding', '%E0%A4%A', 400],
  ])('refuses %s without touching the file system outside the backups', async (_, id, status) => {
    const applied: unknown[] = [];
    const { restore } = await served((r) => applied.push(r));
    const r = await restore(id, {
      confirm: (() => {
        try {
          return decodeURIComponent(id);
        } catch {
          return id;
        }
      })(),
    });
    expect(r.status).toBe(status);
    const body = await r.text();
    expect(body).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
    expect(applied).toEqual([]);
  });

  it('without onRestore the route says Keel cannot apply a backup (501)', async () => {
    const { info, restore } = await served();
    const r = await restore(info.id);
    expect(r.status).toBe(501);
    expect(await json(r)).toMatchObject({ error: { message: /onRestore/ } });
  });
});

describe('limits', () => {
  it('a body over the limit is 413 and never read whole', async () => {
    const info = await monitor.performBackup({ a: 1 });
    const server = await monitor.serve({
      port: 0,
      token: TOKEN,
      maxBodyBytes: 1_024,
      onRestore: () => {},
    });
    const r = await fetch(`${server.url}/api/backups/${info.id}/restore`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ confirm: info.id, pad: 'x'.repeat(5_000) }),
    });
    expect(r.status).toBe(413);
  });

  it('a slow client that never finishes its headers is cut off', async () => {
    const server = await monitor.serve({ port: 0, headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const socket = connect(server.port, '127.0.0.1');
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // and nothing more
    const answer = await new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (d) => {
        data += String(d);
      });
      socket.on('close', () => resolve(data));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('an internal failure is a 500 without a stack trace', async () => {
    const handler = monitor.httpHandler();
    Object.defineProperty(monitor, 'getPerformanceReport', {
      value: () => {
        throw new Error('secret=hunter2 at /srv/app/x.js:1:2');
      },
    });
    const app = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const port = (app.address() as { port: number }).port;
    try {
      const body = await new Promise<{ status: number; text: string }>((resolve) => {
        request({ port, host: '127.0.0.1', path: '/api/report' }, (res) => {
          let text = '';
          res.on('data', (d) => {
            text += String(d);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        }).end();
      });
      expect(body.status).toBe(500);
      expect(body.text).not.toMatch(/hunter2|x\.js/);
      expect(JSON.parse(body.text)).toEqual({
        error: { code: 'INTERNAL', message: 'internal error; see the server log' },
      });
    } finally {
      await new Promise((r) => app.close(r));
    }
  });
});

describe('server-sent events', () => {
  it('sends a snapshot at once and then every interval, and ends with close', async () => {
    monitor.recordOperation('save', 12);
    const server = await monitor.serve({ port: 0, eventsIntervalMs: 50 });
    const r = await fetch(`${server.url}/api/events`);
    expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = r.body!.getReader();
    let text = '';
    while ((text.match(/event: snapshot/g) ?? []).length < 2) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    const data = /data: (.*)\n/.exec(text)![1]!;
    expect(JSON.parse(data)).toMatchObject({
      health: { status: 'UP' },
      operations: { operations: [{ name: 'save' }] },
    });
    await server.close();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });
});
