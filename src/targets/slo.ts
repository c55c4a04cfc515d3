import { checkName, checkNumber } from '../core/index.js';

/**
 * A service-level objective: the fraction of calls that must be good. A call
 * is bad when it fails or, with `latencyMs`, when it is slower than that.
 */
export interface SloOptions {
  /** Unique name, e.g. `checkout-latency`. */
  name: string;
  /** Fraction of good calls required, e.g. 0.99 — strictly between 0 and 1. */
  objective: number;
  /** Operation the SLO covers. @defaultValue all operations */
  operation?: string;
  /** Calls slower than this are bad. @defaultValue only failures are bad */
  latencyMs?: number;
  /** Window judged, at most the metrics window; `'lifetime'` for everything since start. @defaultValue the metrics window */
  windowMinutes?: number | 'lifetime';
}

/** A validated {@link SloOptions}. */
export interface Slo {
  readonly name: string;
  readonly objective: number;
  readonly operation: string | undefined;
  readonly latencyMs: number | undefined;
  readonly windowMinutes: number | 'lifetime' | undefined;
}

/** Where an SLO stands. Fractions are 0..1 except where said. */
export interface SloStatus {
  name: string;
  operation: string | null;
  objective: number;
  latencyMs: number | null;
  /** Window judged in ms; `null` for lifetime. */
  windowMs: number | null;
  total: number;
  good: number;
  bad: number;
  /** Fraction of good calls (1 with no calls). */
  sli: number;
  /** Bad calls the objective allows in this window: `(1 - objective) × total`. */
  errorBudget: number;
  /** Share of the error budget left: 1 untouched, 0 spent, negative overspent. */
  errorBudgetRemaining: number;
  /** How fast the budget burns: 1 spends it exactly over the window, 2 twice as fast. */
  burnRate: number;
  meetingObjective: boolean;
}

/**
 * Validates an SLO definition.
 * @throws RangeError or TypeError naming the bad field
 */
export function defineSlo(options: SloOptions): Slo {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('an SLO must be an object with name and objective');
  }
  const name = checkName(options.name, 'slo.name');
  const objective = checkNumber(options.objective, `slo "${name}".objective`, 0, 1);
  if (objective <= 0 || objective >= 1) {
    throw new RangeError(
      `slo "${name}".objective must be strictly between 0 and 1, got ${objective}`,
    );
  }
  const w = options.windowMinutes;
  if (w !== undefined && w !== 'lifetime')
    checkNumber(w, `slo "${name}".windowMinutes`, Number.MIN_VALUE);
  return Object.freeze({
    name,
    objective,
    operation:
      options.operation === undefined
        ? undefined
        : checkName(options.operation, `slo "${name}".operation`),
    latencyMs:
      options.latencyMs === undefined
        ? undefined
        : checkNumber(options.latencyMs, `slo "${name}".latencyMs`, Number.MIN_VALUE),
    windowMinutes: w,
  });
}

/** Computes where an SLO stands from the calls in its window. */
export function sloStatus(
  slo: Slo,
  counts: { total: number; bad: number },
  windowMs: number | null,
): SloStatus {
  const { total, bad } = counts;
  const allowed = (1 - slo.objective) * total;
  const badFraction = total === 0 ? 0 : bad / total;
  return {
    name: slo.name,
    operation: slo.operation ?? null,
    objective: slo.objective,
    latencyMs: slo.latencyMs ?? null,
    windowMs,
    total,
    good: total - bad,
    bad,
    sli: total === 0 ? 1 : (total - bad) / total,
    errorBudget: allowed,
    errorBudgetRemaining: total === 0 ? 1 : Math.round((1 - bad / allowed) * 1e9) / 1e9,
    burnRate: badFraction / (1 - slo.objective),
    // The tolerance lets 0.9 × 100 allow exactly 10 bad calls despite binary fractions.
    meetingObjective: total === 0 || bad <= allowed * (1 + 1e-9),
  };
}
