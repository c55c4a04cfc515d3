import type { OutgoingRequestInfo } from './outgoing-options.js';

/** What the `undici:request:*` channels publish as `request` (undici 5–7). */
export interface UndiciRequest {
  readonly origin?: unknown;
  readonly method?: unknown;
  readonly path?: unknown;
  /** A flat `[name, value, …]` array (undici 6+), or raw `name: value\r\n` text (undici 5). */
  readonly headers?: unknown;
}

/** Protocol and host of an undici origin: a string (`https://api.stripe.com`) or a URL. */
function splitOrigin(origin: unknown): { protocol: string; host: string } {
  if (typeof origin === 'object' && origin !== null && 'host' in origin) {
    const url = origin as { protocol?: unknown; host?: unknown };
    return { protocol: String(url.protocol), host: String(url.host) };
  }
  const text = String(origin);
  const sep = text.indexOf('://');
  if (sep < 0) return { protocol: '', host: text };
  const end = text.indexOf('/', sep + 3);
  return { protocol: text.slice(0, sep + 1), host: text.slice(sep + 3, end < 0 ? undefined : end) };
}

/** The request as `name` and `ignore` see it. */
export function undiciRequestInfo(request: UndiciRequest): OutgoingRequestInfo {
  const { protocol, host } = splitOrigin(request.origin);
  return {
    client: 'undici',
    method: String(request.method),
    protocol,
    host,
    path: String(request.path),
  };
}

/** Whether undici request headers hold `name` (lower case), with any value. */
export function undiciHasHeader(headers: unknown, name: string): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const key = headers[i];
      const text = typeof key === 'string' ? key : String(key);
      if (text.length === name.length && text.toLowerCase() === name) return true;
    }
    return false;
  }
  if (typeof headers !== 'string') return false;
  const lower = headers.toLowerCase();
  return lower.startsWith(`${name}:`) || lower.includes(`\n${name}:`);
}
