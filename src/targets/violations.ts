import type { Severity } from '../core/index.js';
import type { OperationsSnapshot } from '../metrics/index.js';
import { judged } from './recommendations.js';
import type { SloStatus } from './slo.js';
import type { Targets } from './targets.js';

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
