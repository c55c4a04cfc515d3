/** Longest name Keel accepts for an operation, metric series, resource or session. */
export const MAX_NAME_LENGTH = 200;

/** Checks a user-given name: a non-empty string of at most `max` characters. */
export function checkName(value: unknown, argument: string, max = MAX_NAME_LENGTH): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${argument} must be a string, got ${describe(value)}`);
  }
  if (value.length === 0 || value.length > max) {
    throw new RangeError(`${argument} must be 1 to ${max} characters long, got ${value.length}`);
  }
  return value;
}

/** Checks a count: a non-negative safe integer. */
export function checkCount(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${argument} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

/** Checks a finite number in [min, max]. */
export function checkNumber(
  value: unknown,
  argument: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`;
    throw new RangeError(`${argument} must be a number ${range}, got ${describe(value)}`);
  }
  return value;
}

/** Checks a duration in milliseconds: finite and >= 0. */
export function checkDurationMs(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${argument} must be a finite number of milliseconds >= 0, got ${describe(value)}`,
    );
  }
  return value;
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
