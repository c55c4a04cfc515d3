import { TimeoutError } from '../core/index.js';
import type { Deadline, DeadlineWatcher } from './deadline.js';

/** What the work gets. */
export interface RunContext {
  /** Aborts on timeout or when the caller cancels; made only when read. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly operation: string;
}

/** A signal that never aborts: what the work gets when nothing can cancel it. */
const NEVER = new AbortController().signal;

/**
 * One attempt: the work's context (its signal is made only when read) and,
 * when guarded, its own deadline in the shared watcher — one object per
 * attempt, no timer.
 */
export class AttemptContext implements RunContext, Deadline {
  readonly operation: string;
  readonly attempt: number;
  /** When the deadline passes (clock reading); set by {@link guard}. */
  at = 0;
  /** The watcher's index of this deadline. */
  slot = -1;
  readonly #outer: AbortSignal | undefined;
  readonly #timed: boolean;
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;
  #timeoutMs = 0;
  #watcher: DeadlineWatcher | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #onOuter: (() => void) | undefined;

  constructor(operation: string, attempt: number, outer: AbortSignal | undefined, timed: boolean) {
    this.operation = operation;
    this.attempt = attempt;
    this.#outer = outer;
    this.#timed = timed;
  }

  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    if (!this.#timed) return this.#outer ?? NEVER;
    const controller = new AbortController();
    this.#controller = controller;
    if (this.#aborted) controller.abort(this.#reason);
    else if (this.#outer?.aborted === true) controller.abort(this.#outer.reason);
    return controller.signal;
  }

  /**
   * The work raced against the deadline (`timeoutMs` from `now`) and the
   * caller's signal; a fired deadline aborts the signal and rejects with
   * TimeoutError.
   */
  guard<T>(
    work: PromiseLike<T>,
    watcher: DeadlineWatcher,
    timeoutMs: number | undefined,
    now: number | undefined,
  ): Promise<T> {
    const raced = new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      work.then(resolve, reject);
    });
    if (timeoutMs !== undefined) {
      this.#timeoutMs = timeoutMs;
      this.at = (now ?? watcher.now()) + timeoutMs;
      this.#watcher = watcher;
      watcher.watch(this, timeoutMs);
    }
    const outer = this.#outer;
    if (outer !== undefined) {
      this.#onOuter = () => {
        this.abort(outer.reason);
        this.#reject?.(outer.reason);
      };
      outer.addEventListener('abort', this.#onOuter, { once: true });
    }
    return raced;
  }

  /** The deadline passed (called by the watcher). */
  fire(): void {
    const error = new TimeoutError(this.operation, this.#timeoutMs);
    this.abort(error);
    this.#reject?.(error);
  }

  abort(reason: unknown): void {
    if (this.#controller !== undefined) this.#controller.abort(reason);
    else {
      this.#aborted = true;
      this.#reason = reason;
    }
  }

  /** Leaves the watcher and the caller's signal: nothing outlives the attempt. */
  dispose(): void {
    this.#watcher?.unwatch(this);
    if (this.#onOuter !== undefined) this.#outer?.removeEventListener('abort', this.#onOuter);
  }
}

/** A context whose signal never aborts. */
export function plainContext(operation: string, attempt: number): RunContext {
  return Object.freeze({ signal: NEVER, attempt, operation });
}
