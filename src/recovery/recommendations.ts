import type { Recommendation } from '../core/index.js';
import type { OperationRecoveryStats, RecoveryStats } from './recovery-statistics.js';

/** What the report shows of recovery. */
export interface RecoveryFinding {
  runs: number;
  recovered: number;
  gaveUp: number;
  degraded: number;
  retries: number;
  openBreakers: RecoveryStats['openBreakers'];
  /** The most frequent error types, at most 5. */
  topErrorTypes: Array<{ type: string; occurrences: number; share: number }>;
}

/** Runs with at least one failure below which the give-up rate is not judged. */
export const FEW_FAILING_RUNS = 5;
/** Share of all errors above which one type counts as dominating. */
export const DOMINANT_SHARE = 0.5;
/** Errors below which no type is said to dominate. */
export const FEW_ERRORS = 10;

const LIFETIME = { window: 'lifetime', windowMs: null } as const;

/**
 * An operation whose failing runs (at least {@link FEW_FAILING_RUNS}) gave up
 * or fell back at `minRate` or more; `undefined` otherwise.
 */
export function giveUps(
  op: OperationRecoveryStats,
  minRate: number,
): { rate: number; lost: number; failing: number } | undefined {
  const failing = op.recovered + op.gaveUp + op.degraded;
  if (failing < FEW_FAILING_RUNS) return undefined;
  const lost = op.gaveUp + op.degraded;
  const rate = lost / failing;
  return rate >= minRate ? { rate, lost, failing } : undefined;
}

/** The recovery part of the report and its recommendations. */
export function recoveryRecommendations(stats: RecoveryStats): {
  finding: RecoveryFinding;
  recommendations: Recommendation[];
} {
  const out: Recommendation[] = [];
  for (const b of stats.openBreakers) {
    out.push({
      id: `breaker-open:${b.operation}`,
      severity: 'critical',
      title: `Circuit breaker of ${b.operation} is ${b.state}`,
      message:
        b.state === 'isolated'
          ? `The circuit breaker of ${b.operation} was isolated by hand: every call fails fast.`
          : `The circuit breaker of ${b.operation} is ${b.state}: calls fail fast while its dependency recovers.`,
      evidence: {
        metric: 'breakerOpen',
        value: 1,
        threshold: 0,
        window: 'now',
        windowMs: null,
        operation: b.operation,
      },
      action:
        b.state === 'isolated'
          ? 'reset() the breaker once the maintenance is over'
          : 'check the dependency behind it; the breaker closes by itself after a successful trial call',
    });
  }
  const open = new Set(stats.openBreakers.map((b) => b.operation));
  for (const op of stats.operations) {
    if (open.has(op.operation)) continue; // its open breaker already says it: one recommendation
    const givingUp = giveUps(op, 0.5);
    if (givingUp === undefined) continue;
    const { rate, lost, failing: failingRuns } = givingUp;
    out.push({
      id: `recovery-failing:${op.operation}`,
      severity: rate >= 0.9 ? 'critical' : 'warning',
      title: `Recovery of ${op.operation} is failing`,
      message: `${op.operation}: ${Math.round(rate * 100)}% of its failing runs gave up or fell back (${lost} of ${failingRuns}); retries are not helping.`,
      evidence: {
        metric: 'giveUpRate',
        value: rate,
        threshold: 0.5,
        ...LIFETIME,
        operation: op.operation,
      },
      action:
        'look at its recent errors: permanent failures need a fix, not retries; raise the retry budget only for transient ones',
    });
  }
  const total = stats.errorTypes.reduce((sum, t) => sum + t.occurrences, 0);
  const top = stats.errorTypes[0];
  if (top !== undefined && total >= FEW_ERRORS && stats.errorTypes.length > 1) {
    const share = top.occurrences / total;
    if (share >= DOMINANT_SHARE) {
      out.push({
        id: `error-type-dominating:${top.type}`,
        severity: 'warning',
        title: `${top.type} dominates the errors`,
        message: `${top.type} is ${Math.round(share * 100)}% of all errors (${top.occurrences} of ${total}).`,
        evidence: { metric: 'errorShare', value: share, threshold: DOMINANT_SHARE, ...LIFETIME },
        action: `fix the cause of ${top.type} first: it is most of the failures`,
      });
    }
  }
  return { finding: recoveryFinding(stats), recommendations: out };
}

/** What the report and health show of recovery: totals, open breakers, top error types. */
export function recoveryFinding(stats: RecoveryStats): RecoveryFinding {
  const total = stats.errorTypes.reduce((sum, t) => sum + t.occurrences, 0);
  return {
    runs: stats.runs,
    recovered: stats.recovered,
    gaveUp: stats.gaveUp,
    degraded: stats.degraded,
    retries: stats.retries,
    openBreakers: stats.openBreakers,
    topErrorTypes: stats.errorTypes.slice(0, 5).map((t) => ({
      type: t.type,
      occurrences: t.occurrences,
      share: total === 0 ? 0 : t.occurrences / total,
    })),
  };
}
