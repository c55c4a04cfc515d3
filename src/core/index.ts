export type { Clock } from './clock.js';
export { systemClock, toEpochMs } from './clock.js';
export type { CorruptionReason, KeelErrorCode } from './errors.js';
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
} from './errors.js';
export { Emitter } from './events.js';
export {
  formatMinutes,
  formatMs,
  formatPercent,
  formatTimeOfDay,
  windowLabel,
} from './format.js';
export type { Evidence, Recommendation, Severity } from './recommendation.js';
export { bySeverity, SEVERITY_ORDER } from './recommendation.js';
export { safeMessage } from './safe-message.js';
export {
  checkCount,
  checkDurationMs,
  checkName,
  checkNumber,
  describe,
  MAX_NAME_LENGTH,
} from './validate.js';
export { keelVersion } from './version.js';
