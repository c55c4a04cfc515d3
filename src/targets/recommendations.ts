import {
  bySeverity,
  formatMinutes,
  formatMs,
  formatPercent as pct,
  type Recommendation,
  windowLabel,
} from '../core/index.js';
import type { OperationOverflow, OperationStats, OperationsSnapshot } from '../metrics/index.js';
import type { SloStatus } from './slo.js';
import type { ResolvedTarget, Targets } from './targets.js';

/** A capacity resource as the report sees it. */
export interface CapacityFinding {
  name: string;
  count: number;
  limit: number;
  utilization: number;
  state: 'ok' | 'warning' | 'exceeded';
  /** Time until the limit at the current growth rate, ms, when known and growing. */
  timeLeftMs?: number | null;
}

/** A custom metric that dropped label sets past its series limit. */
export interface MetricOverflowFinding {
  metric: string;
  overflowCount: number;
  limit: number;
}

/** Everything the rules look at. */
export interface RuleInput {
  snapshot: OperationsSnapshot;
  targets: Targets;
  slos: readonly SloStatus[];
  capacity: readonly CapacityFinding[];
  metricOverflows: readonly MetricOverflowFinding[];
}

const MAX_PER_RULE = 5;

const NOW = { window: 'now', windowMs: null } as const;

const ACTION_BY_KIND: Record<string, string> = {
  db: 'check the query plan (missing index, N+1 queries), batch writes and keep transactions short',
  http: 'set a timeout, cache responses that allow it, and call the dependency in parallel or off the request path',
  fs: 'stream large files, avoid synchronous fs calls, and move bulk I/O off the request path',
};

function slowAction(op: OperationStats): string {
  return (
    ACTION_BY_KIND[op.kind] ??
    'profile it (node --cpu-prof) for synchronous work that blocks the event loop, and cache or precompute what repeats'
  );
}

/** Operations with enough calls to be judged against their target. */
export function judged(
  snapshot: OperationsSnapshot,
  targets: Targets,
): Array<[OperationStats, ResolvedTarget]> {
  return snapshot.operations
    .map((op): [OperationStats, ResolvedTarget] => [op, targets.for(op.name)])
    .filter(([op, t]) => op.count >= t.minSamples);
}

function slowOperations(
  input: RuleInput,
  judgedOps: Array<[OperationStats, ResolvedTarget]>,
): Recommendation[] {
  const { snapshot } = input;
  return judgedOps
    .filter(([op, t]) => op[t.metric] > t.latencyMs)
    .sort(([a], [b]) => b.shareOfTotalTime - a.shareOfTotalTime)
    .slice(0, MAX_PER_RULE)
    .map(([op, t]) => ({
      id: `slow-operation:${op.name}`,
      severity: op[t.metric] > 2 * t.latencyMs ? 'critical' : 'warning',
      title: `${op.name} is slower than its target`,
      message:
        `Optimize ${op.name}: P${t.percentile} ${formatMs(op[t.metric])} is over the ${formatMs(t.latencyMs)} target ` +
        `and it takes ${pct(op.shareOfTotalTime)} of all measured time (${op.count} calls, kind ${op.kind}).`,
      evidence: {
        metric: t.metric,
        value: op[t.metric],
        threshold: t.latencyMs,
        window: windowLabel(snapshot.windowMs),
        windowMs: snapshot.windowMs,
        operation: op.name,
      },
      action: slowAction(op),
    }));
}

function highErrorRate(
  input: RuleInput,
  judgedOps: Array<[OperationStats, ResolvedTarget]>,
): Recommendation[] {
  const { snapshot } = input;
  return judgedOps
    .filter(([op, t]) => op.errorRate > t.maxErrorRate)
    .sort(([a], [b]) => b.errorCount - a.errorCount)
    .slice(0, MAX_PER_RULE)
    .map(([op, t]) => ({
      id: `high-error-rate:${op.name}`,
      severity: op.errorRate >= 0.1 ? 'critical' : 'warning',
      title: `${op.name} fails too often`,
      message:
        `Reduce failures of ${op.name}: ${pct(op.errorRate)} of ${op.count} calls failed, ` +
        `over the ${pct(t.maxErrorRate)} target.`,
      evidence: {
        metric: 'errorRate',
        value: op.errorRate,
        threshold: t.maxErrorRate,
        window: windowLabel(snapshot.windowMs),
        windowMs: snapshot.windowMs,
        operation: op.name,
      },
      action:
        'look at the errors behind it; retry only transient failures, and register a recovery handler for the error type',
    }));
}

/** Share of an SLO's error budget left below which it is reported as burning. */
export const SLO_BUDGET_WARNING = 0.5;

function sloBudget(input: RuleInput): Recommendation[] {
  return input.slos
    .filter((s) => s.total > 0 && s.errorBudgetRemaining < SLO_BUDGET_WARNING)
    .map((s) => ({
      id: `slo-budget:${s.name}`,
      severity: s.meetingObjective ? 'warning' : 'critical',
      title: `SLO ${s.name} is burning its error budget`,
      message:
        `SLO ${s.name} ${s.meetingObjective ? `has used ${pct(1 - s.errorBudgetRemaining)} of` : 'has spent'} ` +
        `its error budget: ${s.bad} of ${s.total} calls were bad against an objective of ` +
        `${pct(s.objective)} (burn rate ${s.burnRate.toFixed(1)}×).`,
      evidence: {
        metric: 'errorBudgetRemaining',
        value: s.errorBudgetRemaining,
        threshold: SLO_BUDGET_WARNING,
        window: windowLabel(s.windowMs),
        windowMs: s.windowMs,
        ...(s.operation === null ? {} : { operation: s.operation }),
      },
      action: 'slow down risky changes and fix the slowest or failing calls this SLO covers first',
    }));
}

function operationOverflow(overflow: OperationOverflow): Recommendation[] {
  if (overflow.rejectedNames === 0) return [];
  const sample = overflow.sampleNames.slice(0, 3).join('", "');
  return [
    {
      id: 'operation-cardinality',
      severity: 'warning',
      title: 'Too many distinct operation names',
      message:
        `Use fewer operation names: more than ${overflow.limit} were used, so ${overflow.rejectedNames} more ` +
        `(e.g. "${sample}") are counted together as "_other". Names should not carry ids.`,
      evidence: {
        metric: 'operations',
        value: overflow.limit + overflow.rejectedNames,
        threshold: overflow.limit,
        // Refused names are counted since start, not per window.
        window: 'lifetime',
        windowMs: null,
      },
      action:
        'name operations by route or task template (GET /customers/:id), not by instance, or raise maxOperations',
    },
  ];
}

function metricOverflow(findings: readonly MetricOverflowFinding[]): Recommendation[] {
  return findings
    .filter((f) => f.overflowCount > 0)
    .map((f) => ({
      id: `metric-cardinality:${f.metric}`,
      severity: 'warning',
      title: `Metric ${f.metric} has too many label sets`,
      message:
        `Use fewer label values on ${f.metric}: past ${f.limit} series, ${f.overflowCount} updates went to its ` +
        '"__overflow__" series.',
      evidence: {
        metric: 'overflowCount',
        value: f.overflowCount,
        threshold: 0,
        window: 'lifetime',
        windowMs: null,
      },
      action: 'drop labels that carry ids (user, order, request) or raise maxSeriesPerMetric',
    }));
}

function capacity(findings: readonly CapacityFinding[]): Recommendation[] {
  return findings
    .filter((c) => c.state !== 'ok')
    .map((c) => ({
      id: `capacity:${c.name}`,
      severity: c.state === 'exceeded' ? 'critical' : 'warning',
      title: `${c.name} ${c.state === 'exceeded' ? 'at' : 'near'} its limit`,
      message:
        c.state === 'exceeded'
          ? `Capacity of ${c.name} is at its limit: ${c.count} of ${c.limit} (${pct(c.utilization)}).`
          : `Capacity of ${c.name} is nearing its limit: ${c.count} of ${c.limit} (${pct(c.utilization)})${
              typeof c.timeLeftMs === 'number'
                ? `; at the current growth it is reached in about ${formatMinutes(c.timeLeftMs)}`
                : ''
            }.`,
      evidence: { metric: c.name, value: c.count, threshold: c.limit, ...NOW },
      action:
        'archive or shard old records, or raise the limit after a load test shows the system copes',
    }));
}

/** Below this many calls in the window, figures are reported as provisional. */
export const FEW_CALLS = 20;

function notEnoughData(input: RuleInput): Recommendation[] {
  const { snapshot, targets } = input;
  const unjudged = snapshot.operations.filter(
    (op) => op.count > 0 && op.count < targets.for(op.name).minSamples,
  );
  const calls = snapshot.overall.count;
  if (calls >= FEW_CALLS && unjudged.length === 0) return [];
  const names = unjudged.slice(0, 3).map((op) => `${op.name} (${op.count})`);
  const message =
    unjudged.length > 0
      ? `Not enough data yet to judge ${names.join(', ')}${unjudged.length > 3 ? ` and ${unjudged.length - 3} more` : ''}: ` +
        "they have fewer calls in the window than their target's minSamples."
      : `Not enough data yet: ${calls} calls measured in the window; figures firm up from ${FEW_CALLS}.`;
  return [
    {
      id: 'not-enough-data',
      severity: 'info',
      title: 'Not enough data yet',
      message,
      evidence: {
        metric: 'count',
        value: unjudged.length > 0 ? unjudged[0]!.count : calls,
        threshold: unjudged.length > 0 ? targets.for(unjudged[0]!.name).minSamples : FEW_CALLS,
        window: windowLabel(snapshot.windowMs),
        windowMs: snapshot.windowMs,
        ...(unjudged.length > 0 ? { operation: unjudged[0]!.name } : {}),
      },
      action: 'measure more operations (measureOperation, startTimer) or wait for traffic',
    },
  ];
}

/** Runs every rule; most severe first. Each id appears once. */
export function recommend(input: RuleInput): Recommendation[] {
  const judgedOps = judged(input.snapshot, input.targets);
  const all = [
    ...slowOperations(input, judgedOps),
    ...highErrorRate(input, judgedOps),
    ...sloBudget(input),
    ...capacity(input.capacity),
    ...operationOverflow(input.snapshot.overflow),
    ...metricOverflow(input.metricOverflows),
    ...notEnoughData(input),
  ];
  return bySeverity(all);
}
