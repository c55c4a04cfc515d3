import type { Operation } from './operation.js';
import type { WindowSelection } from './operation-stats.js';
import { Sketch } from './sketch.js';

/** The values one operation recorded since the previous {@link OperationDeltas.take}. */
export interface OperationDelta {
  name: string;
  kind: string;
  /** Successful calls. */
  ok: Sketch;
  /** Failed calls; `undefined` when none failed since the previous take. */
  failed: Sketch | undefined;
}

/** What was handed out so far for one operation: its lifetime at the previous take. */
interface Taken {
  total: number;
  ok: Sketch;
  failed: Sketch | undefined;
}

/** Every slice an operation holds, the retired ones too. */
const LIFETIME: WindowSelection = Object.freeze({
  fromEpoch: 0,
  toEpoch: 0,
  lifetime: true,
  elapsedMs: 0,
  nowMs: 0,
  cacheable: false,
});

/**
 * Hands out, per operation, the values recorded since the previous take, as
 * sketches that merge elsewhere exactly like the originals: a delta is the
 * operation's lifetime now minus its lifetime at the previous take. Recording
 * pays nothing for it: an operation whose count did not move is skipped in
 * O(1), and a changed one costs one merge of its slices and one subtraction
 * per take. Bucket counts, counts and error counts are exact; sums to float
 * rounding; a delta's min and max are bounds (see {@link Sketch.subtract}),
 * exact for the extremes of the lifetime.
 *
 * @example
 * const deltas = new OperationDeltas(registry);
 * for (const d of deltas.take()) send(d.name, d.ok.toJSON(), d.failed?.toJSON());
 */
export class OperationDeltas {
  readonly #registry: { all(): Iterable<Operation> };
  readonly #taken = new WeakMap<Operation, Taken>();
  #scratchOk = new Sketch({ wide: true });
  #scratchFailed = new Sketch({ wide: true });

  constructor(registry: { all(): Iterable<Operation> }) {
    this.#registry = registry;
  }

  /** The operations that recorded values since the previous take, with those values. */
  take(): OperationDelta[] {
    const out: OperationDelta[] = [];
    for (const op of this.#registry.all()) {
      const total = op.recordedCount;
      let taken = this.#taken.get(op);
      if (taken === undefined) {
        if (total === 0) continue;
        taken = { total: 0, ok: new Sketch({ wide: true }), failed: undefined };
        this.#taken.set(op, taken);
      } else if (taken.total === total) {
        continue;
      }
      out.push(this.#delta(op, taken, total));
    }
    return out;
  }

  #delta(op: Operation, taken: Taken, total: number): OperationDelta {
    const ok = this.#scratchOk;
    const failed = this.#scratchFailed;
    ok.reset();
    failed.reset();
    op.forEachPart(LIFETIME, (sketch, isFailure) => (isFailure ? failed : ok).merge(sketch));
    const okDelta = new Sketch().merge(ok).subtract(taken.ok);
    let failedDelta: Sketch | undefined;
    if (failed.count > (taken.failed?.count ?? 0)) {
      failedDelta = new Sketch().merge(failed);
      if (taken.failed !== undefined) failedDelta.subtract(taken.failed);
    }
    // The lifetime just read is the next take's baseline; the old baseline becomes scratch.
    this.#scratchOk = taken.ok;
    taken.ok = ok;
    if (failed.count > 0) {
      this.#scratchFailed = taken.failed ?? new Sketch({ wide: true });
      taken.failed = failed;
    }
    taken.total = total;
    return { name: op.name, kind: op.kind, ok: okDelta, failed: failedDelta };
  }
}
