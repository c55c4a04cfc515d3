import type { Clock } from '../core/index.js';

/**
 * The shared "which slice is current" counter of a set of sliding windows.
 * Recording reads `epoch` (one field load) instead of the clock; an unref'd
 * timer, the end of each timed operation and every read advance it.
 */
export class SliceClock {
  /** Index of the current slice: `floor(now / sliceMs)`. */
  epoch = 0;
  /** Clock reading at which the next slice starts. */
  nextBoundaryMs = 0;
  readonly sliceMs: number;
  /** Times the background timer's clock read threw. */
  clockFailures = 0;
  readonly clock: Clock;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(clock: Clock, sliceMs: number, options: { timer?: boolean } = {}) {
    this.clock = clock;
    this.sliceMs = sliceMs;
    this.advance(clock.now());
    if (options.timer ?? true) this.#schedule();
  }

  /** Moves to the slice of `nowMs` if it has started. */
  advance(nowMs: number): void {
    if (nowMs >= this.nextBoundaryMs) {
      this.epoch = Math.floor(nowMs / this.sliceMs);
      this.nextBoundaryMs = (this.epoch + 1) * this.sliceMs;
    }
  }

  /** Stops the timer. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#closed) return;
    let delay = this.sliceMs;
    try {
      delay = Math.max(1, this.nextBoundaryMs - this.clock.now());
    } catch {
      this.clockFailures++;
    }
    this.#timer = setTimeout(() => {
      // Background work never throws into the app: a failing injected clock is counted.
      try {
        this.advance(this.clock.now());
      } catch {
        this.clockFailures++;
      }
      this.#schedule();
    }, delay);
    this.#timer.unref();
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
