import { type Clock, checkName, checkNumber, Emitter, systemClock } from '../core/index.js';
import { Operation } from './operation.js';
import {
  type AggregateStats,
  type KindStats,
  type OperationStats,
  StatsAccumulator,
  type WindowSelection,
} from './operation-stats.js';
import type { Sketch } from './sketch.js';
import { SliceClock } from './slice-clock.js';

/** Name of the operation that takes the values of names past `maxOperations`. */
export const OVERFLOW_OPERATION = '_other';
const MAX_REJECTED_NAMES_TRACKED = 1000;

/** Options of an {@link OperationRegistry}. */
export interface OperationRegistryOptions {
  /** Time source in ms; inject a fake one in tests. @defaultValue `performance.now()` */
  clock?: Clock;
  /** Length of the sliding window. @defaultValue 10 */
  windowMinutes?: number;
  /** Length of one slice of the window; `windowMinutes` must be a multiple of it. @defaultValue 1 */
  sliceMinutes?: number;
  /** Most distinct operation names; later names record into `_other`. @defaultValue 2000 */
  maxOperations?: number;
  /** Run the unref'd timer that advances slices between reads. @defaultValue true */
  timer?: boolean;
}

/** Options of an operation handle. */
export interface OperationOptions {
  /** What the operation waits on: `app`, `db`, `http`, `fs` or any string. @defaultValue 'app' */
  kind?: string;
}

/** Which window a read covers: the last `windowMinutes`, or the whole lifetime. */
export interface StatsOptions {
  /** At most the configured window. @defaultValue the configured window */
  windowMinutes?: number;
  /** Everything since the registry started. @defaultValue false */
  lifetime?: boolean;
}

/** What happened to names past the `maxOperations` limit. */
export interface OperationOverflow {
  limit: number;
  /** Distinct names refused (counted up to 1,000). */
  rejectedNames: number;
  /** A few of the refused names, as evidence. */
  sampleNames: string[];
}

/** Figures of all operations over one window. */
export interface OperationsSnapshot {
  /** Length of the window in ms; `null` for lifetime. */
  windowMs: number | null;
  /** Clock reading when the snapshot was taken. */
  takenAtMs: number;
  /** Sorted by total time, largest first. */
  operations: OperationStats[];
  overall: AggregateStats;
  byKind: KindStats[];
  overflow: OperationOverflow;
}

/** Resolved {@link OperationRegistryOptions}. */
export interface OperationRegistryConfig {
  readonly windowMinutes: number;
  readonly sliceMinutes: number;
  readonly maxOperations: number;
}

/**
 * Every timed operation by name, with bounded memory: a sliding window of
 * slices per operation plus lifetime totals, at most `maxOperations` names.
 *
 * @example
 * const ops = new OperationRegistry({ windowMinutes: 5 });
 * ops.operation('post_transaction', { kind: 'db' }).record(12.5);
 * ops.stats('post_transaction')?.p95Ms;
 */
export class OperationRegistry {
  readonly config: OperationRegistryConfig;
  readonly #clock: Clock;
  readonly #slices: SliceClock;
  readonly #sliceCount: number;
  readonly #windowSlices: number;
  readonly #byName = new Map<string, Operation>();
  readonly #rejected = new Set<string>();
  readonly #startedAtMs: number;
  readonly #overflowed = new Emitter<{ name: string; limit: number }>();
  #overflow: Operation | undefined;
  #overflowNotified = false;

  /** Fires once, the first time a name is refused for passing `maxOperations`. */
  readonly onOperationsOverflowed = this.#overflowed.on;

  constructor(options: OperationRegistryOptions = {}) {
    const windowMinutes = checkNumber(
      options.windowMinutes ?? 10,
      'windowMinutes',
      1 / 60,
      24 * 60,
    );
    const sliceMinutes = checkNumber(
      options.sliceMinutes ?? 1,
      'sliceMinutes',
      1 / 60,
      windowMinutes,
    );
    const slices = windowMinutes / sliceMinutes;
    if (Math.abs(slices - Math.round(slices)) > 1e-9 || Math.round(slices) > 1440) {
      throw new RangeError(
        `windowMinutes (${windowMinutes}) must be a whole multiple (at most 1440) of sliceMinutes (${sliceMinutes})`,
      );
    }
    const maxOperations = options.maxOperations ?? 2000;
    if (!Number.isSafeInteger(maxOperations) || maxOperations < 1) {
      throw new RangeError(`maxOperations must be a positive integer, got ${maxOperations}`);
    }
    this.config = Object.freeze({ windowMinutes, sliceMinutes, maxOperations });
    this.#clock = options.clock ?? systemClock;
    this.#windowSlices = Math.round(slices);
    this.#sliceCount = this.#windowSlices;
    this.#slices = new SliceClock(this.#clock, sliceMinutes * 60_000, {
      timer: options.timer ?? true,
    });
    this.#startedAtMs = this.#clock.now();
  }

  /** The shared slice counter (for parts that record on the same windows). */
  get sliceClock(): SliceClock {
    return this.#slices;
  }

  /** Number of distinct operations (including `_other` once used). */
  get size(): number {
    return this.#byName.size + (this.#overflow === undefined ? 0 : 1);
  }

  /**
   * The bound handle of an operation, created on first use. Past
   * `maxOperations` names, the shared `_other` handle is returned.
   * @throws TypeError or RangeError when the name or kind is not a 1–200 character string
   */
  operation(name: string, options?: OperationOptions): Operation {
    const op = this.#byName.get(name);
    if (op !== undefined) return op;
    return this.#create(name, options?.kind);
  }

  /** The operation of that name if it has been used. */
  get(name: string): Operation | undefined {
    return name === OVERFLOW_OPERATION ? this.#overflow : this.#byName.get(name);
  }

  /** Every operation (`_other` last, once used). */
  *all(): IterableIterator<Operation> {
    yield* this.#byName.values();
    if (this.#overflow !== undefined) yield this.#overflow;
  }

  /** Names of all operations. */
  names(): string[] {
    const names = [...this.#byName.keys()];
    if (this.#overflow !== undefined) names.push(OVERFLOW_OPERATION);
    return names;
  }

  /** Figures of one operation; `undefined` if it was never used. */
  stats(name: string, options: StatsOptions = {}): OperationStats | undefined {
    const op = this.get(name);
    if (op === undefined) return undefined;
    const sel = this.#select(options);
    let grand = 0;
    const sum = (sketch: Sketch) => {
      grand += sketch.sum;
    };
    for (const o of this.#all()) {
      o.rotate();
      o.forEachPart(sel, sum);
    }
    const acc = new StatsAccumulator();
    op.forEachPart(sel, acc.visit);
    return { name: op.name, kind: op.kind, ...acc.stats(sel, grand) };
  }

  /** Figures of every operation, overall and by kind. */
  snapshot(options: StatsOptions = {}): OperationsSnapshot {
    const sel = this.#select(options);
    const one = new StatsAccumulator();
    const kinds = new Map<string, { acc: StatsAccumulator; operations: number }>();
    const operations: OperationStats[] = [];
    for (const op of this.#all()) {
      op.rotate();
      one.reset();
      op.forEachPart(sel, one.visit);
      let kind = kinds.get(op.kind);
      if (kind === undefined) {
        kind = { acc: new StatsAccumulator(), operations: 0 };
        kinds.set(op.kind, kind);
      }
      kind.acc.addAll(one);
      kind.operations++;
      // Shares need the grand total; they are filled in below.
      const stats = this.#opStats(op, one, sel);
      operations.push({
        name: op.name,
        kind: op.kind,
        ...stats,
        throughputPerSec: stats.count / (Math.max(sel.elapsedMs, 1000) / 1000),
      });
    }
    const overall = new StatsAccumulator();
    for (const k of kinds.values()) overall.addAll(k.acc);
    const grand = overall.totalMs;
    for (const s of operations) s.shareOfTotalTime = grand > 0 ? s.totalMs / grand : 0;
    operations.sort((a, b) => b.totalMs - a.totalMs || a.name.localeCompare(b.name));
    const byKind: KindStats[] = [...kinds].map(([kind, k]) => ({
      kind,
      operations: k.operations,
      ...k.acc.stats(sel, grand),
    }));
    byKind.sort((a, b) => b.totalMs - a.totalMs);
    return {
      windowMs: sel.lifetime ? null : this.#windowMs(options),
      takenAtMs: sel.nowMs,
      operations,
      overall: overall.stats(sel, grand),
      byKind,
      overflow: this.overflow(),
    };
  }

  /**
   * Calls in the window and how many were bad: failed, or (with `latencyMs`)
   * slower than it, at bucket resolution. For SLOs. `name` undefined: all operations.
   */
  goodEvents(
    name: string | undefined,
    latencyMs: number | undefined,
    options: StatsOptions = {},
  ): { total: number; bad: number } {
    const sel = this.#select(options);
    let total = 0;
    let bad = 0;
    const visit = (sketch: Sketch, failed: boolean) => {
      total += sketch.count;
      if (failed) bad += sketch.count;
      else if (latencyMs !== undefined) bad += sketch.count - sketch.countAtMost(latencyMs);
    };
    const ops =
      name === undefined ? [...this.#all()] : [this.get(name)].filter((o) => o !== undefined);
    for (const op of ops) {
      op.rotate();
      op.forEachPart(sel, visit);
    }
    return { total, bad };
  }

  /**
   * An operation's figures: for the default window, reused from the last
   * snapshot while its counts and the window are unchanged (only throughput,
   * which moves with time, is recomputed) — most operations of a large app
   * did not change between two health probes.
   */
  #opStats(op: Operation, one: StatsAccumulator, sel: WindowSelection): AggregateStats {
    const c = op.current;
    const ok = c.ok.count;
    const failed = c.failed?.count ?? 0;
    const hit = op.statsCache;
    if (
      sel.cacheable &&
      hit !== undefined &&
      hit.epoch === sel.toEpoch &&
      hit.ok === ok &&
      hit.failed === failed &&
      hit.closed === op.closedCount
    ) {
      return hit.stats; // the caller sets throughput, which moves with time
    }
    const stats = one.stats(sel, 0);
    if (sel.cacheable) {
      op.statsCache = { epoch: sel.toEpoch, ok, failed, closed: op.closedCount, stats };
    }
    return stats;
  }

  /** The current slice's number, brought up to the clock's time: it changes when the window moves. */
  get epoch(): number {
    this.#slices.advance(this.#slices.clock.now());
    return this.#slices.epoch;
  }

  /** Every value recorded since start, over all operations: a cheap activity fingerprint. */
  recordedCount(): number {
    let total = 0;
    for (const op of this.#all()) total += op.recordedCount;
    return total;
  }

  /** What happened to names past `maxOperations`. */
  overflow(): OperationOverflow {
    return {
      limit: this.config.maxOperations,
      rejectedNames: this.#rejected.size,
      sampleNames: [...this.#rejected].slice(0, 10),
    };
  }

  /** Stops the slice timer. Idempotent; figures stay readable. */
  close(): void {
    this.#slices.close();
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  *#all(): Iterable<Operation> {
    yield* this.#byName.values();
    if (this.#overflow !== undefined) yield this.#overflow;
  }

  #create(name: string, kind: string | undefined): Operation {
    checkName(name, 'name');
    if (kind !== undefined) checkName(kind, 'kind');
    if (name === OVERFLOW_OPERATION) return this.#overflowOperation();
    if (this.#byName.size >= this.config.maxOperations) {
      if (this.#rejected.size < MAX_REJECTED_NAMES_TRACKED) this.#rejected.add(name);
      if (!this.#overflowNotified) {
        this.#overflowNotified = true;
        if (this.#overflowed.hasListeners)
          this.#overflowed.emit({ name, limit: this.config.maxOperations });
      }
      return this.#overflowOperation();
    }
    const op = new Operation(name, kind ?? 'app', this.#slices, this.#sliceCount);
    this.#byName.set(name, op);
    return op;
  }

  #overflowOperation(): Operation {
    this.#overflow ??= new Operation(OVERFLOW_OPERATION, 'app', this.#slices, this.#sliceCount);
    return this.#overflow;
  }

  #windowMs(options: StatsOptions): number {
    return this.#windowSlicesFor(options) * this.#slices.sliceMs;
  }

  #windowSlicesFor(options: StatsOptions): number {
    if (options.windowMinutes === undefined) return this.#windowSlices;
    const minutes = checkNumber(
      options.windowMinutes,
      'windowMinutes',
      this.config.sliceMinutes,
      this.config.windowMinutes,
    );
    return Math.max(1, Math.round(minutes / this.config.sliceMinutes));
  }

  #select(options: StatsOptions): WindowSelection {
    const now = this.#clock.now();
    this.#slices.advance(now);
    const epoch = this.#slices.epoch;
    const sinceStart = now - this.#startedAtMs;
    if (options.lifetime === true) {
      return {
        fromEpoch: epoch,
        toEpoch: epoch,
        lifetime: true,
        elapsedMs: sinceStart,
        nowMs: now,
        cacheable: false,
      };
    }
    const n = this.#windowSlicesFor(options);
    const windowStart = (epoch - n + 1) * this.#slices.sliceMs;
    return {
      fromEpoch: epoch - n,
      toEpoch: epoch,
      lifetime: false,
      elapsedMs: Math.min(now - windowStart, sinceStart),
      nowMs: now,
      cacheable: n === this.#windowSlices,
    };
  }
}
