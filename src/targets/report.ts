import type {
  AggregateStats,
  KindStats,
  OperationStats,
  OperationsSnapshot,
} from '../metrics/index.js';
import type { RecoveryFinding } from '../recovery/recommendations.js';
import {
  type CapacityFinding,
  judged,
  type MetricOverflowFinding,
  type Recommendation,
  recommend,
  SEVERITY_ORDER,
  type Severity,
} from './recommendations.js';
import type { SloStatus } from './slo.js';
import type { ResolvedTarget, Targets } from './targets.js';

/** One operation in the report: its figures, its target and the verdict. */
export interface OperationReport extends OperationStats {
  target: ResolvedTarget;
  /** `null` while the operation has fewer calls than `target.minSamples`. */
  meetingTarget: boolean | null;
}

/** A target that is not met. */
export interface Violation {
  /** `null` for an SLO over all operations. */
  operation: string | null;
  metric: string;
  value: number;
  threshold: number;
  severity: Severity;
  /** Set for SLO violations. */
  slo?: string;
}

/** The performance report (seed: `get_performance_report`). */
export interface PerformanceReport {
  /** ISO time of the report. */
  generatedAt: string;
  /** Window the figures cover, in ms; `null` for lifetime. */
  windowMs: number | null;
  /** True when no judged operation misses its target and no SLO budget is spent. */
  meetingTargets: boolean;
  overall: AggregateStats;
  /** Sorted by total time, largest first. */
  operations: OperationReport[];
  byKind: KindStats[];
  violations: Violation[];
  slos: SloStatus[];
  capacity: CapacityFinding[];
  /** What error recovery did; `null` when the report was built without it. */
  recovery: RecoveryFinding | null;
  /** One sentence per recommendation, most severe first (seed: `recommendations`). */
  recommendations: string[];
  recommendationDetails: Recommendation[];
}

/** Everything a report is built from. */
export interface ReportInput {
  snapshot: OperationsSnapshot;
  targets: Targets;
  slos: readonly SloStatus[];
  capacity: readonly CapacityFinding[];
  metricOverflows: readonly MetricOverflowFinding[];
  generatedAt: Date;
  /** Recovery's figures and recommendations, merged into the report's. */
  recovery?: { finding: RecoveryFinding; recommendations: readonly Recommendation[] };
  /** More recommendations to merge (runtime, backups, capacity trends). */
  extraRecommendations?: readonly Recommendation[];
}

/** The targets and SLOs that are not met, per operation and SLO. */
export function findViolations(
  snapshot: OperationsSnapshot,
  targets: Targets,
  slos: readonly SloStatus[],
): Violation[] {
  const violations: Violation[] = [];
  for (const [op, t] of judged(snapshot, targets)) {
    if (op[t.metric] > t.latencyMs) {
      violations.push({
        operation: op.name,
        metric: t.metric,
        value: op[t.metric],
        threshold: t.latencyMs,
        severity: op[t.metric] > 2 * t.latencyMs ? 'critical' : 'warning',
      });
    }
    if (op.errorRate > t.maxErrorRate) {
      violations.push({
        operation: op.name,
        metric: 'errorRate',
        value: op.errorRate,
        threshold: t.maxErrorRate,
        severity: op.errorRate >= 0.1 ? 'critical' : 'warning',
      });
    }
  }
  for (const s of slos) {
    if (!s.meetingObjective) {
      violations.push({
        operation: s.operation,
        metric: 'errorBudgetRemaining',
        value: s.errorBudgetRemaining,
        threshold: 0,
        severity: 'critical',
        slo: s.name,
      });
    }
  }
  return violations;
}

/** Judges every operation and SLO and gathers the recommendations. */
export function buildReport(input: ReportInput): PerformanceReport {
  const { snapshot, targets } = input;
  const violations = findViolations(snapshot, targets, input.slos);
  // An operation's own verdict is about its target; SLOs are judged on their own.
  const failing = new Set(violations.filter((v) => v.slo === undefined).map((v) => v.operation));
  const operations: OperationReport[] = snapshot.operations.map((op) => {
    const target = targets.for(op.name);
    return {
      ...op,
      target,
      meetingTarget: op.count < target.minSamples ? null : !failing.has(op.name),
    };
  });
  const details = [
    ...recommend(input),
    ...(input.recovery?.recommendations ?? []),
    ...(input.extraRecommendations ?? []),
  ].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return {
    generatedAt: input.generatedAt.toISOString(),
    windowMs: snapshot.windowMs,
    meetingTargets: violations.length === 0,
    overall: snapshot.overall,
    operations,
    byKind: snapshot.byKind,
    violations,
    slos: [...input.slos],
    capacity: [...input.capacity],
    recovery: input.recovery?.finding ?? null,
    recommendations: details.map((r) => r.message),
    recommendationDetails: details,
  };
}
