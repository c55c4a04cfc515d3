import { type Clock, checkName, describe, Emitter, systemClock } from '../core/index.js';

/** Small facts about a session, e.g. `{ user: 'ada', role: 'clerk' }`. */
export type SessionAttributes = Record<string, string | number | boolean>;

/** Options of a {@link SessionTracker}. */
export interface SessionTrackerOptions {
  /**
   * Source of time, in milliseconds.
   * @defaultValue systemClock (`performance.now()`)
   */
  clock?: Clock;
  /**
   * A session not touched for longer than this ends as `expired`. Must be
   * greater than 0; `Infinity` never expires sessions.
   * @defaultValue 30
   */
  idleTimeoutMinutes?: number;
  /**
   * Most sessions kept at once; registering one more evicts the least recently
   * touched, so memory stays bounded. A positive integer.
   * @defaultValue 100_000
   */
  maxSessions?: number;
}

/** A snapshot of one active session. Times are clock readings in milliseconds. */
export interface SessionInfo {
  readonly id: string;
  readonly startedAt: number;
  readonly lastSeenAt: number;
  /** Time since `startedAt`. */
  readonly ageMs: number;
  /** Time since `lastSeenAt`. */
  readonly idleMs: number;
  readonly attributes: Readonly<SessionAttributes>;
}

/** Counts since the tracker was made. Durations are of ended sessions, exact. */
export interface SessionStats {
  readonly active: number;
  /** Most sessions active at once. */
  readonly peak: number;
  /** New sessions ever registered. */
  readonly registered: number;
  /** Sessions that ended for any reason: unregistered, expired or evicted. */
  readonly ended: number;
  readonly expired: number;
  readonly evicted: number;
  /** Mean duration of ended sessions; 0 before the first ends. */
  readonly meanDurationMs: number;
  /** Longest duration of an ended session; 0 before the first ends. */
  readonly maxDurationMs: number;
  readonly idleTimeoutMs: number;
}

/** Why a session ended. */
export type SessionEndReason = 'unregistered' | 'expired' | 'evicted';

/**
 * Emitted when a session ends. Its duration runs from `startedAt` to the
 * unregister call, or to `lastSeenAt` for expired and evicted sessions.
 */
export interface SessionEndedEvent {
  readonly id: string;
  readonly reason: SessionEndReason;
  readonly startedAt: number;
  readonly lastSeenAt: number;
  readonly durationMs: number;
  readonly attributes: Readonly<SessionAttributes>;
}

/** Longest session id accepted by {@link SessionTracker.register}. */
export const MAX_SESSION_ID_LENGTH = 256;
/** Most attributes per session. */
export const MAX_SESSION_ATTRIBUTES = 32;
/** Longest string attribute value. */
export const MAX_SESSION_ATTRIBUTE_LENGTH = 1_024;

const NO_ATTRIBUTES: Readonly<SessionAttributes> = Object.freeze({});

interface Session {
  readonly id: string;
  readonly startedAt: number;
  lastSeenAt: number;
  attributes: Readonly<SessionAttributes>;
}

/**
 * Tracks active sessions with lazy idle expiry and a bound on how many are
 * kept. Every call first ends the sessions idle for longer than the timeout,
 * so results are the same as with a sweeping timer, without one.
 *
 * @example
 * ```ts
 * const sessions = new SessionTracker({ idleTimeoutMinutes: 15 });
 * sessions.onSessionEnded((e) => log.info(`session ${e.id} ${e.reason} after ${e.durationMs} ms`));
 * sessions.register('user_session_123', { user: 'ada' });
 * sessions.touch('user_session_123'); // on each request
 * sessions.activeCount; // 1
 * sessions.unregister('user_session_123');
 * ```
 */
export class SessionTracker {
  readonly #clock: Clock;
  readonly #idleTimeoutMs: number;
  readonly #maxSessions: number;
  /** Least recently touched first: a touch deletes and re-inserts. */
  readonly #sessions = new Map<string, Session>();
  readonly #ended = new Emitter<SessionEndedEvent>();
  #peak = 0;
  #registered = 0;
  #endedCount = 0;
  #expired = 0;
  #evicted = 0;
  #durationSumMs = 0;
  #durationMaxMs = 0;
  #changes = 0;

  /** @throws TypeError or RangeError naming the field when an option is invalid. */
  constructor(options: SessionTrackerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    const { clock = systemClock, idleTimeoutMinutes = 30, maxSessions = 100_000 } = options;
    if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
      throw new TypeError(`clock must be an object with a now() method, got ${describe(clock)}`);
    }
    if (typeof idleTimeoutMinutes !== 'number' || !(idleTimeoutMinutes > 0)) {
      throw new RangeError(
        `idleTimeoutMinutes must be a number greater than 0 (Infinity never expires), ` +
          `got ${describe(idleTimeoutMinutes)}`,
      );
    }
    if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) {
      throw new RangeError(`maxSessions must be a positive integer, got ${describe(maxSessions)}`);
    }
    this.#clock = clock;
    this.#idleTimeoutMs = idleTimeoutMinutes * 60_000;
    this.#maxSessions = maxSessions;
  }

  /**
   * Starts a session, or touches it when `id` is already active. Given
   * `attributes` replace the session's; they are copied. At `maxSessions`,
   * the least recently touched session is evicted to make room.
   *
   * @returns true for a new session, false for one already active.
   * @throws TypeError or RangeError naming `id` or `attributes` when invalid.
   */
  register(id: string, attributes?: SessionAttributes): boolean {
    checkName(id, 'id', MAX_SESSION_ID_LENGTH);
    const copy = attributes === undefined ? undefined : copyAttributes(attributes);
    const now = this.#clock.now();
    this.#expire(now);
    this.#changes++;
    const existing = this.#sessions.get(id);
    if (existing !== undefined) {
      this.#moveToBack(existing, now);
      if (copy !== undefined) existing.attributes = copy;
      return false;
    }
    if (this.#sessions.size >= this.#maxSessions) {
      const oldest = this.#sessions.values().next().value;
      if (oldest !== undefined) this.#end(oldest, 'evicted', oldest.lastSeenAt);
    }
    const session: Session = {
      id,
      startedAt: now,
      lastSeenAt: now,
      attributes: copy ?? NO_ATTRIBUTES,
    };
    this.#sessions.set(id, session);
    this.#registered++;
    if (this.#sessions.size > this.#peak) this.#peak = this.#sessions.size;
    return true;
  }

  /**
   * Ends a session now.
   *
   * @returns false when `id` is not active (never registered, ended or expired).
   */
  unregister(id: string): boolean {
    checkName(id, 'id', MAX_SESSION_ID_LENGTH);
    const now = this.#clock.now();
    this.#expire(now);
    const session = this.#sessions.get(id);
    if (session === undefined) return false;
    this.#changes++;
    this.#end(session, 'unregistered', now);
    return true;
  }

  /**
   * Marks activity on a session, keeping it from expiring.
   *
   * @returns false when `id` is not active; register it instead.
   */
  touch(id: string): boolean {
    checkName(id, 'id', MAX_SESSION_ID_LENGTH);
    const now = this.#clock.now();
    this.#expire(now);
    const session = this.#sessions.get(id);
    if (session === undefined) return false;
    this.#changes++;
    this.#moveToBack(session, now);
    return true;
  }

  /** True when `id` is active. Does not touch it. */
  has(id: string): boolean {
    this.#expire(this.#clock.now());
    return this.#sessions.has(id);
  }

  /** A snapshot of an active session, or `undefined`. Does not touch it. */
  get(id: string): SessionInfo | undefined {
    const now = this.#clock.now();
    this.#expire(now);
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    const { startedAt, lastSeenAt, attributes } = session;
    return {
      id,
      startedAt,
      lastSeenAt,
      ageMs: Math.max(0, now - startedAt),
      idleMs: Math.max(0, now - lastSeenAt),
      attributes,
    };
  }

  /**
   * How many registers, touches and unregisters of active sessions there have
   * been (idle expiry does not count): only ever grows, so a different value
   * means the app did something.
   */
  get changes(): number {
    return this.#changes;
  }

  /** How many sessions are active now. */
  get activeCount(): number {
    this.#expire(this.#clock.now());
    return this.#sessions.size;
  }

  /** Counts and durations since the tracker was made. */
  stats(): SessionStats {
    this.#expire(this.#clock.now());
    return {
      active: this.#sessions.size,
      peak: this.#peak,
      registered: this.#registered,
      ended: this.#endedCount,
      expired: this.#expired,
      evicted: this.#evicted,
      meanDurationMs: this.#endedCount === 0 ? 0 : this.#durationSumMs / this.#endedCount,
      maxDurationMs: this.#durationMaxMs,
      idleTimeoutMs: this.#idleTimeoutMs,
    };
  }

  /**
   * Ends the sessions idle for longer than the timeout. Every other method
   * already does this first; call it to have expiry events fire sooner.
   *
   * @returns how many sessions expired.
   */
  expireIdle(): number {
    return this.#expire(this.#clock.now());
  }

  /**
   * Calls `listener` when a session ends: unregistered, expired or evicted.
   * Expiry is lazy, so the call may come from inside any method of the
   * tracker. A throwing listener does not break tracking.
   */
  onSessionEnded(listener: (event: SessionEndedEvent) => void): Disposable {
    return this.#ended.on(listener);
  }

  /** Walks from the least recently touched session and stops at the first fresh one. */
  #expire(now: number): number {
    let expired = 0;
    for (const session of this.#sessions.values()) {
      if (now - session.lastSeenAt <= this.#idleTimeoutMs) break;
      this.#end(session, 'expired', session.lastSeenAt);
      expired++;
    }
    return expired;
  }

  #moveToBack(session: Session, now: number): void {
    this.#sessions.delete(session.id);
    session.lastSeenAt = now;
    this.#sessions.set(session.id, session);
  }

  #end(session: Session, reason: SessionEndReason, endedAt: number): void {
    this.#sessions.delete(session.id);
    const durationMs = Math.max(0, endedAt - session.startedAt);
    this.#endedCount++;
    this.#durationSumMs += durationMs;
    if (durationMs > this.#durationMaxMs) this.#durationMaxMs = durationMs;
    if (reason === 'expired') this.#expired++;
    else if (reason === 'evicted') this.#evicted++;
    if (this.#ended.hasListeners) {
      const { id, startedAt, lastSeenAt, attributes } = session;
      this.#ended.emit({ id, reason, startedAt, lastSeenAt, durationMs, attributes });
    }
  }
}

function copyAttributes(value: unknown): Readonly<SessionAttributes> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `attributes must be an object of string, number or boolean values, got ${describe(value)}`,
    );
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_SESSION_ATTRIBUTES) {
    throw new RangeError(
      `attributes must have at most ${MAX_SESSION_ATTRIBUTES} entries, got ${entries.length}`,
    );
  }
  for (const [key, item] of entries) {
    checkName(key, 'attributes key');
    const ok =
      typeof item === 'string'
        ? item.length <= MAX_SESSION_ATTRIBUTE_LENGTH
        : typeof item === 'number' || typeof item === 'boolean';
    if (!ok) {
      throw new RangeError(
        `attributes.${key} must be a number, a boolean or a string of at most ` +
          `${MAX_SESSION_ATTRIBUTE_LENGTH} characters, got ${describe(item)}`,
      );
    }
  }
  return Object.freeze(Object.fromEntries(entries));
}
