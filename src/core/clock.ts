/**
 * A source of time in milliseconds. Keel only uses differences and slice
 * boundaries, so any monotonic origin works; tests inject a fake one.
 */
export interface Clock {
  now(): number;
}

/** The default clock: `performance.now()`, monotonic, sub-millisecond. */
export const systemClock: Clock = { now: () => performance.now() };

/** Wall-clock epoch milliseconds for a reading of `clock`, for display only. */
export function toEpochMs(clock: Clock, reading: number): number {
  return clock === systemClock ? performance.timeOrigin + reading : reading;
}
