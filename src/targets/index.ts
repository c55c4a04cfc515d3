export type {
  CapacityFinding,
  Evidence,
  MetricOverflowFinding,
  Recommendation,
  RuleInput,
  Severity,
} from './recommendations.js';
export {
  FEW_CALLS,
  formatMinutes,
  formatMs,
  judged,
  recommend,
  windowLabel,
} from './recommendations.js';
export type { OperationReport, PerformanceReport, ReportInput, Violation } from './report.js';
export { buildReport, findViolations } from './report.js';
export type { Slo, SloOptions, SloStatus } from './slo.js';
export { defineSlo, sloStatus } from './slo.js';
export type { ResolvedTarget, Target, TargetPercentile, TargetsOptions } from './targets.js';
export { DEFAULT_TARGET, Targets } from './targets.js';
