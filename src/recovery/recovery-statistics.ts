import type { Operation } from '../metrics/index.js';
import { plainContext, type RunContext } from './attempt-context.js';
import type { BreakerState, CircuitBreaker } from './breaker.js';
import type { Bulkhead } from './bulkhead.js';
import { errorTypeOf, type FailureKind, safeMessage } from './classify.js';

/** Recovery figures of one operation run through `monitor.run`. */
export interface OperationRecoveryStats {
  operation: string;
  runs: number;
  /** Runs that succeeded, at once or after retries. */
  succeeded: number;
  /** Failed attempts (transient or permanent; not Keel's own breaker or bulkhead rejections). */
  errors: number;
  /** Handler tries between its attempts. */
  recoveryAttempts: number;
  /** Runs that succeeded after at least one failed attempt. */
  recovered: number;
  /** How many runs recovered after N attempts: `{ "2": 5, "3": 1 }`. */
  recoveredAfter: Record<string, number>;
  /** Runs that failed for good (no fallback). */
  gaveUp: number;
  /** Runs answered by the fallback. */
  degraded: number;
  cancelled: number;
  /** Failures passed on as expected outcomes. */
  ignored: number;
  retries: number;
  timeouts: number;
  breakerRejections: number;
  bulkheadRejections: number;
  /** Mean and longest time from the first failure to the recovery, ms. */
  meanTimeToRecoverMs: number;
  maxTimeToRecoverMs: number;
  breaker: BreakerState | null;
}

/** Figures of one error type. */
export interface ErrorTypeStats {
  type: string;
  occurrences: number;
  /** Handler tries (between attempts of a run, and by recoverFromError). */
  recoveryAttempts: number;
  /** Runs that failed with it and then succeeded, and recoverFromError calls that recovered. */
  recovered: number;
  /** How many of those runs recovered after N attempts. */
  recoveredAfter: Record<string, number>;
  /** Mean time from a run's first failure to its recovery, ms (0 when none). */
  meanTimeToRecoverMs: number;
  gaveUp: number;
  /** ISO time it was last seen. */
  lastSeenAt: string;
}

/** One of the last 100 errors; never a stack trace, credentials masked. */
export interface RecentError {
  type: string;
  operation: string | null;
  /** First line, at most 200 characters. */
  message: string;
  kind: FailureKind;
  /** ISO time. */
  at: string;
}

/** Everything recovery knows. */
export interface RecoveryStats {
  runs: number;
  recovered: number;
  gaveUp: number;
  degraded: number;
  retries: number;
  recoveryAttempts: number;
  /** Operations whose breaker is open, half-open or isolated. */
  openBreakers: Array<{ operation: string; state: BreakerState }>;
  operations: OperationRecoveryStats[];
  /** Most frequent first. */
  errorTypes: ErrorTypeStats[];
  /** Newest first, at most 100. */
  recentErrors: RecentError[];
  handlers: string[];
}

/** The counts kept per operation, reported by `stats()` as they are. */
const RUN_COUNTS = [
  'runs',
  'succeeded',
  'errors',
  'recoveryAttempts',
  'recovered',
  'gaveUp',
  'degraded',
  'cancelled',
  'ignored',
  'retries',
  'timeouts',
  'breakerRejections',
  'bulkheadRejections',
] as const;
type RunCounts = Pick<OperationRecoveryStats, (typeof RUN_COUNTS)[number]>;

/** What recovery keeps of one operation: its counts, and the parts its runs use. */
export interface OpState extends RunCounts {
  name: string;
  op: Operation;
  /** The context of a first attempt that has no timeout or signal of its own: shared, frozen. */
  context: RunContext;
  breaker: CircuitBreaker | undefined;
  bulkhead: Bulkhead | undefined;
  lastGood: { value: unknown } | undefined;
  recoveredAfter: Map<number, number>;
  recoverMsSum: number;
  recoverMsMax: number;
}

/** What recovery keeps of one error type. */
export interface TypeState {
  occurrences: number;
  recoveryAttempts: number;
  recovered: number;
  recoveredAfter: Map<number, number>;
  recoverMsSum: number;
  gaveUp: number;
  lastSeenAt: number;
}

const RECENT = 100;

/** The state of an operation before its first run: every count 0, no breaker or bulkhead yet. */
export function opState(name: string, op: Operation): OpState {
  return {
    name,
    op,
    context: plainContext(name, 1),
    breaker: undefined,
    bulkhead: undefined,
    lastGood: undefined,
    ...(Object.fromEntries(RUN_COUNTS.map((k) => [k, 0])) as RunCounts),
    recoveredAfter: new Map(),
    recoverMsSum: 0,
    recoverMsMax: 0,
  };
}

/** The error types, their counts and the recent errors; and the figures of `stats()`. */
export class RecoveryStatistics {
  readonly #types = new Map<string, TypeState>();
  readonly #recent: RecentError[] = [];
  readonly #now: () => number;
  readonly #maxErrorTypes: number;

  constructor(now: () => number, maxErrorTypes: number) {
    this.#now = now;
    this.#maxErrorTypes = maxErrorTypes;
  }

  /** Counts an error under its type (and its operation) and keeps it among the recent ones. */
  noteError(error: unknown, s: OpState | string | null, kind: FailureKind): string {
    const type = errorTypeOf(error);
    const t = this.typeState(type);
    t.occurrences++;
    t.lastSeenAt = this.#now();
    let operation: string | null = null;
    if (typeof s === 'object' && s !== null) {
      s.errors++;
      operation = s.name;
    } else operation = s;
    this.#recent.unshift({
      type,
      operation,
      message: safeMessage(error),
      kind,
      at: new Date(t.lastSeenAt).toISOString(),
    });
    if (this.#recent.length > RECENT) this.#recent.length = RECENT;
    return type;
  }

  /** The state of an error type; past `maxErrorTypes` types, the one they share, `_other`. */
  typeState(type: string): TypeState {
    let t = this.#types.get(type);
    if (t === undefined) {
      const key = this.#types.size >= this.#maxErrorTypes ? '_other' : type;
      t = this.#types.get(key);
      if (t === undefined) {
        t = {
          occurrences: 0,
          recoveryAttempts: 0,
          recovered: 0,
          recoveredAfter: new Map(),
          recoverMsSum: 0,
          gaveUp: 0,
          lastSeenAt: 0,
        };
        this.#types.set(key, t);
      }
    }
    return t;
  }

  /** Counts a run that recovered, under its operation and its error type. */
  noteRecovered(s: OpState, attempts: number, ms: number, type: string): void {
    s.recovered++;
    countUp(s.recoveredAfter, attempts);
    s.recoverMsSum += ms;
    if (ms > s.recoverMsMax) s.recoverMsMax = ms;
    this.typeRecovered(type, attempts, ms);
  }

  /** Counts a recovery under its error type. */
  typeRecovered(type: string, attempts: number, ms: number): void {
    const t = this.typeState(type);
    t.recovered++;
    countUp(t.recoveredAfter, attempts);
    t.recoverMsSum += ms;
  }

  /** The figures of the operations in `states` (each once), the error types and the recent errors. */
  stats(states: Iterable<OpState>, handlers: string[]): RecoveryStats {
    const operations: OperationRecoveryStats[] = [];
    const openBreakers: RecoveryStats['openBreakers'] = [];
    let runs = 0;
    let recovered = 0;
    let gaveUp = 0;
    let degraded = 0;
    let retries = 0;
    for (const s of states) {
      const breaker = s.breaker?.state ?? null;
      if (breaker !== null && breaker !== 'closed') {
        openBreakers.push({ operation: s.name, state: breaker });
      }
      runs += s.runs;
      recovered += s.recovered;
      gaveUp += s.gaveUp;
      degraded += s.degraded;
      retries += s.retries;
      const counts = Object.fromEntries(RUN_COUNTS.map((k) => [k, s[k]])) as RunCounts;
      operations.push({
        operation: s.name,
        ...counts,
        recoveredAfter: byAttempts(s.recoveredAfter),
        meanTimeToRecoverMs: s.recovered === 0 ? 0 : s.recoverMsSum / s.recovered,
        maxTimeToRecoverMs: s.recoverMsMax,
        breaker,
      });
    }
    let recoveryAttempts = 0;
    const errorTypes: ErrorTypeStats[] = [];
    for (const [type, t] of this.#types) {
      recoveryAttempts += t.recoveryAttempts;
      errorTypes.push({
        type,
        occurrences: t.occurrences,
        recoveryAttempts: t.recoveryAttempts,
        recovered: t.recovered,
        recoveredAfter: byAttempts(t.recoveredAfter),
        meanTimeToRecoverMs: t.recovered === 0 ? 0 : t.recoverMsSum / t.recovered,
        gaveUp: t.gaveUp,
        lastSeenAt: new Date(t.lastSeenAt).toISOString(),
      });
    }
    errorTypes.sort((a, b) => b.occurrences - a.occurrences);
    return {
      runs,
      recovered,
      gaveUp,
      degraded,
      retries,
      recoveryAttempts,
      openBreakers,
      operations,
      errorTypes,
      recentErrors: [...this.#recent],
      handlers,
    };
  }
}

function countUp(counts: Map<number, number>, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** A count by number of attempts as JSON: `{ "2": 5, "3": 1 }`. */
function byAttempts(counts: ReadonlyMap<number, number>): Record<string, number> {
  return Object.fromEntries([...counts].map(([attempts, n]) => [String(attempts), n]));
}
