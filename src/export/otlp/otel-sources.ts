import type { BackupService } from '../../backup/index.js';
import type { CapacityTracker, SessionTracker } from '../../capacity/index.js';
import { type Clock, keelVersion } from '../../core/index.js';
import type { HealthChecks } from '../../health/index.js';
import type { MetricRegistry, OperationRegistry, OperationStats } from '../../metrics/index.js';
import type { Recovery } from '../../recovery/index.js';
import type { RuntimeSampler } from '../../runtime/index.js';
import type { Targets } from '../../targets/index.js';
import type { ExportSources } from '../export-sources.js';

/**
 * What the OpenTelemetry exporters read: the Prometheus exporter's sources,
 * plus what OpenTelemetry can use beyond them.
 */
export interface OtelSources extends ExportSources {
  /**
   * The clock the operations were timed with: it dates each operation's
   * first call, the start of its cumulative series. Without it, series
   * start at the process start.
   */
  clock?: Clock;
  /** Each operation's figures over the sliding window (the MeterProvider feed's percentiles). */
  windowStats?(): readonly OperationStats[];
}

/** The parts of a `PerformanceMonitor` the sources are read from (taken structurally). */
export interface MonitorLike {
  readonly operations: Pick<OperationRegistry, 'all' | 'overflow' | 'snapshot' | 'sliceClock'>;
  readonly metrics: Pick<MetricRegistry, 'collect'>;
  readonly targets: Pick<Targets, 'latencies'>;
  readonly capacity: Pick<CapacityTracker, 'list'>;
  readonly sessions: Pick<SessionTracker, 'stats'>;
  readonly backups: Pick<BackupService, 'stats'>;
  readonly recovery: Pick<Recovery, 'stats'>;
  readonly runtime: Pick<RuntimeSampler, 'latest' | 'totals'>;
  readonly health: Pick<HealthChecks, 'latest'>;
}

/**
 * The sources of a monitor: what its Prometheus exporter reads, its clock
 * and its window figures.
 *
 * @example
 * const exporter = new OtlpExporter(exportSourcesOf(monitor), { serviceName: 'billing' });
 */
export function exportSourcesOf(monitor: MonitorLike): OtelSources {
  const m = monitor;
  return {
    operations: () => m.operations.all(),
    operationsOverflow: () => m.operations.overflow(),
    targetLatencies: () => m.targets.latencies(),
    customMetrics: () => m.metrics.collect(),
    capacity: () => m.capacity.list(),
    sessions: () => m.sessions.stats(),
    backups: () => m.backups.stats(),
    recovery: () => m.recovery.stats(),
    runtime: () => m.runtime.latest(),
    runtimeTotals: () => m.runtime.totals(),
    health: () => m.health.latest(),
    version: keelVersion(),
    clock: m.operations.sliceClock.clock,
    windowStats: () => m.operations.snapshot().operations,
  };
}
