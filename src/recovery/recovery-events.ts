import { Emitter } from '../core/index.js';
import type { BreakerTransition } from './breaker.js';
import { type FailureKind, safeMessage } from './classify.js';
import type { HandlerRegistry } from './handlers.js';

/** A run or a recoverFromError that recovered. */
export interface RecoveredEvent {
  operation: string | null;
  errorType: string;
  attempts: number;
  durationMs: number;
}

/**
 * A run that failed for good or fell back, or a recoverFromError that could
 * not recover. It carries the run's `data`, so the app can keep the work
 * (e.g. queue it for replay) instead of losing it.
 */
export interface GaveUpEvent {
  operation: string | null;
  errorType: string;
  attempts: number;
  kind: FailureKind;
  /** First line of the error, credentials masked. */
  message: string;
  /** True when a fallback answered instead. */
  degraded: boolean;
  /** The policy's (or recoverFromError context's) `data`. */
  data: unknown;
}

/** The emitters of a `Recovery`; each payload is built only when someone listens. */
export class RecoveryEvents {
  readonly recovered = new Emitter<RecoveredEvent>();
  readonly gaveUp = new Emitter<GaveUpEvent>();
  readonly breakerOpened = new Emitter<BreakerTransition>();
  readonly #handlers: HandlerRegistry;

  constructor(handlers: HandlerRegistry) {
    this.#handlers = handlers;
  }

  emitRecovered(operation: string | null, errorType: string, attempts: number, ms: number): void {
    if (this.recovered.hasListeners) {
      this.recovered.emit({ operation, errorType, attempts, durationMs: ms });
    }
  }

  /** Tells listeners a run gave up or fell back, with its `data` so the work can be kept for later. */
  emitGaveUp(
    operation: string | null,
    errorType: string,
    attempts: number,
    kind: FailureKind,
    error: unknown,
    data: unknown,
    degraded: boolean,
  ): void {
    if (!this.gaveUp.hasListeners) return;
    // Inside the recovery chain of this type: a listener that calls
    // recoverFromError for it again gets `recursion`, not a loop.
    this.#handlers.within(errorType, () =>
      this.gaveUp.emit({
        operation,
        errorType,
        attempts,
        kind,
        message: safeMessage(error),
        degraded,
        data,
      }),
    );
  }

  /** A breaker changed state: tells listeners when it opened or was isolated. */
  breakerChanged(t: BreakerTransition): void {
    if ((t.to === 'open' || t.to === 'isolated') && this.breakerOpened.hasListeners) {
      this.breakerOpened.emit(t);
    }
  }
}
