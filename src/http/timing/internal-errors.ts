import { safeMessage } from '../../core/index.js';

/** Warning code of the one warning emitted when no `onInternalError` listener is given. */
export const TIMING_FAILED_WARNING = 'KEEL_HTTP_TIMING_FAILED';

/**
 * Where a failure of Keel's own timing code goes: never into the request.
 * With a listener, every failure is handed to it (a throwing listener is
 * ignored); without one, the first failure becomes one process warning.
 */
export class InternalErrors {
  readonly #what: string;
  readonly #listener: ((error: unknown) => void) | undefined;
  #count = 0;

  constructor(what: string, listener: ((error: unknown) => void) | undefined) {
    this.#what = what;
    this.#listener = listener;
  }

  /** Failures reported so far. */
  get count(): number {
    return this.#count;
  }

  report(error: unknown): void {
    this.#count++;
    const listener = this.#listener;
    if (listener !== undefined) {
      try {
        listener(error);
      } catch {
        // The listener's own failure must not reach the request either.
      }
    } else if (this.#count === 1) {
      process.emitWarning(
        `Keel could not time ${this.#what} (it was served normally): ${safeMessage(error)}. ` +
          'Pass onInternalError to see every failure.',
        { code: TIMING_FAILED_WARNING },
      );
    }
  }
}

/**
 * Checks an `onInternalError` option.
 * @throws TypeError when it is given and not a function
 */
export function checkListener(
  value: unknown,
  argument = 'onInternalError',
): ((error: unknown) => void) | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${argument} must be a function`);
  }
  return value as ((error: unknown) => void) | undefined;
}
