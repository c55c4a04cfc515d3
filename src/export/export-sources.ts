import type { BackupStats } from '../backup/index.js';
import type { ResourceStatus, SessionStats } from '../capacity/index.js';
import type { HealthReport } from '../health/index.js';
import type { MetricSnapshot, Operation, OperationOverflow } from '../metrics/index.js';
import type { RecoveryStats } from '../recovery/index.js';
import type { RuntimeVitals } from '../runtime/index.js';

/** What the exporters read, each through a part's public API. */
export interface ExportSources {
  /** Every timed operation. */
  operations(): Iterable<Operation>;
  operationsOverflow(): OperationOverflow;
  /** The latency targets (ms) the histogram buckets straddle. */
  targetLatencies(): readonly number[];
  customMetrics(): MetricSnapshot[];
  capacity(): ResourceStatus[];
  sessions(): SessionStats;
  backups(): BackupStats;
  recovery(): RecoveryStats;
  runtime(): RuntimeVitals | undefined;
  runtimeTotals(): { blocks: number; gc: RuntimeVitals['gc'] };
  health(): HealthReport;
  /** Keel's version, for `keel_info`. */
  version: string;
}

/** Default bounds (ms) of the duration histograms; the targets are added to them. */
export const DEFAULT_BUCKETS_MS: readonly number[] = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
];
