import type { BackupStats } from '../backup/index.js';
import type { ResourceStatus } from '../capacity/index.js';
import type { RuntimeVitals } from '../runtime/index.js';
import { formatMinutes, type Recommendation } from '../targets/index.js';
import { backupLate, heapGrowth, loopBlocked, type ResolvedThresholds } from './builtin-checks.js';

/** A resource's growth, from the counts seen over the last hour. */
export interface CapacityTrend {
  name: string;
  /** Units per hour (negative when shrinking). */
  perHour: number;
  /** Time until the limit at this rate, ms; `null` when not growing. */
  timeLeftMs: number | null;
  /** The resource's state now. */
  state: ResourceStatus['state'];
}

const HOUR = 3_600_000;

/**
 * Counts of each capacity resource over time (one point per sample, the last
 * hour kept), for growth rates and the time left before a limit.
 */
export class CapacityHistory {
  readonly #points = new Map<string, Array<{ at: number; count: number }>>();

  #lastAt = Number.NEGATIVE_INFINITY;

  /** Adds the current counts at clock reading `at` (ms); at most one point per 5 s. */
  add(at: number, resources: readonly ResourceStatus[]): void {
    if (at - this.#lastAt < 5_000) return;
    this.#lastAt = at;
    for (const r of resources) {
      let list = this.#points.get(r.name);
      if (list === undefined) {
        list = [];
        this.#points.set(r.name, list);
      }
      list.push({ at, count: r.count });
      while (list.length > 2 && at - list[0]!.at > HOUR) list.shift();
    }
  }

  /** The trend of each resource seen for at least a minute. */
  trends(resources: readonly ResourceStatus[]): CapacityTrend[] {
    const out: CapacityTrend[] = [];
    for (const r of resources) {
      const list = this.#points.get(r.name);
      if (list === undefined || list.length < 2) continue;
      const first = list[0]!;
      const last = list[list.length - 1]!;
      const spanMs = last.at - first.at;
      if (spanMs < 60_000) continue;
      const perHour = ((last.count - first.count) / spanMs) * HOUR;
      const timeLeftMs =
        perHour > 0 && Number.isFinite(r.limit) ? ((r.limit - r.count) / perHour) * HOUR : null;
      out.push({
        name: r.name,
        perHour,
        timeLeftMs: timeLeftMs === null ? null : Math.max(0, timeLeftMs),
        state: r.state,
      });
    }
    return out;
  }
}

const NOW = { window: 'now', windowMs: null } as const;

/**
 * Free bytes of the backup disk when it is low — by the backup service's
 * reading (also low under twice the last backup) or the sampler's — else undefined.
 */
export function diskFree(
  b: BackupStats,
  v: RuntimeVitals | undefined,
  t: ResolvedThresholds,
): number | undefined {
  if (b.disk?.low === true) return b.disk.freeBytes;
  if (v?.disk != null && v.disk.freeBytes < t.diskMinFreeBytes) return v.disk.freeBytes;
  return undefined;
}

/**
 * Recommendations from the process's vitals, the backups and capacity trends:
 * event-loop blocking, heap growing after GC, GC pressure, capacity running
 * out at the current growth rate, backups stale, failing or short of disk.
 */
export function runtimeRecommendations(input: {
  runtime: RuntimeVitals | undefined;
  backups: BackupStats;
  trends: readonly CapacityTrend[];
  thresholds: ResolvedThresholds;
}): Recommendation[] {
  const out: Recommendation[] = [];
  const { runtime: v, backups: b, thresholds: t } = input;
  if (v !== undefined) {
    const d = v.eventLoopDelay;
    const windowMs = Math.round(v.intervalMs);
    const window = `${(windowMs / 1000).toFixed(0)}s`;
    const blocked = loopBlocked(d, t);
    if (blocked !== undefined) {
      const byMedian = blocked.by === 'median';
      out.push({
        id: 'event-loop-blocked',
        severity: d.maxMs >= 10 * t.eventLoopMaxMs ? 'critical' : 'warning',
        title: 'The event loop is blocked',
        message: byMedian
          ? `The event loop is delayed by ${d.p50Ms.toFixed(1)} ms at the median: synchronous work holds up every request.`
          : `The event loop was blocked for up to ${d.maxMs.toFixed(0)} ms: every request waited that long.`,
        evidence: {
          metric: byMedian ? 'eventLoopDelayP50Ms' : 'eventLoopDelayMaxMs',
          value: blocked.value,
          threshold: blocked.threshold,
          window,
          windowMs,
        },
        action:
          'profile with node --cpu-prof; move large JSON, crypto or loops off the request path (worker threads, streaming, batching)',
      });
    }
    const growth = heapGrowth(v.memory.heapAfterGcBytes);
    if (growth !== undefined && growth >= t.heapGrowthFraction) {
      out.push({
        id: 'heap-growing',
        severity: 'warning',
        title: 'The heap grows after every GC',
        message: `The heap left after each major GC grew by ${(growth * 100).toFixed(0)}% over the last ${v.memory.heapAfterGcBytes.length} collections: memory is likely leaking.`,
        evidence: {
          metric: 'heapGrowthAfterGc',
          value: growth,
          threshold: t.heapGrowthFraction,
          window: `${v.memory.heapAfterGcBytes.length} GCs`,
          windowMs: null,
        },
        action:
          'take two heap snapshots a few minutes apart and compare what grows (caches without limits, listeners, timers)',
      });
    }
    const gcMs = v.gc.major.pauseMs + v.gc.minor.pauseMs + v.gc.incremental.pauseMs;
    const gcShare = v.intervalMs > 0 ? gcMs / v.intervalMs : 0;
    if (gcShare >= 0.1) {
      out.push({
        id: 'gc-pressure',
        severity: gcShare >= 0.25 ? 'critical' : 'warning',
        title: 'Garbage collection takes much of the time',
        message: `Garbage collection paused the process for ${(gcShare * 100).toFixed(0)}% of the last ${window}.`,
        evidence: { metric: 'gcPauseShare', value: gcShare, threshold: 0.1, window, windowMs },
        action:
          'allocate less on hot paths (reuse buffers, avoid large temporary arrays) or raise --max-old-space-size',
      });
    }
  }
  for (const trend of input.trends) {
    // A resource already at its warning level has the capacity rule (with the time left in it).
    if (trend.state !== 'ok') continue;
    if (trend.timeLeftMs === null || trend.timeLeftMs > 24 * HOUR) continue;
    out.push({
      id: `capacity-forecast:${trend.name}`,
      severity: trend.timeLeftMs < HOUR ? 'critical' : 'warning',
      title: `${trend.name} runs out of capacity soon`,
      message: `At the current growth of ${trend.perHour.toFixed(0)} per hour, ${trend.name} reaches its limit in about ${formatMinutes(trend.timeLeftMs)}.`,
      evidence: {
        metric: `${trend.name}TimeLeftMs`,
        value: trend.timeLeftMs,
        threshold: 24 * HOUR,
        window: '1h',
        windowMs: HOUR,
      },
      action:
        'archive or shard old records, or raise the limit after a load test shows the system copes',
    });
  }
  if (b.consecutiveFailures > 0) {
    const last = b.history[0];
    out.push({
      id: 'backups-failing',
      severity: b.consecutiveFailures >= 3 ? 'critical' : 'warning',
      title: 'Backups are failing',
      message: `The last ${b.consecutiveFailures} backup attempt(s) failed${last?.errorCode === undefined ? '' : ` (${last.errorCode})`}.`,
      evidence: {
        metric: 'backupConsecutiveFailures',
        value: b.consecutiveFailures,
        threshold: 0,
        ...NOW,
      },
      action:
        last?.errorKind === 'permanent'
          ? 'free disk space or fix the permissions of the backup directory'
          : 'look at monitor.backups.stats().history for the error of each attempt',
    });
  }
  // Stale only when not already failing: one problem, one recommendation.
  const waiting = backupLate(b);
  if (waiting !== undefined && b.consecutiveFailures === 0) {
    const intervalMs = b.intervalMinutes * 60_000;
    out.push({
      id: 'backups-stale',
      severity: 'warning',
      title: 'Backups are stale',
      message: `Changes have waited ${formatMinutes(waiting)} for a backup (one every ${b.intervalMinutes} min expected).`,
      evidence: {
        metric: 'unsavedActivityAgeMs',
        value: waiting,
        threshold: 2 * intervalMs,
        ...NOW,
      },
      action: 'check that the backup provider answers and that the backup service runs',
    });
  }
  const free = diskFree(b, v, t);
  if (free !== undefined) {
    out.push({
      id: 'backup-disk-low',
      severity: 'warning',
      title: 'The backup disk is running out of space',
      message: `The backup disk has ${(free / 1_048_576).toFixed(0)} MiB free: the next backups may not fit.`,
      evidence: {
        metric: 'backupDiskFreeBytes',
        value: free,
        threshold: t.diskMinFreeBytes,
        ...NOW,
      },
      action:
        'free space, move backupDir to a larger disk, or keep fewer backups (backupRetention)',
    });
  }
  return out;
}
