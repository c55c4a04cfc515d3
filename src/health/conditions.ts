import type { BackupStats } from '../backup/index.js';
import type { RuntimeVitals, RuntimeWindowSummary, Worst } from '../runtime/index.js';
import type { ResolvedThresholds } from './thresholds.js';

/*
 * The conditions the built-in checks and the recommendations share: each is
 * computed once here, so a check and its recommendation never disagree.
 */

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
 * Whether the event loop was blocked within the window: intervals delayed at
 * the median first, else blocks over the maximum (the window counts both at
 * the thresholds the checks use); `undefined` when neither happened.
 */
export function loopBlockedInWindow(
  w: RuntimeWindowSummary,
): { by: 'median' | 'max'; count: number; worst: Worst; threshold: number } | undefined {
  const e = w.eventLoop;
  if (e.delayedIntervals > 0 && e.worstMedian !== null) {
    return {
      by: 'median',
      count: e.delayedIntervals,
      worst: e.worstMedian,
      threshold: e.delayedMedianMs,
    };
  }
  if (e.blocks > 0 && e.worstBlock !== null) {
    return { by: 'max', count: e.blocks, worst: e.worstBlock, threshold: e.blockThresholdMs };
  }
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
