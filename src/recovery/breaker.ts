import { CircuitState, ConsecutiveBreaker, type IBreaker, SamplingBreaker } from 'cockatiel';
import { BreakerOpenError, checkDurationMs, checkNumber, describe } from '../core/index.js';

/** Where a circuit breaker stands. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** What a breaker saves so that it survives a restart (`toJSON`, then `initialState`). */
export interface BreakerSnapshot {
  /** `half-open` is saved as `open`: it half-opens again after its delay. */
  state: 'closed' | 'open' | 'isolated';
  /** Wall-clock ms when it last opened; `null` when closed. */
  openedAt: number | null;
  /** The opening rule's own counters (cockatiel's breaker state). */
  breaker: unknown;
}

/** Options of a {@link CircuitBreaker}. */
export interface BreakerOptions {
  /**
   * Opens after this many failures in a row (cockatiel's `ConsecutiveBreaker`).
   * The default when `sampling` is not given. @defaultValue 5
   */
  consecutive?: number;
  /**
   * Opens when more than `threshold` (0..1) of the calls in the last
   * `durationMs` failed, once there are at least `minimumRps` calls a second
   * (cockatiel's `SamplingBreaker`).
   */
  sampling?: { threshold: number; durationMs: number; minimumRps?: number };
  /** How long it stays open before letting trial calls through. @defaultValue 10_000 */
  halfOpenAfterMs?: number;
  /** Trial calls let through while half-open; all must succeed to close. @defaultValue 1 */
  halfOpenCalls?: number;
  /** A state saved by `toJSON()`, e.g. before a restart. */
  initialState?: BreakerSnapshot;
}

/** A breaker changed state. */
export interface BreakerTransition {
  operation: string;
  from: BreakerState;
  to: BreakerState;
}

/**
 * Token of an admitted call: 0 for a call admitted while closed, else the
 * number of the half-open period it is a trial of — so a late result of an
 * earlier period's trial never counts in a later one.
 */
export type Admission = number;

/**
 * A circuit breaker: closed → open after the opening rule trips, open →
 * half-open after `halfOpenAfterMs`, half-open → closed once its
 * `halfOpenCalls` trial calls all succeed (→ open again on any failure).
 * `isolate()` holds it open by hand until `reset()`. The opening rules are
 * cockatiel's; the states, trials, clock and persistence are Keel's.
 *
 * @example
 * const breaker = new CircuitBreaker('charge_card', { consecutive: 5, halfOpenAfterMs: 30_000 });
 * const ticket = breaker.admit(); // throws BreakerOpenError while open
 * try { await charge(); breaker.success(ticket); } catch (e) { breaker.failure(ticket); throw e; }
 */
export class CircuitBreaker {
  readonly operation: string;
  readonly #rule: IBreaker;
  readonly #halfOpenAfterMs: number;
  readonly #halfOpenCalls: number;
  readonly #now: () => number;
  readonly #onChange: ((t: BreakerTransition) => void) | undefined;
  #state: BreakerState = 'closed';
  #openedAt: number | null = null;
  #trialsStarted = 0;
  #trialsSucceeded = 0;
  /** Half-open periods so far; the current one's number tags its trials. */
  #period = 0;
  #halfOpenedAt = 0;
  #opened = 0;
  #rejected = 0;

  /** @throws RangeError naming an invalid option */
  constructor(
    operation: string,
    options: BreakerOptions = {},
    internals: { now?: () => number; onChange?: (t: BreakerTransition) => void } = {},
  ) {
    this.operation = operation;
    this.#rule = ruleOf(options);
    this.#halfOpenAfterMs = checkDurationMs(
      options.halfOpenAfterMs ?? 10_000,
      'breaker.halfOpenAfterMs',
    );
    const calls = options.halfOpenCalls ?? 1;
    if (!Number.isSafeInteger(calls) || calls < 1) {
      throw new RangeError(`breaker.halfOpenCalls must be an integer >= 1, got ${describe(calls)}`);
    }
    this.#halfOpenCalls = calls;
    this.#now = internals.now ?? Date.now;
    this.#onChange = internals.onChange;
    if (options.initialState !== undefined) this.#restore(options.initialState);
  }

  /** The state now (an open breaker past its delay reads as half-open). */
  get state(): BreakerState {
    this.#halfOpenIfDue();
    return this.#state;
  }

  /** Times it opened, and calls it turned away, since it was made. */
  get counts(): { opened: number; rejected: number } {
    return { opened: this.#opened, rejected: this.#rejected };
  }

  /**
   * Lets a call through or turns it away.
   * @throws BreakerOpenError while open or isolated, or half-open with every trial taken
   */
  admit(): Admission {
    if (this.#state === 'closed') return 0;
    this.#halfOpenIfDue();
    // Trials that hang past another delay are given up on: a new period starts.
    if (
      this.#state === 'half-open' &&
      this.#trialsStarted >= this.#halfOpenCalls &&
      this.#now() - this.#halfOpenedAt >= this.#halfOpenAfterMs
    ) {
      this.#move('half-open');
    }
    if (this.#state === 'half-open' && this.#trialsStarted < this.#halfOpenCalls) {
      this.#trialsStarted++;
      return this.#period;
    }
    this.#rejected++;
    throw new BreakerOpenError(this.operation, this.#state as 'open' | 'half-open' | 'isolated');
  }

  /** An admitted call succeeded. */
  success(admission: Admission): void {
    if (admission === 0) {
      if (this.#state === 'closed') this.#rule.success(CircuitState.Closed);
      return;
    }
    if (this.#state !== 'half-open' || admission !== this.#period) return;
    if (++this.#trialsSucceeded >= this.#halfOpenCalls) {
      this.#rule.success(CircuitState.HalfOpen);
      this.#openedAt = null;
      this.#move('closed');
    }
  }

  /** An admitted call failed in a way that counts (transient or permanent). */
  failure(admission: Admission): void {
    if (admission !== 0) {
      if (this.#state !== 'half-open' || admission !== this.#period) return;
      this.#rule.failure(CircuitState.HalfOpen);
      this.#open();
      return;
    }
    if (this.#state === 'closed' && this.#rule.failure(CircuitState.Closed)) this.#open();
  }

  /** An admitted call ended without a verdict (cancelled, or an ignored error): a trial slot is freed. */
  release(admission: Admission): void {
    if (admission !== 0 && this.#state === 'half-open' && admission === this.#period) {
      this.#trialsStarted--;
    }
  }

  /** Holds the breaker open by hand (e.g. during maintenance) until {@link reset}. */
  isolate(): void {
    this.#openedAt = this.#now();
    this.#move('isolated');
  }

  /** Closes the breaker and forgets its failures. */
  reset(): void {
    this.#rule.success(CircuitState.HalfOpen);
    this.#openedAt = null;
    this.#move('closed');
  }

  /** The state to pass back as `initialState` after a restart. */
  toJSON(): BreakerSnapshot {
    this.#halfOpenIfDue();
    return {
      state: this.#state === 'half-open' ? 'open' : this.#state,
      openedAt: this.#openedAt,
      breaker: this.#rule.state,
    };
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#opened++;
    this.#move('open');
  }

  #halfOpenIfDue(): void {
    if (this.#state !== 'open') return;
    if (this.#now() - (this.#openedAt ?? 0) < this.#halfOpenAfterMs) return;
    this.#move('half-open');
  }

  #move(to: BreakerState): void {
    const from = this.#state;
    this.#state = to;
    this.#trialsStarted = 0;
    this.#trialsSucceeded = 0;
    if (to === 'half-open') {
      this.#period++;
      this.#halfOpenedAt = this.#now();
    }
    if (from !== to) this.#onChange?.({ operation: this.operation, from, to });
  }

  #restore(saved: BreakerSnapshot): void {
    if (typeof saved !== 'object' || saved === null) {
      throw new TypeError(`breaker.initialState must come from toJSON(), got ${describe(saved)}`);
    }
    if (!['closed', 'open', 'isolated'].includes(saved.state)) {
      throw new RangeError(
        `breaker.initialState.state must be closed, open or isolated, got ${describe(saved.state)}`,
      );
    }
    if (saved.state !== 'closed' && !Number.isFinite(saved.openedAt)) {
      throw new RangeError(
        'breaker.initialState.openedAt must be a time in ms for an open breaker',
      );
    }
    if (saved.breaker !== undefined) this.#rule.state = saved.breaker;
    this.#state = saved.state;
    this.#openedAt = saved.state === 'closed' ? null : (saved.openedAt as number);
  }
}

/** The cockatiel rule that decides when to open. */
function ruleOf(options: BreakerOptions): IBreaker {
  if (options.sampling !== undefined) {
    const { threshold, durationMs, minimumRps } = options.sampling;
    if (!(threshold > 0 && threshold < 1)) {
      throw new RangeError(
        `breaker.sampling.threshold must be a fraction in (0, 1), got ${describe(threshold)}`,
      );
    }
    checkNumber(durationMs, 'breaker.sampling.durationMs', 1);
    return new SamplingBreaker({
      threshold,
      duration: durationMs,
      ...(minimumRps === undefined ? {} : { minimumRps }),
    });
  }
  const n = options.consecutive ?? 5;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`breaker.consecutive must be an integer >= 1, got ${describe(n)}`);
  }
  return new ConsecutiveBreaker(n);
}
