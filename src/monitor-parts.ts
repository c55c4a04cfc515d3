import { BackupService, BackupStore } from './backup/index.js';
import {
  BUILT_IN_LIMITS,
  CapacityTracker,
  type ResourceOptions,
  SessionTracker,
} from './capacity/index.js';
import { keelVersion, systemClock } from './core/index.js';
import { PrometheusExporter } from './export/index.js';
import { builtInChecks, HealthChecks, resolveThresholds } from './health/index.js';
import { MetricRegistry, OperationRegistry } from './metrics/index.js';
import type { MonitorCapacityOptions, PerformanceMonitorOptions } from './monitor-options.js';
import { Recovery } from './recovery/index.js';
import { Reporter, type ReportSources } from './report/index.js';
import { RuntimeSampler } from './runtime/index.js';
import { type SloStatus, Targets } from './targets/index.js';

/** One of each part of a monitor, wired together. */
export interface MonitorParts extends Omit<ReportSources, 'slos'> {
  health: HealthChecks;
  reporter: Reporter;
  prometheus: PrometheusExporter;
}

/** What the parts need from the facade. */
export interface MonitorHooks {
  /** A sum of counters that only grow: any change of the app's activity changes it. */
  activity(): number;
  slos: { statuses(): SloStatus[]; readonly count: number };
}

/**
 * Builds every part from the options (validating them) and wires the
 * readers to the writers. Nothing is started: the facade starts sampling
 * last, so a throwing constructor leaves no timer behind.
 * @throws RangeError or TypeError naming the first invalid option
 */
export function createParts(options: PerformanceMonitorOptions, hooks: MonitorHooks): MonitorParts {
  const clock = options.clock ?? systemClock;
  const m = options.metrics ?? {};
  const downErrorRate = options.downErrorRate ?? 0.5;
  if (!(downErrorRate > 0 && downErrorRate <= 1)) {
    throw new RangeError(`downErrorRate must be a fraction in (0, 1], got ${downErrorRate}`);
  }
  const thresholds = resolveThresholds({
    downErrorRate,
    // The disk counts as low at the backups' own threshold unless health says otherwise.
    ...(options.backupMinFreeBytes === undefined
      ? {}
      : { diskMinFreeBytes: options.backupMinFreeBytes }),
    ...options.health,
  });
  const targets = new Targets(options.targets);
  const capacity = new CapacityTracker({
    clock,
    resources: capacityResources(options.capacity ?? {}),
  });
  const sessions = new SessionTracker({ clock, ...options.sessions });
  const metrics = new MetricRegistry({
    clock,
    ...(m.maxSeriesPerMetric === undefined ? {} : { maxSeriesPerMetric: m.maxSeriesPerMetric }),
  });
  const operations = new OperationRegistry({
    clock,
    ...(m.windowMinutes === undefined ? {} : { windowMinutes: m.windowMinutes }),
    ...(m.sliceMinutes === undefined ? {} : { sliceMinutes: m.sliceMinutes }),
    ...(m.maxOperations === undefined ? {} : { maxOperations: m.maxOperations }),
  });
  const recovery = new Recovery(operations, clock, options.recovery);
  const runtimeOptions = options.runtime ?? {};
  let reporter: Reporter | undefined;
  const runtime = new RuntimeSampler({
    ...(runtimeOptions.intervalMs === undefined ? {} : { intervalMs: runtimeOptions.intervalMs }),
    diskPath: options.backupDir ?? 'backups',
    onSample: () => reporter?.capacityTrends(),
    // Kept over the operations' window, counted at the thresholds the checks use.
    clock,
    windowMinutes: operations.config.windowMinutes,
    sliceMinutes: operations.config.sliceMinutes,
    blockThresholdMs: thresholds.eventLoopMaxMs,
    delayedMedianMs: thresholds.eventLoopP50Ms,
  });
  const backups = new BackupService({
    store: new BackupStore({
      dir: options.backupDir ?? 'backups',
      ...(options.backupEncryptionKey === undefined
        ? {}
        : { encryptionKey: options.backupEncryptionKey }),
    }),
    activity: hooks.activity,
    ...(options.backupIntervalMinutes === undefined
      ? {}
      : { intervalMinutes: options.backupIntervalMinutes }),
    ...(options.backupTimeoutMs === undefined ? {} : { timeoutMs: options.backupTimeoutMs }),
    ...(options.backupRetention === undefined ? {} : { retention: options.backupRetention }),
    ...(options.backupMinFreeBytes === undefined
      ? {}
      : { minFreeBytes: options.backupMinFreeBytes }),
  });
  const parts = {
    clock,
    operations,
    metrics,
    targets,
    capacity,
    sessions,
    backups,
    recovery,
    runtime,
    thresholds,
  };
  reporter = new Reporter({ ...parts, slos: hooks.slos });
  const health = new HealthChecks(clock);
  for (const [name, check, group] of builtInChecks(reporter.healthSource(), thresholds)) {
    health.registerBuiltIn(name, check, group);
  }
  const prometheus = new PrometheusExporter({
    operations: () => operations.all(),
    operationsOverflow: () => operations.overflow(),
    targetLatencies: () => targets.latencies(),
    customMetrics: () => metrics.collect(),
    capacity: () => capacity.list(),
    sessions: () => sessions.stats(),
    backups: () => backups.stats(),
    recovery: () => recovery.stats(),
    runtime: () => runtime.latest(),
    runtimeTotals: () => runtime.totals(),
    health: () => health.latest(),
    version: keelVersion(),
  });
  return { ...parts, health, reporter, prometheus };
}

/** The seed's two limits, overridable field by field, and any other resources. */
function capacityResources(c: MonitorCapacityOptions): Record<string, ResourceOptions> {
  const out: Record<string, ResourceOptions> = { ...c.resources };
  for (const name of ['transactions', 'customers'] as const) {
    const given = c[name];
    if (given !== undefined) out[name] = { limit: BUILT_IN_LIMITS[name], ...given };
  }
  return out;
}
