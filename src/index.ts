export type {
  BackupAttempt,
  BackupInfo,
  BackupProvider,
  BackupStats,
  CorruptBackup,
  PruneResult,
  RestoreOptions,
  RestoreResult,
} from './backup/index.js';
export type {
  CapacityPolicy,
  CapacityState,
  CapacityStateChangedEvent,
  ResourceOptions,
  ResourceStatus,
  SessionAttributes,
  SessionEndedEvent,
  SessionInfo,
  SessionStats,
} from './capacity/index.js';
export type { Clock, CorruptionReason, KeelErrorCode } from './core/index.js';
export {
  BackupCorruptError,
  BackupNotFoundError,
  BreakerOpenError,
  BulkheadFullError,
  CapacityExceededError,
  isBackupCorruptError,
  isBackupNotFoundError,
  isBreakerOpenError,
  isBulkheadFullError,
  isCapacityExceededError,
  isKeelError,
  isTimeoutError,
  KeelError,
  TimeoutError,
} from './core/index.js';
export type {
  CheckGroup,
  CheckOptions,
  CheckOutcome,
  CheckResult,
  HealthCheck,
  HealthReport,
  HealthThresholds,
} from './health/index.js';
export { HealthChecks } from './health/index.js';
export type {
  AggregateStats,
  KindStats,
  Operation,
  OperationOptions,
  OperationOverflow,
  OperationStats,
  OperationsSnapshot,
  OperationTimer,
  StatsOptions,
} from './metrics/index.js';
export type {
  HealthStatus,
  MeasureOptions,
  MonitorCapacityOptions,
  MonitorMetricsOptions,
  PerformanceMonitorOptions,
  RecordOptions,
  SystemHealth,
} from './monitor.js';
export { createMonitor, PerformanceMonitor } from './monitor.js';
export type {
  BreakerOptions,
  BreakerSnapshot,
  BreakerState,
  BreakerTransition,
  BulkheadOptions,
  Classifier,
  ErrorHandler,
  ErrorMatch,
  ErrorTypeStats,
  FailureKind,
  Fallback,
  GaveUpEvent,
  HandlerContext,
  HandlerOptions,
  OperationRecoveryStats,
  RecentError,
  RecoverContext,
  RecoveredEvent,
  RecoveryFinding,
  RecoveryOptions,
  RecoveryResult,
  RecoveryStats,
  RetryOptions,
  RunContext,
  RunPolicy,
} from './recovery/index.js';
export { CircuitBreaker, classifyFailure, Recovery } from './recovery/index.js';
export type { OperationReport, PerformanceReport } from './report/index.js';
export type {
  GcFigures,
  RuntimeSliceSummary,
  RuntimeVitals,
  RuntimeWindowSummary,
  Worst,
} from './runtime/index.js';
export { RuntimeSampler, RuntimeWindow } from './runtime/index.js';
export type {
  Evidence,
  Recommendation,
  ResolvedTarget,
  Severity,
  SloOptions,
  SloStatus,
  Target,
  TargetPercentile,
  TargetsOptions,
  Violation,
} from './targets/index.js';
