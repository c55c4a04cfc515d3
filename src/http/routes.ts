import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BackupInfo, BackupStats, RestoreResult } from '../backup/index.js';
import { isBackupNotFoundError, isKeelError, safeMessage } from '../core/index.js';
import {
  type ExpositionFormat,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from '../export/index.js';
import type { CheckGroup } from '../health/index.js';
import type { OperationsSnapshot, StatsOptions } from '../metrics/index.js';
import type { PerformanceReport, SystemHealth } from '../report/index.js';
import { bearerMatches } from './auth.js';
import { EventStream } from './event-stream.js';

/** What the routes read and do; a `PerformanceMonitor` is one. */
export interface HttpSources {
  getSystemHealth(): SystemHealth;
  checkHealth(options?: { group?: CheckGroup }): Promise<SystemHealth & { durationMs: number }>;
  getPerformanceReport(options?: StatsOptions): PerformanceReport;
  getOperationsSnapshot(options?: StatsOptions): OperationsSnapshot;
  listBackups(): Promise<BackupInfo[]>;
  readonly backups: {
    stats(): BackupStats;
    /** Backs the state up now through the provider of `startBackupService`. */
    backupNow(reason?: string): Promise<BackupInfo>;
    readonly hasProvider: boolean;
    restore(id: string): Promise<RestoreResult>;
  };
  readonly prometheus: { render(format: ExpositionFormat): Promise<string> };
}

/** Options of the routes (the server's and {@link PerformanceMonitor.httpHandler}'s). */
export interface HttpHandlerOptions {
  /** Bearer token of the mutating routes; without it they are disabled (403). */
  token?: string;
  /**
   * Applies a restored backup to the app (`POST /api/backups/:id/restore`);
   * without it that route answers 501: Keel cannot put your state back by itself.
   */
  onRestore?: (result: RestoreResult) => void | Promise<void>;
  /** Path prefix the routes live under, e.g. `/keel`. @defaultValue '' */
  prefix?: string;
  /** Largest request body accepted. @defaultValue 65_536 */
  maxBodyBytes?: number;
  /** How often `/api/events` sends a snapshot. @defaultValue 1_000 */
  eventsIntervalMs?: number;
  /** Most `/api/events` clients at once; more get 503. @defaultValue 100 */
  maxEventClients?: number;
}

/** A request handler for `node:http` (and Express/Connect): calls `next` for paths it does not serve. */
export type KeelRequestHandler = ((
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void) & {
  /** Ends the event streams and stops their timer. */
  close(): void;
};

/** An error answer: status and what to do, never a stack. */
class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

type Route = (
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  url: URL,
) => Promise<void>;

/**
 * Keel's HTTP routes: `/metrics`, `/health`, `/health/live`, `/health/ready`,
 * `/api/report`, `/api/operations`, `/api/backups`, `/api/events`, and the
 * mutating `POST /api/backups` and `POST /api/backups/:id/restore`, which need
 * the bearer token.
 */
export function createHandler(
  sources: HttpSources,
  options: HttpHandlerOptions = {},
): KeelRequestHandler {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  if (prefix !== '' && !prefix.startsWith('/')) {
    throw new RangeError(`prefix must start with "/", got "${prefix}"`);
  }
  const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? 65_536, 'maxBodyBytes');
  const events = new EventStream(
    () => ({
      generatedAt: new Date().toISOString(),
      health: sources.getSystemHealth(),
      operations: sources.getOperationsSnapshot(),
    }),
    positiveInteger(options.eventsIntervalMs ?? 1_000, 'eventsIntervalMs'),
    positiveInteger(options.maxEventClients ?? 100, 'maxEventClients'),
  );
  const token = options.token;

  const authorise = (req: IncomingMessage) => {
    if (token === undefined) {
      throw new HttpError(
        403,
        'MUTATIONS_DISABLED',
        'mutating routes are disabled: start the server with a token (serve({ token }))',
      );
    }
    if (!bearerMatches(req.headers.authorization, token)) {
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        'send the token as "Authorization: Bearer <token>"',
        {
          'www-authenticate':
            req.headers.authorization === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
        },
      );
    }
  };

  const health = async (res: ServerResponse, group: 'all' | CheckGroup) => {
    const h = await sources.checkHealth(group === 'all' ? {} : { group });
    const status =
      group === 'liveness' ? h.liveness : group === 'readiness' ? h.readiness : h.status;
    // DEGRADED still serves and UNKNOWN (no traffic yet) must not take an idle service out of rotation.
    const body =
      group === 'all'
        ? h
        : {
            status,
            checkedAt: h.checkedAt,
            reasons: h.reasons,
            checks: h.checks.filter((c) => group === 'readiness' || c.group === 'liveness'),
          };
    send(res, status === 'DOWN' ? 503 : 200, body);
  };

  const get: Array<[RegExp, Route]> = [
    [
      /^\/metrics$/,
      async (req, res) => {
        const format = negotiateFormat(req.headers.accept);
        const text = await sources.prometheus.render(format);
        res.writeHead(200, {
          'content-type':
            format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.end(text);
      },
    ],
    [/^\/health$/, (_req, res) => health(res, 'all')],
    [/^\/health\/live$/, (_req, res) => health(res, 'liveness')],
    [/^\/health\/ready$/, (_req, res) => health(res, 'readiness')],
    [
      /^\/api\/report$/,
      async (_req, res, _p, url) => send(res, 200, sources.getPerformanceReport(statsOptions(url))),
    ],
    [
      /^\/api\/operations$/,
      async (_req, res, _p, url) =>
        send(res, 200, sources.getOperationsSnapshot(statsOptions(url))),
    ],
    [
      /^\/api\/backups$/,
      async (_req, res) =>
        send(res, 200, { backups: await sources.listBackups(), stats: sources.backups.stats() }),
    ],
    [/^\/api\/events$/, async (req, res) => events.add(req, res)],
  ];
  const post: Array<[RegExp, Route]> = [
    [
      /^\/api\/backups$/,
      async (req, res) => {
        authorise(req);
        await readBody(req, maxBodyBytes);
        if (!sources.backups.hasProvider) {
          throw new HttpError(
            409,
            'NO_PROVIDER',
            'no backup provider: call startBackupService(provider) first',
          );
        }
        send(res, 201, { backup: await sources.backups.backupNow('http') });
      },
    ],
    [
      /^\/api\/backups\/([^/]+)\/restore$/,
      async (req, res, params) => {
        authorise(req);
        const id = decodeId(params[0]!);
        const body = parseJson(await readBody(req, maxBodyBytes));
        if (body?.confirm !== id) {
          throw new HttpError(
            400,
            'CONFIRMATION_REQUIRED',
            'a restore replaces the current state: send {"confirm":"<the backup id>"}',
          );
        }
        if (options.onRestore === undefined) {
          throw new HttpError(
            501,
            'NO_RESTORE_TARGET',
            'this server cannot apply a backup: pass serve({ onRestore: (result) => … })',
          );
        }
        const result = await sources.backups.restore(id);
        await options.onRestore(result);
        send(res, 200, { restored: result.backup, skippedCorrupt: result.skippedCorrupt });
      },
    ],
  ];

  const handler = ((req, res, next) => {
    try {
      route(req, res, next);
    } catch (error) {
      fail(res, error);
    }
  }) as KeelRequestHandler;
  const route = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    const url = new URL(req.url ?? '/', 'http://keel.invalid');
    let path = url.pathname;
    if (prefix !== '') {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) {
        if (next !== undefined) next();
        else send(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
        return;
      }
      path = path.slice(prefix.length) || '/';
    }
    const method = req.method ?? 'GET';
    const table = method === 'GET' || method === 'HEAD' ? get : method === 'POST' ? post : [];
    const found = match(table, path);
    if (found === undefined) {
      const allow = [
        ...(match(get, path) === undefined ? [] : ['GET', 'HEAD']),
        ...(match(post, path) === undefined ? [] : ['POST']),
      ].join(', ');
      if (allow !== '')
        fail(res, new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${allow}`, { allow }));
      else if (next !== undefined) next();
      else fail(res, new HttpError(404, 'NOT_FOUND', 'no such route'));
      return;
    }
    const [serve, params] = found;
    serve(req, res, params, url).catch((error: unknown) => fail(res, error));
  };
  handler.close = () => events.close();
  return handler;
}

function match(table: Array<[RegExp, Route]>, path: string): [Route, string[]] | undefined {
  for (const [pattern, route] of table) {
    const m = pattern.exec(path);
    if (m !== null) return [route, m.slice(1)];
  }
  return undefined;
}

/** `?windowMinutes=5` or `?lifetime=true`. */
function statsOptions(url: URL): StatsOptions {
  const out: StatsOptions = {};
  const minutes = url.searchParams.get('windowMinutes');
  if (minutes !== null) {
    const n = Number(minutes);
    if (!(n > 0)) throw new HttpError(400, 'BAD_REQUEST', 'windowMinutes must be a number > 0');
    out.windowMinutes = n;
  }
  if (url.searchParams.get('lifetime') === 'true') out.lifetime = true;
  return out;
}

function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'BAD_BACKUP_ID', 'the backup id is not valid URL encoding');
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'the body must be JSON');
  }
}

/** The body as text, at most `limit` bytes (else 413, and the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    return Promise.reject(
      new HttpError(413, 'BODY_TOO_LARGE', `the body must be at most ${limit} bytes`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, 'BODY_TOO_LARGE', `the body must be at most ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** An error as JSON: Keel's own errors say what they are; anything else is "internal", never a stack. */
function fail(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) {
    send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
  } else if (isBackupNotFoundError(error)) {
    send(res, 404, { error: { code: error.code, message: 'no backup with that id' } });
  } else if (error instanceof RangeError) {
    send(res, 400, { error: { code: 'BAD_REQUEST', message: safeMessage(error) } });
  } else if (isKeelError(error)) {
    send(res, 500, { error: { code: error.code, message: safeMessage(error) } });
  } else {
    send(res, 500, { error: { code: 'INTERNAL', message: 'internal error; see the server log' } });
  }
}

function positiveInteger(v: number, name: string): number {
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
  return v;
}
