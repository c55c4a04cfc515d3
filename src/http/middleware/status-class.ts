/**
 * The `status_class` label values of the request counter: one per status
 * class, `aborted` for a client that left before the response ended, and
 * `unknown` for a status outside 100–599.
 */
export const STATUS_CLASSES = Object.freeze([
  '1xx',
  '2xx',
  '3xx',
  '4xx',
  '5xx',
  'aborted',
  'unknown',
] as const);

/** One of {@link STATUS_CLASSES}. */
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Index of `aborted` in {@link STATUS_CLASSES}. */
export const ABORTED_CLASS = 5;
const UNKNOWN_CLASS = 6;

/** Index in {@link STATUS_CLASSES} of a finished response's status. */
export function statusClassIndex(status: number): number {
  const c = Math.floor(status / 100);
  return c >= 1 && c <= 5 ? c - 1 : UNKNOWN_CLASS;
}
