import { Sketch } from './sketch.js';

/** Figures of one operation over a window. Durations in ms; `errorRate` is a fraction 0..1. */
export interface OperationStats {
  name: string;
  kind: string;
  count: number;
  errorCount: number;
  errorRate: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  totalMs: number;
  /** Calls per second over the time the window covers. */
  throughputPerSec: number;
  /** This operation's `totalMs` over the `totalMs` of all operations, 0..1. */
  shareOfTotalTime: number;
}

/** Figures of every operation together, or of all operations of one kind. */
export type AggregateStats = Omit<OperationStats, 'name' | 'kind'>;

/** Figures of all operations of one kind (`app`, `db`, `http`, `fs`, …). */
export interface KindStats extends AggregateStats {
  kind: string;
  operations: number;
}

/** Which part of the history a read covers. */
export interface WindowSelection {
  /** Epochs `> fromEpoch` and `<= toEpoch` count; lifetime adds the retired slices. */
  fromEpoch: number;
  toEpoch: number;
  lifetime: boolean;
  /** Time the selection covers, for throughput. */
  elapsedMs: number;
  /** Clock reading of the read. */
  nowMs: number;
  /** True for the default window, whose closed slices each operation keeps merged. */
  cacheable: boolean;
}

const QS = [0.5, 0.9, 0.95, 0.99, 0.999] as const;

/** Accumulates sketches and turns them into stats, reusing its buffers. */
export class StatsAccumulator {
  readonly all = new Sketch({ wide: true });
  errors = 0;
  #single: Sketch | undefined;
  #parts = 0;
  readonly #q: number[] = [0, 0, 0, 0, 0];

  reset(): void {
    this.#single = undefined;
    this.#parts = 0;
    this.errors = 0;
  }

  /**
   * Adds one sketch. A lone sketch is read in place, without a merge, unless
   * it is `transient` (reused by its owner before this accumulator is read).
   */
  add(s: Sketch, failed: boolean, transient = false): void {
    if (s.count === 0) return;
    if (failed) this.errors += s.count;
    if (this.#parts === 0 && !transient) {
      this.#single = s;
    } else {
      if (this.#parts === 0) {
        this.all.reset();
      } else if (this.#single !== undefined) {
        this.all.reset();
        this.all.merge(this.#single);
        this.#single = undefined;
      }
      this.all.merge(s);
    }
    this.#parts++;
  }

  /** Adds everything another accumulator holds. */
  addAll(other: StatsAccumulator): void {
    const s = other.#current();
    if (s === undefined) return;
    // Failures are tracked as a count; the merged sketch holds both. `other`
    // reuses its buffer after this call, so a merged one is copied now.
    this.add(s, false, s === other.all);
    this.errors += other.errors;
  }

  /** Sum of the durations added so far. */
  get totalMs(): number {
    return this.#current()?.sum ?? 0;
  }

  /** {@link add}, bound: the visitor to pass to `Operation.forEachPart`. */
  readonly visit = (sketch: Sketch, failed: boolean): void => this.add(sketch, failed);

  #current(): Sketch | undefined {
    return this.#parts === 0 ? undefined : (this.#single ?? this.all);
  }

  stats(sel: WindowSelection, grandTotalMs: number): AggregateStats {
    const s = this.#current();
    const count = s === undefined ? 0 : s.count;
    if (s === undefined || count === 0) {
      return {
        count: 0,
        errorCount: 0,
        errorRate: 0,
        minMs: 0,
        maxMs: 0,
        meanMs: 0,
        p50Ms: 0,
        p90Ms: 0,
        p95Ms: 0,
        p99Ms: 0,
        p999Ms: 0,
        totalMs: 0,
        throughputPerSec: 0,
        shareOfTotalTime: 0,
      };
    }
    const q = s.quantiles(QS, this.#q);
    return {
      count,
      errorCount: this.errors,
      errorRate: this.errors / count,
      minMs: s.min,
      maxMs: s.max,
      meanMs: s.sum / count,
      p50Ms: q[0]!,
      p90Ms: q[1]!,
      p95Ms: q[2]!,
      p99Ms: q[3]!,
      p999Ms: q[4]!,
      totalMs: s.sum,
      throughputPerSec: count / (Math.max(sel.elapsedMs, 1000) / 1000),
      shareOfTotalTime: grandTotalMs > 0 ? s.sum / grandTotalMs : 0,
    };
  }
}
