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
export type {
  ErrorTypeStats,
  Fallback,
  GaveUpEvent,
  OperationRecoveryStats,
  RecentError,
  RecoveredEvent,
  RecoveryOptions,
  RecoveryStats,
  RetryOptions,
  RunContext,
  RunPolicy,
} from './recovery.js';
export { backoffSchedule, Recovery } from './recovery.js';
