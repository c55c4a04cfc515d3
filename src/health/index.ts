export type { HealthSource } from './builtin-checks.js';
export { builtInChecks } from './builtin-checks.js';
export { backupLate, diskFree, heapGrowth, loopBlocked } from './conditions.js';
export type {
  CheckGroup,
  CheckOptions,
  CheckOutcome,
  CheckResult,
  HealthCheck,
  HealthReport,
  HealthStatus,
} from './health-checks.js';
export { aggregate, HealthChecks, worse } from './health-checks.js';
export type { RuntimeRuleInput } from './recommendations.js';
export { runtimeRecommendations } from './recommendations.js';
export type { HealthThresholds, ResolvedThresholds } from './thresholds.js';
export { resolveThresholds } from './thresholds.js';
