/** The methods an operation name keeps as they are (RFC 9110 and PATCH); any other is {@link OTHER_METHOD}. */
export const HTTP_METHODS = Object.freeze([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
] as const);

/** The one name every non-standard method (WebDAV's `PROPFIND`, a typo, …) is timed under. */
export const OTHER_METHOD = 'OTHER';

const INDEX: ReadonlyMap<string, number> = new Map(HTTP_METHODS.map((m, i) => [m, i]));

/** Number of method buckets: the standard methods, then {@link OTHER_METHOD}. */
export const METHOD_BUCKETS = HTTP_METHODS.length + 1;

/** The bucket of a request method: its index in {@link HTTP_METHODS}, or the last bucket. */
export function methodIndex(method: unknown): number {
  if (typeof method !== 'string') return HTTP_METHODS.length;
  return INDEX.get(method) ?? INDEX.get(method.toUpperCase()) ?? HTTP_METHODS.length;
}

/** The name of a method bucket. */
export function methodName(index: number): string {
  return HTTP_METHODS[index] ?? OTHER_METHOD;
}
