import type { BackupStats } from '../backup/index.js';
import type { ResourceStatus } from '../capacity/index.js';
import { checkNumber } from '../core/index.js';
import type { AggregateStats } from '../metrics/index.js';
import type { RecoveryStats } from '../recovery/index.js';
import { giveUps } from '../recovery/index.js';
import type { RuntimeVitals } from '../runtime/index.js';
import { FEW_CALLS, formatMinutes, type Violation } from '../targets/index.js';
import type { CheckGroup, CheckResult, HealthStatus } from './health-checks.js';
import { type CapacityTrend, diskFree } from './recommendations.js';

/** Thresholds of the built-in checks. */
export interface HealthThresholds {
  /** Error rate (0..1, with at least 20 calls) at which health is DOWN. @defaultValue 0.5 */
  downErrorRate?: number;
  /** No good backup younger than this (while backups are scheduled) is DOWN. @defaultValue 86_400_000 (24 h) */
  backupMaxAgeMs?: number;
  /** Event-loop delay median at which the loop counts as blocked. @defaultValue 10 */
  eventLoopP50Ms?: number;
  /** Event-loop delay maximum (over one sampling interval) at which the loop counts as blocked. @defaultValue 100 */
  eventLoopMaxMs?: number;
  /** Heap used over the heap limit at which memory is DEGRADED. @defaultValue 0.9 */
  heapUsedFraction?: number;
  /** Growth of the heap after major GCs (first to last of at least 5) that counts as a leak. @defaultValue 0.2 */
  heapGrowthFraction?: number;
  /** Give-up rate of runs that failed at least once (5 or more) that is DEGRADED. @defaultValue 0.5 */
  giveUpRate?: number;
  /** Free space of the backup disk under which it is low. @defaultValue 104_857_600 (100 MiB, as backupMinFreeBytes) */
  diskMinFreeBytes?: number;
  /** A resource whose limit is nearer than this at its current growth is DEGRADED. @defaultValue 3_600_000 (1 h) */
  capacityTimeLeftMs?: number;
}

/** Resolved thresholds. */
export type ResolvedThresholds = Required<HealthThresholds>;

/**
 * Checks thresholds: each must be a positive number (fractions in (0, 1]).
 * @throws RangeError naming the option, e.g. `health.eventLoopMaxMs`
 */
export function resolveThresholds(t: HealthThresholds = {}): ResolvedThresholds {
  const fraction = (v: number, name: string) => {
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) {
      throw new RangeError(`health.${name} must be a fraction in (0, 1], got ${String(v)}`);
    }
    return v;
  };
  return {
    downErrorRate: fraction(t.downErrorRate ?? 0.5, 'downErrorRate'),
    backupMaxAgeMs: checkNumber(t.backupMaxAgeMs ?? 86_400_000, 'health.backupMaxAgeMs', 1),
    eventLoopP50Ms: checkNumber(t.eventLoopP50Ms ?? 10, 'health.eventLoopP50Ms', 0.001),
    eventLoopMaxMs: checkNumber(t.eventLoopMaxMs ?? 100, 'health.eventLoopMaxMs', 0.001),
    heapUsedFraction: fraction(t.heapUsedFraction ?? 0.9, 'heapUsedFraction'),
    heapGrowthFraction: checkNumber(
      t.heapGrowthFraction ?? 0.2,
      'health.heapGrowthFraction',
      0.001,
    ),
    giveUpRate: fraction(t.giveUpRate ?? 0.5, 'giveUpRate'),
    diskMinFreeBytes: checkNumber(t.diskMinFreeBytes ?? 104_857_600, 'health.diskMinFreeBytes', 0),
    capacityTimeLeftMs: checkNumber(
      t.capacityTimeLeftMs ?? 3_600_000,
      'health.capacityTimeLeftMs',
      0,
    ),
  };
}

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

/**
 * Whether the event loop counts as blocked over the last interval: by its
 * median delay first, else by its maximum; `undefined` when it is not.
 */
export function loopBlocked(
  d: RuntimeVitals['eventLoopDelay'],
  t: ResolvedThresholds,
): { by: 'median' | 'max'; value: number; threshold: number } | undefined {
  if (d.p50Ms >= t.eventLoopP50Ms)
    return { by: 'median', value: d.p50Ms, threshold: t.eventLoopP50Ms };
  if (d.maxMs >= t.eventLoopMaxMs)
    return { by: 'max', value: d.maxMs, threshold: t.eventLoopMaxMs };
  return undefined;
}

/**
 * How long unsaved changes have waited for a backup, ms, when that is more
 * than two intervals of a running schedule; `undefined` otherwise.
 */
export function backupLate(b: BackupStats): number | undefined {
  const waiting = b.pendingForMs;
  if (!b.scheduled || waiting === null) return undefined;
  return waiting > 2 * b.intervalMinutes * 60_000 ? waiting : undefined;
}

/**
 * Growth of the heap after major GCs, first to last, when it grew at (nearly)
 * every one of at least 5; `undefined` otherwise.
 */
export function heapGrowth(afterGc: readonly number[]): number | undefined {
  if (afterGc.length < 5) return undefined;
  let rises = 0;
  for (let i = 1; i < afterGc.length; i++) if (afterGc[i]! > afterGc[i - 1]!) rises++;
  if (rises < (afterGc.length - 1) * 0.8) return undefined;
  const first = afterGc[0]!;
  return first > 0 ? (afterGc[afterGc.length - 1]! - first) / first : undefined;
}
