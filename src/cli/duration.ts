const MAX_TIMER_MS = 2 ** 31 - 1;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `10s`, `2m`, `1h` or `1.5s` into ms.
 * A bare number is seconds.
 * @throws RangeError with the accepted forms
 */
export function parseDuration(text: string, argument: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new RangeError(`${argument} must look like 500ms, 10s, 2m or 1h, got "${text}"`);
  }
  const ms = Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000);
  if (!(ms > 0) || !Number.isFinite(ms)) throw new RangeError(`${argument} must be greater than 0`);
  // Longer than a timer can wait (about 24.8 days).
  if (ms > MAX_TIMER_MS) throw new RangeError(`${argument} must be at most 24 days, got "${text}"`);
  return ms;
}
