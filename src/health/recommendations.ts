import type { BackupStats } from '../backup/index.js';
import type { CapacityTrend } from '../capacity/index.js';
import {
  formatMinutes,
  formatMs,
  formatTimeOfDay,
  type Recommendation,
  windowLabel,
} from '../core/index.js';
import type { RuntimeVitals, RuntimeWindowSummary } from '../runtime/index.js';
import { backupLate, diskFree, heapGrowth, loopBlockedInWindow } from './conditions.js';
import type { ResolvedThresholds } from './thresholds.js';

const NOW = { window: 'now', windowMs: null } as const;
const HOUR = 3_600_000;

/** What the runtime, backup and capacity-forecast rules look at. */
export interface RuntimeRuleInput {
  /** The last reading (heap after the last major GCs). */
  runtime: RuntimeVitals | undefined;
  /** The runtime figures over the window: what the event-loop and GC rules judge. */
  window: RuntimeWindowSummary | undefined;
  backups: BackupStats;
  trends: readonly CapacityTrend[];
  thresholds: ResolvedThresholds;
}

/**
 * Recommendations from the process's vitals, the backups and capacity trends:
 * event-loop blocking, heap growing after GC, GC pressure, capacity running
 * out at the current growth rate, backups stale, failing or short of disk.
 */
export function runtimeRecommendations(input: RuntimeRuleInput): Recommendation[] {
  const out: Recommendation[] = [];
  const { runtime: v, window: w, backups: b, thresholds: t } = input;
  if (w !== undefined) out.push(...windowRecommendations(w, t));
  if (v !== undefined) {
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

/**
 * The event loop blocked and GC pressure, judged over the window: how often
 * it happened, the worst and when.
 */
function windowRecommendations(w: RuntimeWindowSummary, t: ResolvedThresholds): Recommendation[] {
  const out: Recommendation[] = [];
  const window = windowLabel(w.windowMs);
  const span = formatMinutes(w.windowMs);
  const blocked = loopBlockedInWindow(w);
  if (blocked !== undefined) {
    const { by, count, worst } = blocked;
    const when = formatTimeOfDay(worst.at);
    out.push({
      id: 'event-loop-blocked',
      severity: by === 'max' && worst.ms >= 10 * t.eventLoopMaxMs ? 'critical' : 'warning',
      title: 'The event loop is blocked',
      message:
        by === 'median'
          ? `The event loop was delayed at the median in ${count} sampling interval(s) of the last ${span}, worst ${formatMs(worst.ms)} at ${when}: synchronous work holds up every request.`
          : `The event loop was blocked ${count} time(s) in the last ${span}, worst ${formatMs(worst.ms)} at ${when}: every request waited that long.`,
      evidence: {
        metric: by === 'median' ? 'eventLoopDelayP50Ms' : 'eventLoopDelayMaxMs',
        value: worst.ms,
        threshold: blocked.threshold,
        window,
        windowMs: w.windowMs,
        count,
        at: worst.at,
      },
      action:
        'profile with node --cpu-prof; move large JSON, crypto or loops off the request path (worker threads, streaming, batching)',
    });
  }
  const gc = w.gc.worstInterval;
  if (gc !== null && gc.share >= 0.1) {
    const seconds = (gc.intervalMs / 1000).toFixed(0);
    out.push({
      id: 'gc-pressure',
      severity: gc.share >= 0.25 ? 'critical' : 'warning',
      title: 'Garbage collection takes much of the time',
      message: `Garbage collection paused the process for ${(gc.share * 100).toFixed(0)}% of ${seconds} s at ${formatTimeOfDay(gc.at)}, the worst in the last ${span} (${(w.gc.share * 100).toFixed(1)}% over the window).`,
      evidence: {
        metric: 'gcPauseShare',
        value: gc.share,
        threshold: 0.1,
        window,
        windowMs: w.windowMs,
        at: gc.at,
      },
      action:
        'allocate less on hot paths (reuse buffers, avoid large temporary arrays) or raise --max-old-space-size',
    });
  }
  return out;
}
