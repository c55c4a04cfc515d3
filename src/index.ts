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
  CapacityExceededError,
  isBackupCorruptError,
  isBackupNotFoundError,
  isCapacityExceededError,
  isKeelError,
  KeelError,
} from './core/index.js';
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
  Evidence,
  OperationReport,
  PerformanceReport,
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
