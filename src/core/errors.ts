/** Codes of the errors Keel throws; stable across versions. */
export type KeelErrorCode =
  | 'KEEL_CAPACITY_EXCEEDED'
  | 'KEEL_BACKUP_NOT_FOUND'
  | 'KEEL_BACKUP_CORRUPT'
  | 'KEEL_TIMEOUT'
  | 'KEEL_BREAKER_OPEN'
  | 'KEEL_BULKHEAD_FULL';

/** Base class of Keel's own errors. Check with the `isXxxError` guards, not `instanceof`. */
export class KeelError extends Error {
  readonly code: KeelErrorCode;

  constructor(code: KeelErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeelError';
    this.code = code;
  }
}

/** Thrown by a capacity resource with policy `reject` when a change would pass its limit. */
export class CapacityExceededError extends KeelError {
  override readonly code = 'KEEL_CAPACITY_EXCEEDED' as const;
  readonly resource: string;
  readonly limit: number;
  readonly attempted: number;

  constructor(resource: string, limit: number, attempted: number) {
    super(
      'KEEL_CAPACITY_EXCEEDED',
      `capacity "${resource}" would reach ${attempted}, over its limit of ${limit}; ` +
        'release some, raise the limit, or use policy "warn"',
    );
    this.name = 'CapacityExceededError';
    this.resource = resource;
    this.limit = limit;
    this.attempted = attempted;
  }
}

/** Thrown by restore for an id that names no backup, or when no backup verifies. */
export class BackupNotFoundError extends KeelError {
  override readonly code = 'KEEL_BACKUP_NOT_FOUND' as const;
  readonly id: string;

  constructor(id: string) {
    super(
      'KEEL_BACKUP_NOT_FOUND',
      `no backup "${id}"; list the backups with listBackups() or \`keel backup list\``,
    );
    this.name = 'BackupNotFoundError';
    this.id = id;
  }
}

/** Why a file is not a valid backup. */
export type CorruptionReason =
  | 'empty'
  | 'not-gzip'
  | 'truncated'
  | 'bad-header'
  | 'wrong-format'
  | 'length-mismatch'
  | 'checksum-mismatch'
  | 'name-mismatch'
  | 'bad-json';

/** A file that is not a valid backup, with why. It is never restored. */
export class BackupCorruptError extends KeelError {
  override readonly code = 'KEEL_BACKUP_CORRUPT' as const;
  readonly reason: CorruptionReason;

  constructor(reason: CorruptionReason, message: string, options?: ErrorOptions) {
    super('KEEL_BACKUP_CORRUPT', `corrupt backup (${reason}): ${message}`, options);
    this.name = 'BackupCorruptError';
    this.reason = reason;
  }
}

/** Thrown by `monitor.run` when an attempt passes its `timeoutMs`; the work's signal is aborted. */
export class TimeoutError extends KeelError {
  override readonly code = 'KEEL_TIMEOUT' as const;
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number) {
    super(
      'KEEL_TIMEOUT',
      `"${operation}" did not finish within ${timeoutMs} ms and was cancelled through its ` +
        'AbortSignal; raise timeoutMs or make the work faster',
    );
    this.name = 'TimeoutError';
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/** Thrown by `monitor.run` without calling the work while the operation's circuit breaker is open. */
export class BreakerOpenError extends KeelError {
  override readonly code = 'KEEL_BREAKER_OPEN' as const;
  readonly operation: string;
  /** `open`, `half-open` (its trial calls are taken) or `isolated` (opened by hand). */
  readonly state: 'open' | 'half-open' | 'isolated';

  constructor(operation: string, state: 'open' | 'half-open' | 'isolated') {
    super(
      'KEEL_BREAKER_OPEN',
      state === 'isolated'
        ? `the circuit breaker of "${operation}" was isolated by hand; reset() it to let calls through`
        : `the circuit breaker of "${operation}" is ${state}: calls fail fast until it half-opens ` +
            'and a trial call succeeds',
    );
    this.name = 'BreakerOpenError';
    this.operation = operation;
    this.state = state;
  }
}

/** Thrown by `monitor.run` when an operation's bulkhead has no free slot and its queue is full. */
export class BulkheadFullError extends KeelError {
  override readonly code = 'KEEL_BULKHEAD_FULL' as const;
  readonly operation: string;
  readonly limit: number;
  readonly queue: number;

  constructor(operation: string, limit: number, queue: number) {
    super(
      'KEEL_BULKHEAD_FULL',
      `"${operation}" already runs ${limit} call(s) with ${queue} waiting; ` +
        'raise bulkhead.limit or bulkhead.queue, or shed load',
    );
    this.name = 'BulkheadFullError';
    this.operation = operation;
    this.limit = limit;
    this.queue = queue;
  }
}

function hasCode(e: unknown, code: KeelErrorCode): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** True for any error Keel threw, even from a second copy of the package. */
export function isKeelError(e: unknown): e is KeelError {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return e instanceof Error && typeof code === 'string' && code.startsWith('KEEL_');
}

/** True for a {@link CapacityExceededError}, even from a second copy of the package. */
export function isCapacityExceededError(e: unknown): e is CapacityExceededError {
  return hasCode(e, 'KEEL_CAPACITY_EXCEEDED');
}

/** True for a {@link BackupNotFoundError}, even from a second copy of the package. */
export function isBackupNotFoundError(e: unknown): e is BackupNotFoundError {
  return hasCode(e, 'KEEL_BACKUP_NOT_FOUND');
}

/** True for a {@link BackupCorruptError}, even from a second copy of the package. */
export function isBackupCorruptError(e: unknown): e is BackupCorruptError {
  return hasCode(e, 'KEEL_BACKUP_CORRUPT');
}

/** True for a {@link TimeoutError}, even from a second copy of the package. */
export function isTimeoutError(e: unknown): e is TimeoutError {
  return hasCode(e, 'KEEL_TIMEOUT');
}

/** True for a {@link BreakerOpenError}, even from a second copy of the package. */
export function isBreakerOpenError(e: unknown): e is BreakerOpenError {
  return hasCode(e, 'KEEL_BREAKER_OPEN');
}

/** True for a {@link BulkheadFullError}, even from a second copy of the package. */
export function isBulkheadFullError(e: unknown): e is BulkheadFullError {
  return hasCode(e, 'KEEL_BULKHEAD_FULL');
}
