import { bySeverity, type Recommendation } from '../core/index.js';
import type {
  AggregateStats,
  KindStats,
  OperationStats,
  OperationsSnapshot,
} from '../metrics/index.js';
import type { RecoveryFinding } from '../recovery/index.js';
import type { RuntimeWindowSummary } from '../runtime/index.js';
import {
  type CapacityFinding,
  findViolations,
  type MetricOverflowFinding,
  type ResolvedTarget,
  recommend,
  type SloStatus,
  type Targets,
  type Violation,
} from '../targets/index.js';

/** One operation in the report: its figures, its target and the verdict. */
export interface OperationReport extends OperationStats {
  target: ResolvedTarget;
  /** `null` while the operation has fewer calls than `target.minSamples`. */
  meetingTarget: boolean | null;
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
  /**
   * The process over the window (event-loop blocks with the worst and its
   * time, delay, GC, heap after GC); `null` when sampling is off.
   */
  runtime: RuntimeWindowSummary | null;
  /** One sentence per recommendation, most severe first (seed: `recommendations`). */
  recommendations: string[];
  recommendationDetails: Recommendation[];
}

/** Everything a report is built from: each capability's findings, as plain data. */
export interface ReportInput {
  snapshot: OperationsSnapshot;
  targets: Targets;
  slos: readonly SloStatus[];
  capacity: readonly CapacityFinding[];
  metricOverflows: readonly MetricOverflowFinding[];
  generatedAt: Date;
  /** Recovery's figures and recommendations, merged into the report's. */
  recovery?: { finding: RecoveryFinding; recommendations: readonly Recommendation[] };
  /** The runtime window's figures. */
  runtime?: RuntimeWindowSummary;
  /** More recommendations to merge (runtime, backups, capacity trends). */
  extraRecommendations?: readonly Recommendation[];
}

/** Judges every operation and SLO and gathers the recommendations, most severe first. */
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
  const details = bySeverity([
    ...recommend(input),
    ...(input.recovery?.recommendations ?? []),
    ...(input.extraRecommendations ?? []),
  ]);
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
    runtime: input.runtime ?? null,
    recommendations: details.map((r) => r.message),
    recommendationDetails: details,
  };
}
