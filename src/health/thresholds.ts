import { checkNumber } from '../core/index.js';

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
