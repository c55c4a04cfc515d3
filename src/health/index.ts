export type { HealthSource, HealthThresholds, ResolvedThresholds } from './builtin-checks.js';
export { builtInChecks, heapGrowth, resolveThresholds } from './builtin-checks.js';
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
export type { CapacityTrend } from './recommendations.js';
export { CapacityHistory, runtimeRecommendations } from './recommendations.js';
