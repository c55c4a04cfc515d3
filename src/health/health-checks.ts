import {
  type Clock,
  checkDurationMs,
  checkName,
  describe,
  safeMessage,
  systemClock,
} from '../core/index.js';

/** Health of one check or of everything. Order of severity: DOWN > DEGRADED > UNKNOWN > UP. */
export type HealthStatus = 'UP' | 'DEGRADED' | 'DOWN' | 'UNKNOWN';

/** What a check says. */
export interface CheckResult {
  status: HealthStatus;
  /** One short sentence; shown as a reason when not UP. */
  message?: string;
  /** Figures the check looked at. */
  details?: Record<string, unknown>;
}

/**
 * A health check: returns (or resolves to) a {@link CheckResult}, `true`/
 * nothing for UP, or `false` for DOWN. A throw is DOWN with its message.
 */
export type HealthCheck = (context: {
  signal: AbortSignal;
}) => CheckResult | boolean | undefined | Promise<CheckResult | boolean | undefined>;

/** Which probe a check belongs to. Liveness never holds external checks. */
export type CheckGroup = 'liveness' | 'readiness';

/** Options of {@link HealthChecks.register}. */
export interface CheckOptions {
  /** Longest the check may take; then it is UNKNOWN and its signal aborts. @defaultValue 2_000 */
  timeoutMs?: number;
  /** A non-critical check that is DOWN makes the whole DEGRADED, not DOWN. @defaultValue true */
  critical?: boolean;
  /**
   * Reuse a result for this long (ms). Past it, a probe still gets the last
   * result at once while the check runs again in the background (stale while
   * revalidate), so a probe never waits on a slow dependency once the check
   * has answered. @defaultValue 0 (run on every probe)
   */
  cacheTtlMs?: number;
}

/** One check's outcome in a report. */
export interface CheckOutcome extends CheckResult {
  name: string;
  group: CheckGroup;
  critical: boolean;
  /** Built into Keel (latency, errors, backups, …) or registered by the app. */
  builtIn: boolean;
  durationMs: number;
  /** True when the result came from the cache. */
  cached: boolean;
  /** ISO time the result was produced. */
  checkedAt: string;
}

/** The result of {@link HealthChecks.run}. */
export interface HealthReport {
  status: HealthStatus;
  /** Status of the liveness checks alone, and of all (readiness). */
  liveness: HealthStatus;
  readiness: HealthStatus;
  /** The messages of the checks that are not UP, worst first. */
  reasons: string[];
  checks: CheckOutcome[];
  checkedAt: string;
  durationMs: number;
}

interface Entry {
  name: string;
  check: HealthCheck;
  group: CheckGroup;
  critical: boolean;
  builtIn: boolean;
  timeoutMs: number;
  cacheTtlMs: number;
  cached: { at: number; outcome: CheckOutcome } | undefined;
  /** The run in progress: concurrent probes share it. */
  inflight: Promise<CheckOutcome> | undefined;
}

const RANK: Record<HealthStatus, number> = { UP: 0, UNKNOWN: 1, DEGRADED: 2, DOWN: 3 };

/** The more severe of two statuses (DOWN > DEGRADED > UNKNOWN > UP). */
export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The status a check adds to the whole: a non-critical DOWN counts as DEGRADED. */
function weight(o: CheckOutcome): HealthStatus {
  return !o.critical && o.status === 'DOWN' ? 'DEGRADED' : o.status;
}

/** Folds outcomes into one status; UP when there are none. */
export function aggregate(outcomes: readonly CheckOutcome[]): HealthStatus {
  let status: HealthStatus = 'UP';
  for (const o of outcomes) status = worse(status, weight(o));
  return status;
}

/**
 * The health checks of a monitor (`monitor.health`): Keel's built-in checks
 * and the app's own, run in parallel, each with its own timeout (timed out →
 * UNKNOWN) and optional cache, so a probe never waits on a slow dependency.
 *
 * @example
 * monitor.health.register('database', async ({ signal }) => {
 *   await db.ping({ signal });
 *   return { status: 'UP' };
 * }, { timeoutMs: 500, cacheTtlMs: 5_000 });
 * const report = await monitor.checkHealth();
 */
export class HealthChecks {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /**
   * Registers an app check (always in the readiness group: liveness never
   * depends on external checks).
   * @returns a Disposable that unregisters it
   * @throws Error when the name is taken; RangeError/TypeError for bad options
   */
  register(name: string, check: HealthCheck, options: CheckOptions = {}): Disposable {
    return this.#add(name, check, options, 'readiness', false);
  }

  /** @internal a check of Keel's own (it may be in the liveness group). */
  registerBuiltIn(name: string, check: HealthCheck, group: CheckGroup): void {
    this.#add(name, check, { timeoutMs: 1_000 }, group, true);
  }

  /** Removes an app check. @returns whether there was one */
  unregister(name: string): boolean {
    const e = this.#entries.get(name);
    if (e === undefined || e.builtIn) return false;
    return this.#entries.delete(name);
  }

  /** Names of every check. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Runs the checks of `group` (liveness: Keel's process checks only;
   * readiness: every check) in parallel. Never throws.
   */
  async run(group: CheckGroup = 'readiness'): Promise<HealthReport> {
    const started = this.#clock.now();
    const entries = [...this.#entries.values()].filter(
      (e) => group === 'readiness' || e.group === 'liveness',
    );
    const checks = await Promise.all(entries.map((e) => this.#runOne(e)));
    const out = report(checks, new Date().toISOString(), this.#clock.now() - started);
    if (group === 'liveness') {
      // Readiness still covers every check: the others as they last stood.
      const others = this.latest().checks.filter((c) => c.group !== 'liveness');
      out.readiness = aggregate([...checks, ...others]);
    }
    return out;
  }

  /**
   * The latest outcome of every check without running the async ones:
   * built-in checks run now (they are synchronous and cheap); app checks
   * give their last result, or UNKNOWN if never run.
   */
  latest(): HealthReport {
    const started = this.#clock.now();
    const checks: CheckOutcome[] = [];
    for (const e of this.#entries.values()) {
      if (e.builtIn) {
        const at = this.#clock.now();
        try {
          checks.push(
            outcome(e, normalise(e.check({ signal: NEVER }) as never), at, this.#clock.now()),
          );
        } catch (error) {
          checks.push(outcome(e, failed(error), at, this.#clock.now()));
        }
      } else {
        checks.push(
          (e.cached === undefined ? undefined : { ...e.cached.outcome, cached: true }) ?? {
            ...outcome(e, { status: 'UNKNOWN', message: `${e.name} has not run yet` }, 0, 0),
            checkedAt: new Date(0).toISOString(),
          },
        );
      }
    }
    return report(checks, new Date().toISOString(), this.#clock.now() - started);
  }

  #add(
    name: string,
    check: HealthCheck,
    options: CheckOptions,
    group: CheckGroup,
    builtIn: boolean,
  ): Disposable {
    checkName(name, 'name');
    if (typeof check !== 'function') {
      throw new TypeError(`check must be a function, got ${describe(check)}`);
    }
    if (this.#entries.has(name)) {
      throw new Error(`a health check named "${name}" is already registered; unregister it first`);
    }
    const timeoutMs = checkDurationMs(options.timeoutMs ?? 2_000, 'timeoutMs');
    if (timeoutMs === 0) throw new RangeError('timeoutMs must be > 0, got 0');
    const cacheTtlMs = checkDurationMs(options.cacheTtlMs ?? 0, 'cacheTtlMs');
    const critical = options.critical ?? true;
    if (typeof critical !== 'boolean') {
      throw new TypeError(`critical must be a boolean, got ${describe(critical)}`);
    }
    this.#entries.set(name, {
      name,
      check,
      group,
      critical,
      builtIn,
      timeoutMs,
      cacheTtlMs,
      cached: undefined,
      inflight: undefined,
    });
    return { [Symbol.dispose]: () => void this.unregister(name) };
  }

  #runOne(e: Entry): Promise<CheckOutcome> {
    const cached = e.cached;
    if (cached !== undefined && e.cacheTtlMs > 0) {
      if (this.#clock.now() - cached.at >= e.cacheTtlMs) this.#refresh(e); // in the background
      return Promise.resolve({ ...cached.outcome, cached: true });
    }
    return this.#refresh(e);
  }

  /** Runs a check, or joins the run already in progress. */
  #refresh(e: Entry): Promise<CheckOutcome> {
    if (e.inflight === undefined) {
      e.inflight = this.#execute(e).finally(() => {
        e.inflight = undefined;
      });
    }
    return e.inflight;
  }

  async #execute(e: Entry): Promise<CheckOutcome> {
    const now = this.#clock.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`${e.name} timed out`));
        resolve({
          status: 'UNKNOWN',
          message: `${e.name} did not answer within ${e.timeoutMs} ms`,
        });
      }, e.timeoutMs);
    });
    let result: CheckResult;
    try {
      result = await Promise.race([
        Promise.resolve()
          .then(() => e.check({ signal: controller.signal }))
          .then(normalise, failed),
        timedOut,
      ]);
    } finally {
      clearTimeout(timer);
    }
    const done = outcome(e, result, now, this.#clock.now());
    e.cached = { at: now, outcome: done };
    return done;
  }
}

const NEVER = new AbortController().signal;

function normalise(value: CheckResult | boolean | undefined): CheckResult {
  if (value === undefined || value === true) return { status: 'UP' };
  if (value === false) return { status: 'DOWN', message: 'the check answered false' };
  if (typeof value === 'object' && value !== null && value.status in RANK) return value;
  return { status: 'UNKNOWN', message: `the check answered ${describe(value)}, not a CheckResult` };
}

function failed(error: unknown): CheckResult {
  return { status: 'DOWN', message: safeMessage(error) };
}

function outcome(e: Entry, r: CheckResult, startedAt: number, endedAt: number): CheckOutcome {
  return {
    name: e.name,
    group: e.group,
    critical: e.critical,
    builtIn: e.builtIn,
    status: r.status,
    ...(r.message === undefined ? {} : { message: r.message }),
    ...(r.details === undefined ? {} : { details: r.details }),
    durationMs: Math.max(0, endedAt - startedAt),
    cached: false,
    checkedAt: new Date().toISOString(),
  };
}

function report(checks: CheckOutcome[], checkedAt: string, durationMs: number): HealthReport {
  const liveness = aggregate(checks.filter((c) => c.group === 'liveness'));
  const readiness = aggregate(checks);
  const reasons = checks
    .filter((c) => c.status !== 'UP')
    .sort((a, b) => RANK[weight(b)] - RANK[weight(a)])
    .map((c) => `${c.name}: ${c.message ?? c.status}`);
  return { status: readiness, liveness, readiness, reasons, checks, checkedAt, durationMs };
}
