import { type Clock, checkDurationMs, systemClock } from '../core/index.js';
import type { AggregateStats, WindowSelection } from './operation-stats.js';
import { Sketch } from './sketch.js';
import type { SliceClock } from './slice-clock.js';

/** One slice of an operation's sliding window: successes and failures apart. */
export interface WindowSlot {
  /** Slice epoch this slot holds; -1 when unused. */
  epoch: number;
  ok: Sketch;
  /** Durations of failed calls; allocated on the first failure. */
  failed: Sketch | undefined;
}

/** The closed slices of the default window, merged. */
interface ClosedSlices {
  from: number;
  to: number;
  ok: Sketch;
  failed: Sketch | undefined;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null &&
    (typeof x === 'object' || typeof x === 'function') &&
    typeof (x as { then?: unknown }).then === 'function'
  );
}

/**
 * A timed operation: its sliding window of slices plus lifetime totals, and
 * the bound handle for recording into it without a name lookup.
 *
 * @example
 * const save = monitor.operation('save_invoice', { kind: 'db' });
 * await save.measure(() => db.insert(invoice));
 * save.record(12.5); // a duration measured elsewhere, in ms
 */
export class Operation {
  readonly name: string;
  readonly kind: string;
  /** Clock reading of the first record. */
  readonly createdAtMs: number;
  /** @internal values recorded in slices that closed (in the window or retired). */
  closedCount = 0;
  /**
   * @internal the default window's figures from the last snapshot, with what
   * they were computed from: reused while nothing was recorded and the
   * window did not move.
   */
  statsCache:
    | { epoch: number; ok: number; failed: number; closed: number; stats: AggregateStats }
    | undefined;
  /** Slot of the current slice (hot path). */
  current: WindowSlot;
  /** @internal slots of the window, indexed by `epoch % length`. */
  readonly slots: WindowSlot[];
  /** @internal successes of slices that left the window. */
  readonly retiredOk: Sketch;
  /** @internal failures of slices that left the window. */
  retiredFailed: Sketch | undefined;
  readonly #slices: SliceClock;
  #closed: ClosedSlices | undefined;
  readonly #clock: Clock;
  /** True for the default clock, read directly: one call less per timed operation. */
  readonly #system: boolean;

  constructor(name: string, kind: string, slices: SliceClock, sliceCount: number) {
    this.name = name;
    this.kind = kind;
    this.#slices = slices;
    this.#clock = slices.clock;
    this.#system = slices.clock === systemClock;
    this.createdAtMs = this.#now();
    this.slots = [];
    for (let i = 0; i < sliceCount; i++) {
      this.slots.push({ epoch: -1, ok: new Sketch(), failed: undefined });
    }
    this.retiredOk = new Sketch({ wide: true });
    this.retiredFailed = undefined;
    this.current = this.slots[0]!;
    this.#rotate();
  }

  /**
   * Records a duration measured elsewhere.
   * @throws RangeError when durationMs is negative, NaN or infinite
   */
  record(durationMs: number, success = true): void {
    if (!(durationMs >= 0 && durationMs < Number.POSITIVE_INFINITY)) {
      checkDurationMs(durationMs, 'durationMs');
    }
    if (this.current.epoch !== this.#slices.epoch) this.#rotate();
    if (success) this.current.ok.record(durationMs);
    else this.#recordFailure(durationMs);
  }

  /**
   * Times `fn` (sync or async), records success or failure and returns its
   * result; a throw or rejection is recorded as a failure and passed on.
   */
  measure<T>(fn: () => T): T {
    const start = this.#now();
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.#finish(start, false);
      throw error;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          this.#finish(start, true);
          return value;
        },
        (error: unknown) => {
          this.#finish(start, false);
          throw error;
        },
      ) as T;
    }
    this.#finish(start, true);
    return result;
  }

  /** Starts a timer; end it with `.success()` or `.fail()`, or let `using` end it. */
  start(): OperationTimer {
    return new OperationTimer(this, this.#now());
  }

  /** @internal the clock reading a timing starts from; end it with {@link finish}. */
  begin(): number {
    return this.#now();
  }

  /** @internal ends a timing started at `start`; returns the duration in ms. */
  finish(start: number, success: boolean): number {
    return this.#finish(start, success);
  }

  /** Values recorded since the operation was created, merged ones included. */
  get recordedCount(): number {
    const c = this.current;
    return this.closedCount + c.ok.count + (c.failed?.count ?? 0);
  }

  /**
   * Adds values recorded elsewhere (another process's or thread's sketches)
   * to the current slice, as if they were recorded here now: the window, the
   * lifetime totals and every percentile then cover them, merged exactly.
   * @throws RangeError when a sketch's value range is not the operation's (nothing is merged)
   * @example
   * registry.operation('save', { kind: 'db' }).mergeSketches(Sketch.fromJSON(ok), Sketch.fromJSON(failed));
   */
  mergeSketches(ok: Sketch, failed?: Sketch): void {
    this.#slices.advance(this.#clock.now());
    this.rotate();
    const slot = this.current;
    for (const s of [ok, failed]) {
      if (s !== undefined && (s.minValue !== slot.ok.minValue || s.maxValue !== slot.ok.maxValue)) {
        throw new RangeError(
          `mergeSketches needs sketches of the operation's range [${slot.ok.minValue}, ${slot.ok.maxValue}] ms, got [${s.minValue}, ${s.maxValue}]`,
        );
      }
    }
    slot.ok.merge(ok);
    if (failed !== undefined && failed.count > 0) {
      slot.failed ??= new Sketch();
      slot.failed.merge(failed);
    }
  }

  /** @internal calls `visit` for each non-empty sketch `sel` covers, with whether it holds failures. */
  forEachPart(sel: WindowSelection, visit: (sketch: Sketch, failed: boolean) => void): void {
    const current = this.current;
    if (sel.cacheable && current.epoch === sel.toEpoch) {
      // The slices before the current one no longer change: read them merged, once per slice.
      const closed = this.#closedSlices(sel.fromEpoch, sel.toEpoch);
      if (closed.ok.count > 0) visit(closed.ok, false);
      if (closed.failed !== undefined && closed.failed.count > 0) visit(closed.failed, true);
      if (current.ok.count > 0) visit(current.ok, false);
      if (current.failed !== undefined && current.failed.count > 0) visit(current.failed, true);
      return;
    }
    for (const slot of this.slots) {
      const e = slot.epoch;
      if ((e > sel.fromEpoch && e <= sel.toEpoch) || (sel.lifetime && e >= 0)) {
        if (slot.ok.count > 0) visit(slot.ok, false);
        if (slot.failed !== undefined && slot.failed.count > 0) visit(slot.failed, true);
      }
    }
    if (sel.lifetime) {
      if (this.retiredOk.count > 0) visit(this.retiredOk, false);
      if (this.retiredFailed !== undefined && this.retiredFailed.count > 0) {
        visit(this.retiredFailed, true);
      }
    }
  }

  /** The merged slices with epochs in (from, to), rebuilt when the window moves. */
  #closedSlices(from: number, to: number): ClosedSlices {
    let closed = this.#closed;
    if (closed === undefined) {
      closed = { from: Number.NaN, to: Number.NaN, ok: new Sketch(), failed: undefined };
      this.#closed = closed;
    }
    if (closed.from !== from || closed.to !== to) {
      closed.ok.reset();
      closed.failed?.reset();
      for (const slot of this.slots) {
        if (slot.epoch > from && slot.epoch < to) {
          closed.ok.merge(slot.ok);
          if (slot.failed !== undefined && slot.failed.count > 0) {
            closed.failed ??= new Sketch();
            closed.failed.merge(slot.failed);
          }
        }
      }
      closed.from = from;
      closed.to = to;
    }
    return closed;
  }

  /** @internal brings the window up to the current slice. */
  rotate(): void {
    if (this.current.epoch !== this.#slices.epoch) this.#rotate();
  }

  #now(): number {
    return this.#system ? performance.now() : this.#clock.now();
  }

  #finish(start: number, success: boolean): number {
    const end = this.#now();
    let ms = end - start;
    if (!(ms >= 0)) ms = 0;
    const slices = this.#slices;
    if (end >= slices.nextBoundaryMs) slices.advance(end);
    if (this.current.epoch !== slices.epoch) this.#rotate();
    if (success) this.current.ok.record(ms);
    else this.#recordFailure(ms);
    return ms;
  }

  #recordFailure(ms: number): void {
    const slot = this.current;
    if (slot.failed === undefined) slot.failed = new Sketch();
    slot.failed.record(ms);
  }

  /** Retires slices that left the window into the lifetime totals. */
  #rotate(): void {
    const epoch = this.#slices.epoch;
    // The current slice closes: its count is final from here on.
    const old = this.current;
    if (old.epoch !== epoch) this.closedCount += old.ok.count + (old.failed?.count ?? 0);
    const n = this.slots.length;
    for (const slot of this.slots) {
      if (slot.epoch >= 0 && slot.epoch <= epoch - n) this.#retire(slot);
    }
    const slot = this.slots[epoch % n]!;
    if (slot.epoch !== epoch && slot.epoch >= 0) this.#retire(slot);
    slot.epoch = epoch;
    this.current = slot;
  }

  #retire(slot: WindowSlot): void {
    this.retiredOk.merge(slot.ok);
    slot.ok.reset();
    if (slot.failed !== undefined && slot.failed.count > 0) {
      if (this.retiredFailed === undefined) this.retiredFailed = new Sketch({ wide: true });
      this.retiredFailed.merge(slot.failed);
      slot.failed.reset();
    }
    slot.epoch = -1;
  }
}

/**
 * A running timing of one operation. End it once with {@link success} or
 * {@link fail}; disposing it unended (`using` leaving scope early, e.g. on a
 * throw) records a failure.
 *
 * @example
 * { using t = monitor.startTimer('transaction_entry'); post(tx); t.success(); }
 */
export class OperationTimer implements Disposable {
  readonly #operation: Operation;
  readonly #start: number;
  #durationMs: number | undefined;

  constructor(operation: Operation, start: number) {
    this.#operation = operation;
    this.#start = start;
  }

  /** The operation being timed. */
  get operation(): string {
    return this.#operation.name;
  }

  /** True once the timer has been ended. */
  get ended(): boolean {
    return this.#durationMs !== undefined;
  }

  /** Records a success and returns the duration in ms; later ends are ignored. */
  success(): number {
    return this.#end(true);
  }

  /** Records a failure and returns the duration in ms; later ends are ignored. */
  fail(_error?: unknown): number {
    return this.#end(false);
  }

  /** Ends an unended timer as a failure: the block was left without `success()`. */
  [Symbol.dispose](): void {
    if (this.#durationMs === undefined) this.#end(false);
  }

  #end(success: boolean): number {
    if (this.#durationMs === undefined) {
      this.#durationMs = this.#operation.finish(this.#start, success);
    }
    return this.#durationMs;
  }
}
