import { type Clock, systemClock } from '../../core/index.js';
import type { MetricRegistry, Operation } from '../../metrics/index.js';

/** The part of an operation handle HTTP timing uses: a clock reading to start, an end that records. */
export type TimedOperation = Pick<Operation, 'begin' | 'finish'>;

/**
 * What HTTP timing records into: a `PerformanceMonitor`, or anything shaped
 * like it. `metrics` receives the status-class counter (without it, none is
 * kept); `operations.sliceClock.clock` is the clock the operations time with
 * (without it, `performance.now()`).
 */
export interface HttpTimingTarget {
  operation(name: string, options?: { kind?: string }): TimedOperation;
  readonly metrics?: Pick<MetricRegistry, 'counter'>;
  readonly operations?: { readonly sliceClock: { readonly clock: Clock } };
}

/**
 * Checks that `target` can time operations and returns the clock its
 * operations read, so a timing started here ends on the same clock.
 * @throws TypeError when `target` has no `operation(name, options)` method
 */
export function timingClock(target: unknown, argument = 'monitor'): Clock {
  if (
    typeof target !== 'object' ||
    target === null ||
    typeof (target as HttpTimingTarget).operation !== 'function'
  ) {
    throw new TypeError(
      `${argument} must be a PerformanceMonitor (or have an operation(name, options) method)`,
    );
  }
  return (target as HttpTimingTarget).operations?.sliceClock.clock ?? systemClock;
}
