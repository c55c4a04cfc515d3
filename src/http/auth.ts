import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Shortest token accepted: a guessable token protects nothing. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Compares the bearer token of an `Authorization` header with `token` in
 * constant time (both hashed first, so neither length nor content leaks).
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (m === null) return false;
  const given = createHash('sha256').update(m[1]!).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected);
}

/** True for a host that only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

/**
 * Checks a token: a string of at least {@link MIN_TOKEN_LENGTH} visible characters.
 * @throws TypeError or RangeError saying what a token must be
 */
export function checkToken(token: unknown): string {
  if (typeof token !== 'string') {
    throw new TypeError(`token must be a string, got ${typeof token}`);
  }
  if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
    throw new RangeError(
      `token must be at least ${MIN_TOKEN_LENGTH} visible ASCII characters without spaces (e.g. from \`openssl rand -hex 32\`), got ${token.length} characters`,
    );
  }
  return token;
}
