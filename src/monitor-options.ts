import type { RetentionPolicy } from './backup/index.js';
import type { ResourceOptions } from './capacity/index.js';
import type { Clock } from './core/index.js';
import type { HealthThresholds } from './health/index.js';
import type { OperationOptions } from './metrics/index.js';
import type { RecoveryOptions } from './recovery/index.js';
import type { SloOptions, TargetsOptions } from './targets/index.js';

/** Options of the metrics part of a {@link PerformanceMonitor}. */
export interface MonitorMetricsOptions {
  /** Sliding window of the figures. @defaultValue 10 */
  windowMinutes?: number;
  /** Slice of the window. @defaultValue 1 */
  sliceMinutes?: number;
  /** Most distinct operation names before `_other`. @defaultValue 2000 */
  maxOperations?: number;
  /** Most series of one custom metric before its overflow series. @defaultValue 2000 */
  maxSeriesPerMetric?: number;
}

/** Capacity limits: the seed's two, overridable field by field, and any others. */
export interface MonitorCapacityOptions {
  /** @defaultValue `{ limit: 10_000, warnAtFraction: 0.8, policy: 'warn' }` */
  transactions?: Partial<ResourceOptions>;
  /** @defaultValue `{ limit: 1_000, warnAtFraction: 0.8, policy: 'warn' }` */
  customers?: Partial<ResourceOptions>;
  /** Other limited resources by name. */
  resources?: Record<string, ResourceOptions>;
}

/** Options of a {@link PerformanceMonitor}; every field is optional. */
export interface PerformanceMonitorOptions {
  /** Time source in ms; inject a fake one in tests. @defaultValue `performance.now()` */
  clock?: Clock;
  metrics?: MonitorMetricsOptions;
  /** @defaultValue P95 <= 200 ms and error rate <= 1% for every operation */
  targets?: TargetsOptions;
  slos?: SloOptions[];
  capacity?: MonitorCapacityOptions;
  sessions?: {
    /** @defaultValue 30 */
    idleTimeoutMinutes?: number;
    /** @defaultValue 100_000 */
    maxSessions?: number;
  };
  /** Error rate at which health is DOWN, once the window has 20 calls. @defaultValue 0.5 */
  downErrorRate?: number;
  /** Directory of the backups, created (0700) at the first backup. @defaultValue 'backups' (the seed's) */
  backupDir?: string;
  /** Automatic backups every this many minutes while the app is active. @defaultValue 5 */
  backupIntervalMinutes?: number;
  /** Longest the state provider may take, and the bound on the final backup. @defaultValue 30_000 */
  backupTimeoutMs?: number;
  /** Which backups to keep after each new one. @defaultValue `{ keepLast: 100 }` (the seed's) */
  backupRetention?: RetentionPolicy;
  /** Free space of the backup disk below which health is DEGRADED. @defaultValue 100 MiB */
  backupMinFreeBytes?: number;
  /** Encrypts backups at rest with AES-256-GCM: 32 bytes, kept outside the backup directory. */
  backupEncryptionKey?: Uint8Array;
  /** Error recovery: breaker states saved before a restart, wall clock, error-type limit. */
  recovery?: RecoveryOptions;
  /**
   * Runtime vitals sampling (memory, event loop, GC, CPU, handles, disk),
   * kept over the metrics window too (the report judges the window; liveness
   * the last interval).
   */
  runtime?: { enabled?: boolean; intervalMs?: number };
  /**
   * Thresholds of the built-in health checks. `health.downErrorRate` takes
   * precedence over the top-level `downErrorRate`; `health.diskMinFreeBytes`
   * over `backupMinFreeBytes`.
   */
  health?: HealthThresholds;
}

/** Options of a measured call. */
export type MeasureOptions = OperationOptions;

/** Options of {@link PerformanceMonitor.recordOperation}. */
export interface RecordOptions extends OperationOptions {
  /** @defaultValue true */
  success?: boolean;
}
