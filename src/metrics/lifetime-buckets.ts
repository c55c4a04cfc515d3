import type { Operation } from './operation.js';
import type { Sketch } from './sketch.js';

/** An operation's calls since it was first used, at fixed bounds (a Prometheus histogram). */
export interface LifetimeBuckets {
  name: string;
  kind: string;
  /** Calls, failures included. */
  count: number;
  /** Sum of their durations, ms. */
  sumMs: number;
  /** Calls that failed. */
  errors: number;
  /** Calls at most `bounds[j]` ms (cumulative, bucket resolution: within 0.78% of the bound). */
  buckets: Float64Array;
}

/** Ascending bounds in ms; a new object whenever they change (caches compare identity). */
export interface FixedBounds {
  readonly ms: readonly number[];
}

/**
 * Fixed histogram bounds (ms), sorted and de-duplicated.
 * @throws RangeError when a bound is not a finite number > 0
 */
export function fixedBounds(ms: readonly number[]): FixedBounds {
  for (const b of ms) {
    if (!(b > 0) || !Number.isFinite(b)) {
      throw new RangeError(`histogram bounds must be finite numbers > 0 (ms), got ${b}`);
    }
  }
  const sorted = [...new Set(ms)].sort((a, b) => a - b);
  return Object.freeze({ ms: Object.freeze(sorted) });
}

/** The part of an operation's lifetime that no longer changes within the current slice. */
interface ClosedBuckets {
  epoch: number;
  bounds: FixedBounds;
  count: number;
  sumMs: number;
  errors: number;
  buckets: Float64Array;
}

/**
 * Reads operations' lifetimes at fixed bounds. The slices that closed (and
 * the retired totals) are summed once per slice and kept; a read walks only
 * the current slice's buckets.
 *
 * @example
 * const reader = new LifetimeBucketsReader();
 * const bounds = fixedBounds([5, 25, 100, 200, 1_000]);
 * reader.read(registry.get('save')!, bounds).buckets; // cumulative counts
 */
export class LifetimeBucketsReader {
  readonly #closed = new WeakMap<Operation, ClosedBuckets>();

  read(op: Operation, bounds: FixedBounds): LifetimeBuckets {
    op.rotate();
    const current = op.current;
    let closed = this.#closed.get(op);
    if (closed === undefined || closed.epoch !== current.epoch || closed.bounds !== bounds) {
      closed = {
        epoch: current.epoch,
        bounds,
        count: 0,
        sumMs: 0,
        errors: 0,
        buckets: new Float64Array(bounds.ms.length),
      };
      add(closed, op.retiredOk, false, bounds);
      if (op.retiredFailed !== undefined) add(closed, op.retiredFailed, true, bounds);
      for (const slot of op.slots) {
        if (slot.epoch < 0 || slot === current) continue;
        add(closed, slot.ok, false, bounds);
        if (slot.failed !== undefined) add(closed, slot.failed, true, bounds);
      }
      this.#closed.set(op, closed);
    }
    const out: LifetimeBuckets = {
      name: op.name,
      kind: op.kind,
      count: closed.count,
      sumMs: closed.sumMs,
      errors: closed.errors,
      buckets: closed.buckets.slice(),
    };
    add(out, current.ok, false, bounds);
    if (current.failed !== undefined) add(out, current.failed, true, bounds);
    return out;
  }
}

function add(
  into: Pick<LifetimeBuckets, 'count' | 'sumMs' | 'errors' | 'buckets'>,
  sketch: Sketch,
  failed: boolean,
  bounds: FixedBounds,
): void {
  if (sketch.count === 0) return;
  into.count += sketch.count;
  into.sumMs += sketch.sum;
  if (failed) into.errors += sketch.count;
  sketch.addCountsAtMost(bounds.ms, into.buckets);
}
