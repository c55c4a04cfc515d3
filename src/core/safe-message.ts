/** A credential key, optionally quoted (JSON), then `:`/`=` or a quoted value, then the value. */
const SECRET =
  /(["']?)\b(pass(?:word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|auth(?:orization)?|cookie|credentials?)\1(?:\s*[:=]\s*|\s+(?=["']))(["']?)[^\s"',;}]+\3/gi;
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]+/g;
const URL_CREDENTIALS = /(\w+:\/\/)[^/\s:@]+:[^/\s@]+@/g;

/**
 * An error's message fit for a report: the first line only (no stack),
 * credentials masked (`password=…`, `Bearer …`, `user:pass@` in URLs), at
 * most 200 characters.
 */
export function safeMessage(error: unknown): string {
  let raw: string;
  try {
    raw =
      typeof error === 'object' && error !== null && typeof (error as Error).message === 'string'
        ? (error as Error).message
        : String(error);
  } catch {
    raw = '[an error that cannot be printed]'; // e.g. a thrown object without a prototype
  }
  const line = (raw.split('\n', 1)[0] ?? '')
    .replace(SECRET, (_m, _q: string, key: string) => `${key}=[redacted]`)
    .replace(BEARER, 'Bearer [redacted]')
    .replace(URL_CREDENTIALS, '$1[redacted]@');
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
