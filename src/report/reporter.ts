import type { BackupService } from '../backup/index.js';
import {
  CapacityHistory,
  type CapacityTracker,
  type CapacityTrend,
  type SessionTracker,
} from '../capacity/index.js';
import { type Clock, toEpochMs } from '../core/index.js';
import {
  type HealthReport,
  type HealthSource,
  type ResolvedThresholds,
  runtimeRecommendations,
} from '../health/index.js';
import type {
  AggregateStats,
  MetricRegistry,
  OperationRegistry,
  OperationsSnapshot,
  StatsOptions,
} from '../metrics/index.js';
import { type Recovery, recoveryFinding, recoveryRecommendations } from '../recovery/index.js';
import type { RuntimeSampler } from '../runtime/index.js';
import { findViolations, type SloStatus, type Targets, type Violation } from '../targets/index.js';
import { buildReport, type PerformanceReport } from './performance-report.js';
import { type SystemHealth, systemHealth } from './system-health.js';

/** The parts the reports read, each through its own public API. */
export interface ReportSources {
  clock: Clock;
  operations: OperationRegistry;
  metrics: MetricRegistry;
  targets: Targets;
  capacity: CapacityTracker;
  sessions: SessionTracker;
  backups: BackupService;
  recovery: Recovery;
  runtime: RuntimeSampler;
  thresholds: ResolvedThresholds;
  /** Where every SLO stands, and how many there are (a change of either is seen by the cache). */
  slos: { statuses(): SloStatus[]; readonly count: number };
}

/** The window's figures and verdicts, as health reads them. */
interface OperationsView {
  overall: AggregateStats;
  violations: Violation[];
  snapshot: OperationsSnapshot;
}

/**
 * Puts the performance report and system health together from each part's
 * findings: the one place that knows all of them. Rules stay with the parts
 * they judge; this gathers their recommendations.
 */
export class Reporter {
  readonly #s: ReportSources;
  readonly #capacityHistory = new CapacityHistory();
  #opsView: { stamp: string; view: OperationsView } | undefined;

  constructor(sources: ReportSources) {
    this.#s = sources;
  }

  /** What the built-in health checks read. */
  healthSource(): HealthSource {
    const s = this.#s;
    return {
      operations: () => this.operationsView(),
      backups: () => s.backups.stats(),
      recovery: () => s.recovery.stats(),
      capacity: () => s.capacity.list(),
      capacityTrends: () => this.capacityTrends(),
      runtime: () => s.runtime.latest(),
    };
  }

  /** The performance report (seed: `get_performance_report`). */
  performanceReport(options?: StatsOptions): PerformanceReport {
    const s = this.#s;
    const snapshot = s.operations.snapshot(options);
    const trends = this.capacityTrends();
    const timeLeft = new Map(trends.map((t) => [t.name, t.timeLeftMs]));
    const window = this.#runtimeWindow();
    return buildReport({
      snapshot,
      targets: s.targets,
      slos: s.slos.statuses(),
      // Capacity resources with the time left at their current growth.
      capacity: s.capacity.list().map((r) => ({ ...r, timeLeftMs: timeLeft.get(r.name) ?? null })),
      metricOverflows: s.metrics.overflows(),
      generatedAt: new Date(toEpochMs(s.clock, snapshot.takenAtMs)),
      recovery: recoveryRecommendations(s.recovery.stats()),
      ...(window === undefined ? {} : { runtime: window }),
      extraRecommendations: runtimeRecommendations({
        runtime: s.runtime.latest(),
        window,
        backups: s.backups.stats(),
        trends,
        thresholds: s.thresholds,
      }),
    });
  }

  /** System health from the checks' outcome (seed: `get_system_health`). */
  systemHealth(health: HealthReport): SystemHealth {
    const s = this.#s;
    const { overall, snapshot, violations } = this.operationsView();
    return systemHealth({
      health,
      overall,
      windowMs: snapshot.windowMs,
      checkedAt: new Date(toEpochMs(s.clock, snapshot.takenAtMs)),
      meetingTargets: violations.length === 0,
      capacity: s.capacity.list(),
      sessions: s.sessions.stats(),
      backups: s.backups.stats(),
      recovery: recoveryFinding(s.recovery.stats()),
      runtime: s.runtime.latest(),
      runtimeWindow: this.#runtimeWindow(),
    });
  }

  /**
   * Growth of each capacity resource over the last hour. Counts are noted at
   * every runtime sample and every health or report read (at most every 5 s),
   * so trends exist with sampling off too.
   */
  capacityTrends(): CapacityTrend[] {
    const resources = this.#s.capacity.list();
    this.#capacityHistory.add(this.#s.clock.now(), resources);
    return this.#capacityHistory.trends(resources);
  }

  /**
   * The window's overall figures and target verdicts, recomputed only when
   * something was recorded, the window moved, or a target changed since the
   * last time: a health probe on an unchanged monitor costs microseconds.
   */
  operationsView(): OperationsView {
    const s = this.#s;
    // Time-dependent figures (throughput, checkedAt) are at most a second of clock time old.
    const second = Math.floor(s.clock.now() / 1000);
    const stamp = `${s.operations.recordedCount()}:${s.operations.epoch}:${second}:${s.targets.version}:${s.slos.count}`;
    if (this.#opsView !== undefined && this.#opsView.stamp === stamp) return this.#opsView.view;
    const snapshot = s.operations.snapshot();
    const violations = findViolations(snapshot, s.targets, s.slos.statuses());
    const view = { overall: snapshot.overall, violations, snapshot };
    this.#opsView = { stamp, view };
    return view;
  }

  /** The runtime window, when sampling has run. */
  #runtimeWindow() {
    const r = this.#s.runtime;
    return r.running || r.latest() !== undefined ? r.window() : undefined;
  }
}
