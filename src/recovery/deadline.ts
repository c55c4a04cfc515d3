import type { Clock } from '../core/index.js';

/** A deadline being watched: `fire` runs once when the clock passes `at`. */
export interface Deadline {
  at: number;
  /** Its index in the watcher while watched, -1 otherwise (the watcher's bookkeeping). */
  slot: number;
  fire(): void;
}

/**
 * Watches many deadlines with one timer instead of one per call: a call adds
 * its deadline and removes it when it settles — an array push and a
 * swap-remove by index on the success path (a Set of fresh objects costs
 * several times more: identity hashes and rehashing). The timer ticks every `tickMs` (a tenth of the shortest
 * timeout seen, between 1 and 50 ms) only while deadlines are pending and
 * stops when the last one goes — so a fired timeout is late by at most one
 * tick, and no handle outlives the calls.
 */
export class DeadlineWatcher {
  readonly #clock: Clock;
  readonly #pending: Deadline[] = [];
  #timer: NodeJS.Timeout | undefined;
  #tickMs = 50;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Deadlines pending now. */
  get size(): number {
    return this.#pending.length;
  }

  /** The clock reading deadlines are measured from. */
  now(): number {
    return this.#clock.now();
  }

  watch(deadline: Deadline, timeoutMs: number): void {
    deadline.slot = this.#pending.length;
    this.#pending.push(deadline);
    const tick = Math.min(50, Math.max(1, Math.floor(timeoutMs / 10)));
    if (this.#timer !== undefined && tick >= this.#tickMs) return;
    this.#tickMs = tick;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    // Not unref'd: like a per-call timer, a pending deadline keeps the process
    // alive until it fires; the timer stops with the last deadline.
    this.#timer = setInterval(() => this.#check(), tick);
  }

  unwatch(deadline: Deadline): void {
    const at = deadline.slot;
    if (at < 0 || this.#pending[at] !== deadline) return;
    const last = this.#pending.pop() as Deadline;
    if (last !== deadline) {
      this.#pending[at] = last;
      last.slot = at;
    }
    deadline.slot = -1;
  }

  #check(): void {
    const now = this.#clock.now();
    const due: Deadline[] = [];
    for (const d of this.#pending) if (now >= d.at) due.push(d);
    for (const d of due) {
      this.unwatch(d);
      d.fire();
    }
    if (this.#pending.length === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#tickMs = 50;
    }
  }
}
