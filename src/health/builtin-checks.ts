import type { BackupStats } from '../backup/index.js';
import type { CapacityTrend, ResourceStatus } from '../capacity/index.js';
import { formatMinutes } from '../core/index.js';
import type { AggregateStats } from '../metrics/index.js';
import type { RecoveryStats } from '../recovery/index.js';
import { giveUps } from '../recovery/index.js';
import type { RuntimeVitals } from '../runtime/index.js';
import { FEW_CALLS, type Violation } from '../targets/index.js';
import { backupLate, diskFree, heapGrowth, loopBlocked } from './conditions.js';
import type { CheckGroup, CheckResult, HealthStatus } from './health-checks.js';
import type { ResolvedThresholds } from './thresholds.js';

/** What the built-in checks read; every reader is synchronous and cheap. */
export interface HealthSource {
  operations(): { overall: AggregateStats; violations: readonly Violation[] };
  backups(): BackupStats;
  recovery(): RecoveryStats;
  capacity(): ResourceStatus[];
  /** Growth of each resource over the last hour. */
  capacityTrends(): CapacityTrend[];
  runtime(): RuntimeVitals | undefined;
}

/** A built-in check: the reasons it found (empty: UP) with the status they add up to. */
type Finding = CheckResult & { details: { reasons: string[] } };

function finding(
  status: HealthStatus,
  reasons: string[],
  details: Record<string, unknown> = {},
): Finding {
  return {
    status,
    ...(reasons.length === 0 ? {} : { message: reasons.join('; ') }),
    details: { ...details, reasons },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Keel's checks: [name, check, group]. */
export function builtInChecks(
  source: HealthSource,
  t: ResolvedThresholds,
): Array<[string, () => Finding, CheckGroup]> {
  return [
    [
      'latency',
      () => {
        const { overall, violations } = source.operations();
        if (overall.count === 0) {
          return finding('UNKNOWN', ['no operations measured in the window yet']);
        }
        const reasons = violations
          .filter((v) => v.slo !== undefined || v.metric !== 'errorRate')
          .map((v) =>
            v.slo === undefined
              ? `${v.operation} ${v.metric} ${round(v.value)} is over its target ${round(v.threshold)}`
              : `SLO ${v.slo} has spent its error budget`,
          );
        return degradedIf(reasons, {
          p95Ms: overall.p95Ms,
          p99Ms: overall.p99Ms,
        });
      },
      'readiness',
    ],
    [
      'errors',
      () => {
        const { overall, violations } = source.operations();
        const reasons: string[] = [];
        let status: HealthStatus = 'UP';
        if (overall.count >= FEW_CALLS && overall.errorRate >= t.downErrorRate) {
          status = 'DOWN';
          reasons.push(`${(overall.errorRate * 100).toFixed(0)}% of calls are failing`);
        }
        for (const v of violations) {
          if (v.slo !== undefined || v.metric !== 'errorRate') continue;
          if (status === 'UP') status = 'DEGRADED';
          reasons.push(
            `${v.operation} ${v.metric} ${round(v.value)} is over its target ${round(v.threshold)}`,
          );
        }
        return finding(status, reasons, { errorRate: overall.errorRate, calls: overall.count });
      },
      'readiness',
    ],
    [
      'backups',
      () => {
        const b = source.backups();
        const reasons: string[] = [];
        let status: HealthStatus = 'UP';
        const degrade = (reason: string) => {
          if (status === 'UP') status = 'DEGRADED';
          reasons.push(reason);
        };
        if (b.consecutiveFailures > 0) {
          degrade(`the last ${b.consecutiveFailures} backup attempt(s) failed`);
        }
        // Only unsaved activity makes a backup due: an idle app skips backups by design.
        const waiting = b.pendingForMs;
        if (b.scheduled && waiting !== null) {
          if (backupLate(b) !== undefined) {
            degrade(`changes have waited ${Math.round(waiting / 60_000)} min for a backup`);
          }
          const age = b.lastGoodBackupAgeMs;
          if (waiting > t.backupMaxAgeMs && (age === null || age > t.backupMaxAgeMs)) {
            status = 'DOWN';
            reasons.push(
              age === null
                ? `no backup has succeeded while changes waited ${Math.round(waiting / 3_600_000)} h`
                : `the last good backup is ${Math.round(age / 3_600_000)} h old and changes are waiting`,
            );
          }
        }
        return finding(status, reasons, {
          successRate: b.successRate,
          lastGoodBackupAgeMs: b.lastGoodBackupAgeMs,
        });
      },
      'readiness',
    ],
    [
      'recovery',
      () => {
        const r = source.recovery();
        const reasons = r.openBreakers.map(
          (b) => `the circuit breaker of ${b.operation} is ${b.state}`,
        );
        for (const op of r.operations) {
          const g = giveUps(op, t.giveUpRate);
          if (g !== undefined) {
            reasons.push(`${op.operation} gives up on ${g.lost} of ${g.failing} failing runs`);
          }
        }
        return degradedIf(reasons, {
          openBreakers: r.openBreakers.length,
          gaveUp: r.gaveUp,
        });
      },
      'readiness',
    ],
    [
      'capacity',
      () => {
        const reasons = source
          .capacity()
          .filter((c) => c.state !== 'ok')
          .map((c) => `${c.name} at ${c.count} of ${c.limit} (${c.state})`);
        for (const trend of source.capacityTrends()) {
          if (trend.state !== 'ok' || trend.timeLeftMs === null) continue;
          if (trend.timeLeftMs < t.capacityTimeLeftMs) {
            reasons.push(
              `${trend.name} reaches its limit in about ${formatMinutes(trend.timeLeftMs)} at its current growth`,
            );
          }
        }
        return degradedIf(reasons);
      },
      'readiness',
    ],
    [
      'eventLoop',
      () => {
        const v = source.runtime();
        if (v === undefined) return finding('UP', [], { sampled: false });
        const d = v.eventLoopDelay;
        const blocked = loopBlocked(d, t);
        const reasons =
          blocked === undefined
            ? []
            : [
                blocked.by === 'median'
                  ? `the event loop is delayed by ${d.p50Ms.toFixed(1)} ms at the median`
                  : `the event loop was blocked for up to ${d.maxMs.toFixed(0)} ms`,
              ];
        return degradedIf(reasons, { ...d });
      },
      'liveness',
    ],
    [
      'memory',
      () => {
        const v = source.runtime();
        if (v === undefined) return finding('UP', [], { sampled: false });
        const m = v.memory;
        const reasons: string[] = [];
        const used = m.heapUsedBytes / m.heapLimitBytes;
        if (used >= t.heapUsedFraction) {
          reasons.push(`the heap is at ${(used * 100).toFixed(0)}% of its limit`);
        }
        const growth = heapGrowth(m.heapAfterGcBytes);
        if (growth !== undefined && growth >= t.heapGrowthFraction) {
          reasons.push(
            `the heap grows after every major GC (+${(growth * 100).toFixed(0)}% over the last ${m.heapAfterGcBytes.length})`,
          );
        }
        return degradedIf(reasons, {
          heapUsedFraction: used,
          rssBytes: m.rssBytes,
        });
      },
      'liveness',
    ],
    [
      'disk',
      () => {
        const b = source.backups();
        const v = source.runtime();
        const low = diskFree(b, v, t);
        return finding(
          low === undefined ? 'UP' : 'DEGRADED',
          low === undefined ? [] : [`the backup disk is low on space (${low} bytes free)`],
          { freeBytes: b.disk?.freeBytes ?? v?.disk?.freeBytes ?? null },
        );
      },
      'readiness',
    ],
  ];
}

/** UP without reasons, DEGRADED with them. */
function degradedIf(reasons: string[], details: Record<string, unknown> = {}): Finding {
  return finding(reasons.length === 0 ? 'UP' : 'DEGRADED', reasons, details);
}
