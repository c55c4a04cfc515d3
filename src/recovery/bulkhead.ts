import { BulkheadFullError, describe } from '../core/index.js';

/** Options of a {@link Bulkhead}. */
export interface BulkheadOptions {
  /** Calls that may run at once. */
  limit: number;
  /** Calls that may wait for a slot; more are turned away. @defaultValue 0 */
  queue?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A concurrency limit with a queue. A waiting call whose signal aborts leaves
 * the queue at once, and its place goes to the next.
 */
export class Bulkhead {
  readonly operation: string;
  readonly limit: number;
  readonly queueLimit: number;
  #active = 0;
  readonly #waiting: Waiter[] = [];
  #rejected = 0;

  /** @throws RangeError naming an invalid option */
  constructor(operation: string, options: BulkheadOptions) {
    const { limit, queue = 0 } = options ?? ({} as BulkheadOptions);
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`bulkhead.limit must be an integer >= 1, got ${describe(limit)}`);
    }
    if (!Number.isSafeInteger(queue) || queue < 0) {
      throw new RangeError(`bulkhead.queue must be an integer >= 0, got ${describe(queue)}`);
    }
    this.operation = operation;
    this.limit = limit;
    this.queueLimit = queue;
  }

  /** Calls running, calls waiting, calls turned away since it was made. */
  get counts(): { active: number; queued: number; rejected: number } {
    return { active: this.#active, queued: this.#waiting.length, rejected: this.#rejected };
  }

  /**
   * Takes a slot: `undefined` when one was free, else a promise that resolves
   * when one frees up (rejects with the signal's reason if it aborts first).
   * @throws BulkheadFullError when every slot and queue place is taken
   */
  acquire(signal?: AbortSignal): Promise<void> | undefined {
    if (signal?.aborted === true) throw signal.reason;
    if (this.#active < this.limit) {
      this.#active++;
      return undefined;
    }
    if (this.#waiting.length >= this.queueLimit) {
      this.#rejected++;
      throw new BulkheadFullError(this.operation, this.limit, this.queueLimit);
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiting.push(waiter);
    });
  }

  /** Gives a slot back; the longest-waiting call gets it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) {
      this.#active--;
      return;
    }
    if (next.onAbort !== undefined) next.signal?.removeEventListener('abort', next.onAbort);
    next.resolve(); // the slot passes on: #active stays the same
  }
}
