import { describe, keelVersion, safeMessage } from '../../core/index.js';
import type { ExportMetricsPartialSuccess } from './otlp-json.js';
import { parseRetryAfter } from './otlp-retry.js';

/**
 * Sent (as `1`) with every request, so that Keel's own outgoing-HTTP timing
 * leaves its exports out instead of timing them as the app's calls.
 */
export const KEEL_INTERNAL_HEADER = 'x-keel-internal';

/** Most of a response body read (an error's message, a partial success). */
const MAX_BODY_BYTES = 64 * 1024;

/** What one POST gave: success with the points the collector dropped, or why not. */
export type PostOutcome =
  | { ok: true; rejected: number }
  | { ok: false; status?: number; message: string; retryAfterMs?: number };

/**
 * The app's headers, lower-cased.
 * @throws TypeError for a header that is not a string
 */
export function checkHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  if (typeof headers !== 'object' || headers === null) {
    throw new TypeError(`headers must be an object of strings, got ${describe(headers)}`);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new TypeError(
        `headers[${JSON.stringify(name)}] must be a string, got ${describe(value)}`,
      );
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** A request's headers: the app's, then Keel's own, which win. */
export function requestHeaders(app: Readonly<Record<string, string>>): Record<string, string> {
  return {
    ...app,
    'content-type': 'application/json',
    'user-agent': `keel/${keelVersion()}`,
    [KEEL_INTERNAL_HEADER]: '1',
  };
}

/** One OTLP/HTTP JSON POST of `body`, cancelled by `signal`; never throws. */
export async function postOtlp(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  nowUnixMs: () => number,
): Promise<PostOutcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal });
    text = await readBody(response);
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
    return {
      ok: false,
      message: safeMessage(`could not reach the collector at ${url}${code}: ${safeMessage(e)}`),
    };
  }
  if (response.ok) return { ok: true, rejected: rejectedPoints(text) };
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowUnixMs());
  return {
    ok: false,
    status: response.status,
    message: safeMessage(
      `the collector at ${url} answered ${response.status}${statusMessage(text)}`,
    ),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** The start of a response body, as text; the rest is discarded unread. */
async function readBody(response: Response): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= MAX_BODY_BYTES) break; // breaking out cancels the stream
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_BODY_BYTES));
}

/** `rejectedDataPoints` of a partial success, 0 when none or unreadable. */
function rejectedPoints(text: string): number {
  const partial = parseJson(text)?.partialSuccess as ExportMetricsPartialSuccess | undefined;
  const n = Number(partial?.rejectedDataPoints ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The `message` of an error body (a google.rpc.Status), or its text, after a colon. */
function statusMessage(text: string): string {
  const message = parseJson(text)?.message;
  const said = typeof message === 'string' ? message : text.trim();
  return said === '' ? '' : `: ${said}`;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
