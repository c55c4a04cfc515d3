/** Codes of the errors Keel throws; stable across versions. */
export type KeelErrorCode =
  | 'KEEL_CAPACITY_EXCEEDED'
  | 'KEEL_BACKUP_NOT_FOUND'
  | 'KEEL_BACKUP_CORRUPT';

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
