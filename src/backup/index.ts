export { writeFileAtomic } from './atomic-file.js';
export type {
  BackupEncryption,
  BackupHeader,
  BackupMeta,
  ContentType,
  EncryptionKey,
  Progress,
} from './backup-format.js';
export {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupKeyError,
  checkKey,
  decodeBackup,
  encodeBackup,
  parsePayload,
  readHeader,
  verifyBackupBytes,
} from './backup-format.js';
export type {
  BackupAttempt,
  BackupProvider,
  BackupServiceOptions,
  BackupStats,
  DiskSpace,
  SqliteDatabase,
} from './backup-service.js';
export { BackupService } from './backup-service.js';
export type {
  BackupFs,
  BackupInfo,
  BackupStoreOptions,
  CorruptBackup,
  FileProgress,
  PruneResult,
  RestoreOptions,
  RestoreResult,
} from './backup-store.js';
export {
  BackupStore,
  backupId,
  CORRUPT_DIR,
  checkBackupId,
  MANIFEST,
  PERMANENT_CODES,
  TRANSIENT_CODES,
} from './backup-store.js';
export type { DirLockOptions } from './dir-lock.js';
export { acquireDirLock, DirLockedError, LOCK_FILE } from './dir-lock.js';
export type { Dated, RetentionPolicy } from './retention.js';
export { applyRetention, checkRetention } from './retention.js';
export type { SerializeOptions } from './serialize.js';
export { serializeJson } from './serialize.js';
