import type { BackupStats } from '../backup/index.js';
import type { ResourceStatus, SessionStats } from '../capacity/index.js';
import type { CheckOutcome, HealthReport, HealthStatus } from '../health/index.js';
import type { AggregateStats } from '../metrics/index.js';
import type { RecoveryFinding } from '../recovery/index.js';
import type { RuntimeVitals, RuntimeWindowSummary } from '../runtime/index.js';

/** The seed's system health (`get_system_health`), from the latest figures. */
export interface SystemHealth {
  status: HealthStatus;
  /** Why the status is not UP, one short sentence each. */
  reasons: string[];
  /** ISO time of the reading. */
  checkedAt: string;
  /** Window the response figures cover, in ms. */
  windowMs: number;
  avgResponseTimeMs: number;
  p95ResponseTimeMs: number;
  p99ResponseTimeMs: number;
  /** Fraction 0..1 of failed calls in the window. */
  errorRate: number;
  /** Calls measured in the window. */
  totalOperations: number;
  throughputPerSec: number;
  meetingTargets: boolean;
  transactionCount: number;
  customerCount: number;
  activeSessions: number;
  sessions: SessionStats;
  capacity: ResourceStatus[];
  /** Fraction 0..1 of backup attempts that succeeded; 1 before any. */
  backupSuccessRate: number;
  /** ISO time of the last good backup, `null` before any. */
  lastBackupAt: string | null;
  /** Backup statistics without the attempt history (see `monitor.backups.stats()`). */
  backups: Omit<BackupStats, 'history'>;
  /** Error recovery: runs, recoveries, give-ups, open breakers, top error types. */
  recovery: RecoveryFinding;
  /** Memory of the process (seed future enhancement 1); `null` before the first sample. */
  memory: RuntimeVitals['memory'] | null;
  /** The latest runtime reading (the last interval); `null` before the first sample or when sampling is off. */
  runtime: RuntimeVitals | null;
  /**
   * The runtime figures over the window (event-loop blocks with the worst
   * and its time, delay, GC, heap after GC); `null` when sampling is off.
   */
  runtimeWindow: RuntimeWindowSummary | null;
  /** Status of the liveness checks (the process itself) and of every check (readiness). */
  liveness: HealthStatus;
  readiness: HealthStatus;
  /** Every check's latest outcome. */
  checks: CheckOutcome[];
}

/** The findings system health is put together from. */
export interface SystemHealthInput {
  health: HealthReport;
  overall: AggregateStats;
  windowMs: number | null;
  checkedAt: Date;
  meetingTargets: boolean;
  capacity: ResourceStatus[];
  sessions: SessionStats;
  backups: BackupStats;
  recovery: RecoveryFinding;
  runtime: RuntimeVitals | undefined;
  runtimeWindow: RuntimeWindowSummary | undefined;
}

/** The seed's health figures with the checks' outcome and their reasons. */
export function systemHealth(input: SystemHealthInput): SystemHealth {
  const { health: report, overall: o, backups } = input;
  const reasons: string[] = [];
  for (const c of report.checks) {
    if (c.status === 'UP') continue;
    const own = (c.details as { reasons?: string[] } | undefined)?.reasons;
    if (c.builtIn && own !== undefined) reasons.push(...own);
    else reasons.push(`${c.name}: ${c.message ?? c.status}`);
  }
  const { history: _, ...withoutHistory } = backups;
  const runtime = input.runtime ?? null;
  const count = (name: string) => input.capacity.find((r) => r.name === name)?.count ?? 0;
  return {
    status: report.status,
    reasons,
    checkedAt: input.checkedAt.toISOString(),
    windowMs: input.windowMs ?? 0,
    avgResponseTimeMs: o.meanMs,
    p95ResponseTimeMs: o.p95Ms,
    p99ResponseTimeMs: o.p99Ms,
    errorRate: o.errorRate,
    totalOperations: o.count,
    throughputPerSec: o.throughputPerSec,
    meetingTargets: input.meetingTargets,
    transactionCount: count('transactions'),
    customerCount: count('customers'),
    activeSessions: input.sessions.active,
    sessions: input.sessions,
    capacity: input.capacity,
    backupSuccessRate: backups.successRate,
    lastBackupAt: backups.lastSuccessAt,
    backups: withoutHistory,
    recovery: input.recovery,
    memory: runtime?.memory ?? null,
    runtime,
    runtimeWindow: input.runtimeWindow ?? null,
    liveness: report.liveness,
    readiness: report.readiness,
    checks: report.checks,
  };
}
