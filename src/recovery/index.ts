export type { RunContext } from './attempt-context.js';
export type {
  Admission,
  BreakerOptions,
  BreakerSnapshot,
  BreakerState,
  BreakerTransition,
} from './breaker.js';
export { CircuitBreaker } from './breaker.js';
export type { BulkheadOptions } from './bulkhead.js';
export { Bulkhead } from './bulkhead.js';
export type { Classifier, FailureKind } from './classify.js';
export { classifyFailure, errorTypeOf, safeMessage, TRANSIENT_ERROR_CODES } from './classify.js';
export type {
  ErrorHandler,
  ErrorMatch,
  HandlerContext,
  HandlerOptions,
  RecoverContext,
  RecoveryResult,
} from './handlers.js';
export { HandlerRegistry } from './handlers.js';
export type { RecoveryFinding } from './recommendations.js';
export { giveUps, recoveryFinding, recoveryRecommendations } from './recommendations.js';
export type { RecoveryOptions } from './recovery.js';
export { Recovery } from './recovery.js';
export type { GaveUpEvent, RecoveredEvent } from './recovery-events.js';
export type {
  ErrorTypeStats,
  OperationRecoveryStats,
  RecentError,
  RecoveryStats,
} from './recovery-statistics.js';
export type { Fallback, RetryOptions, RunPolicy } from './run-policy.js';
export { backoffSchedule } from './run-policy.js';
