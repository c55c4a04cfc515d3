import type { BackupStats } from '../../backup/index.js';
import type { ResourceStatus, SessionStats } from '../../capacity/index.js';
import type { HealthReport } from '../../health/index.js';
import {
  type FixedBounds,
  fixedBounds,
  type LifetimeBuckets,
  LifetimeBucketsReader,
  type MetricSnapshot,
  type Operation,
  type OperationOverflow,
} from '../../metrics/index.js';
import type { RecoveryStats } from '../../recovery/index.js';
import type { RuntimeVitals } from '../../runtime/index.js';
import {
  type ExpositionFormat,
  ExpositionWriter,
  formatValue,
  labelSet,
  withLabel,
} from './text-format.js';

/** What the exporter reads, each through a part's public API. */
export interface ExportSources {
  /** Every timed operation. */
  operations(): Iterable<Operation>;
  operationsOverflow(): OperationOverflow;
  /** The latency targets (ms) the histogram buckets straddle. */
  targetLatencies(): readonly number[];
  customMetrics(): MetricSnapshot[];
  capacity(): ResourceStatus[];
  sessions(): SessionStats;
  backups(): BackupStats;
  recovery(): RecoveryStats;
  runtime(): RuntimeVitals | undefined;
  runtimeTotals(): { blocks: number; gc: RuntimeVitals['gc'] };
  health(): HealthReport;
  /** Keel's version, for `keel_info`. */
  version: string;
}

/** Options of a {@link PrometheusExporter}. */
export interface PrometheusExporterOptions {
  /**
   * Bucket bounds of `keel_operation_duration_seconds`, in ms; every latency
   * target is added so the buckets straddle it.
   * @defaultValue 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
   */
  bucketsMs?: readonly number[];
  /** Operations rendered between yields to the event loop. @defaultValue 200 */
  chunk?: number;
}

const DEFAULT_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];
const HEALTH_STATES = ['UP', 'DEGRADED', 'DOWN', 'UNKNOWN'] as const;
const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;
const GC_KINDS = ['major', 'minor', 'incremental', 'weakcb'] as const;

/** An operation's rendered block, reused while its figures are unchanged. */
interface OperationBlock {
  count: number;
  bounds: FixedBounds;
  format: ExpositionFormat;
  histogram: string;
  errors: string;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Renders everything Keel knows as Prometheus text 0.0.4 or OpenMetrics 1.0:
 * operation durations as histograms in seconds (lifetime counts, buckets
 * that straddle the targets), errors, capacity, sessions, backups, recovery,
 * runtime vitals, health and the app's custom metrics, each with HELP and
 * TYPE. Operations are rendered in chunks between which the event loop runs,
 * and an operation whose count did not change reuses its text.
 *
 * @example
 * const text = await exporter.render('prometheus');
 */
export class PrometheusExporter {
  readonly #s: ExportSources;
  readonly #bucketsMs: readonly number[];
  readonly #chunk: number;
  readonly #reader = new LifetimeBucketsReader();
  readonly #blocks = new WeakMap<Operation, OperationBlock>();
  #bounds: { key: string; bounds: FixedBounds; les: string[] } | undefined;
  #lastHealth: { at: number; report: HealthReport } | undefined;

  /** @throws RangeError for a bad bucket bound or chunk */
  constructor(sources: ExportSources, options: PrometheusExporterOptions = {}) {
    this.#s = sources;
    this.#bucketsMs = fixedBounds(options.bucketsMs ?? DEFAULT_BUCKETS_MS).ms;
    const chunk = options.chunk ?? 200;
    if (!Number.isSafeInteger(chunk) || chunk < 1) {
      throw new RangeError(`chunk must be an integer >= 1, got ${chunk}`);
    }
    this.#chunk = chunk;
  }

  /** The exposition in `format`; yields to the event loop between chunks of operations. */
  async render(format: ExpositionFormat = 'prometheus'): Promise<string> {
    const w = new ExpositionWriter(format);
    await this.#operations(w);
    this.#capacity(w);
    this.#sessions(w);
    this.#backups(w);
    this.#recovery(w);
    this.#runtime(w);
    this.#health(w);
    w.family('keel_info', 'info', 'Keel itself: its version.');
    w.sample('keel_info', labelSet([['version', this.#s.version]]), 1);
    this.#custom(w);
    return w.end();
  }

  /** Bounds of the duration histogram: the configured ones and every target. */
  #currentBounds(): { bounds: FixedBounds; les: string[] } {
    const targets = this.#s.targetLatencies();
    const key = targets.join(',');
    if (this.#bounds === undefined || this.#bounds.key !== key) {
      const bounds = fixedBounds([...this.#bucketsMs, ...targets]);
      this.#bounds = { key, bounds, les: bounds.ms.map((ms) => formatValue(ms / 1000)) };
    }
    return this.#bounds;
  }

  async #operations(w: ExpositionWriter): Promise<void> {
    const { bounds, les } = this.#currentBounds();
    const blocks: OperationBlock[] = [];
    let n = 0;
    for (const op of this.#s.operations()) {
      blocks.push(this.#block(op, bounds, les, w.format));
      if (++n % this.#chunk === 0) await yieldToLoop();
    }
    // The blocks go into the exposition as they are: one join at the end, no copy before.
    w.family(
      'keel_operation_duration_seconds',
      'histogram',
      'Duration of each timed operation since start, in seconds.',
    );
    for (const b of blocks) w.raw(b.histogram);
    w.family(
      'keel_operation_errors',
      'counter',
      'Calls of each timed operation that failed, since start.',
    );
    for (const b of blocks) w.raw(b.errors);
    const overflow = this.#s.operationsOverflow();
    w.family(
      'keel_operation_names_rejected',
      'counter',
      'Operation names past maxOperations, counted together as _other.',
    );
    w.sample('keel_operation_names_rejected_total', '', overflow.rejectedNames);
  }

  /** The operation's samples, rendered again only when its count changed. */
  #block(
    op: Operation,
    bounds: FixedBounds,
    les: string[],
    format: ExpositionFormat,
  ): OperationBlock {
    const cached = this.#blocks.get(op);
    const count = op.current.ok.count + (op.current.failed?.count ?? 0) + op.closedCount;
    // Lifetime figures change only with a new value (a slice change only moves them): the count says.
    if (
      cached !== undefined &&
      cached.count === count &&
      cached.bounds === bounds &&
      cached.format === format
    ) {
      return cached;
    }
    const b = this.#reader.read(op, bounds);
    const block: OperationBlock = {
      count: b.count,
      bounds,
      format,
      histogram: histogramText(b, les),
      errors: `keel_operation_errors_total${labelSet([
        ['operation', b.name],
        ['kind', b.kind],
      ])} ${b.errors}\n`,
    };
    this.#blocks.set(op, block);
    return block;
  }

  #capacity(w: ExpositionWriter): void {
    const resources = this.#s.capacity();
    const each = (
      name: string,
      help: string,
      type: 'gauge' | 'counter',
      value: (r: ResourceStatus) => number,
    ) => {
      w.family(name, type, help);
      for (const r of resources) {
        w.sample(
          type === 'counter' ? `${name}_total` : name,
          labelSet([['resource', r.name]]),
          value(r),
        );
      }
    };
    each('keel_capacity_used', 'Current count of each limited resource.', 'gauge', (r) => r.count);
    each(
      'keel_capacity_limit',
      'Limit of each resource (+Inf when unlimited).',
      'gauge',
      (r) => r.limit,
    );
    each(
      'keel_capacity_utilization_ratio',
      'Count over limit, 0..1 (past 1 with policy warn).',
      'gauge',
      (r) => r.utilization,
    );
    each('keel_capacity_peak', 'Highest count seen of each resource.', 'gauge', (r) => r.peak);
    each(
      'keel_capacity_rejected',
      'Changes refused by policy reject.',
      'counter',
      (r) => r.rejected,
    );
  }

  #sessions(w: ExpositionWriter): void {
    const s = this.#s.sessions();
    const gauge = (name: string, help: string, v: number) => {
      w.family(name, 'gauge', help);
      w.sample(name, '', v);
    };
    const counter = (name: string, help: string, v: number) => {
      w.family(name, 'counter', help);
      w.sample(`${name}_total`, '', v);
    };
    gauge('keel_sessions_active', 'Sessions active now.', s.active);
    gauge('keel_sessions_peak', 'Most sessions active at once.', s.peak);
    counter('keel_sessions_started', 'Sessions registered since start.', s.registered);
    counter(
      'keel_sessions_ended',
      'Sessions ended since start (unregistered, expired or evicted).',
      s.ended,
    );
    counter('keel_sessions_expired', 'Sessions ended by idle expiry.', s.expired);
    counter('keel_sessions_evicted', 'Sessions evicted past maxSessions.', s.evicted);
  }

  #backups(w: ExpositionWriter): void {
    const b = this.#s.backups();
    const gauge = (name: string, help: string, v: number | null | undefined) => {
      if (v === null || v === undefined) return;
      w.family(name, 'gauge', help);
      w.sample(name, '', v);
    };
    const counter = (name: string, help: string, v: number) => {
      w.family(name, 'counter', help);
      w.sample(`${name}_total`, '', v);
    };
    counter('keel_backup_attempts', 'Backup attempts since start.', b.attempts);
    counter('keel_backup_failures', 'Backup attempts that failed since start.', b.failures);
    counter(
      'keel_backup_corrupt_found',
      'Corrupt backup files found and moved aside.',
      b.corruptFound,
    );
    gauge(
      'keel_backup_consecutive_failures',
      'Failed backup attempts in a row.',
      b.consecutiveFailures,
    );
    gauge(
      'keel_backup_success_ratio',
      'Share of backup attempts that succeeded (1 before any).',
      b.successRate,
    );
    gauge(
      'keel_backup_last_success_timestamp_seconds',
      'Unix time of the last good backup of the app state.',
      b.lastSuccessAt === null ? null : Date.parse(b.lastSuccessAt) / 1000,
    );
    gauge(
      'keel_backup_last_good_age_seconds',
      'Age of the last good backup of the app state.',
      b.lastGoodBackupAgeMs === null ? null : b.lastGoodBackupAgeMs / 1000,
    );
    gauge('keel_backup_files', 'Backup files in the backup directory.', b.backupCount);
    gauge('keel_backup_stored_bytes', 'Bytes of the backup files on disk.', b.bytesOnDisk);
    gauge('keel_backup_disk_free_bytes', 'Free space of the backup disk.', b.disk?.freeBytes);
    gauge('keel_backup_running', '1 while a backup runs.', b.running ? 1 : 0);
  }

  #recovery(w: ExpositionWriter): void {
    const r = this.#s.recovery();
    const perOp = (
      name: string,
      help: string,
      value: (o: RecoveryStats['operations'][number]) => number,
    ) => {
      w.family(name, 'counter', help);
      for (const o of r.operations)
        w.sample(`${name}_total`, labelSet([['operation', o.operation]]), value(o));
    };
    perOp('keel_recovery_runs', 'Runs through monitor.run.', (o) => o.runs);
    perOp(
      'keel_recovery_recovered',
      'Runs that succeeded after a failed attempt.',
      (o) => o.recovered,
    );
    perOp('keel_recovery_gave_up', 'Runs that failed for good.', (o) => o.gaveUp);
    perOp('keel_recovery_degraded', 'Runs answered by their fallback.', (o) => o.degraded);
    perOp('keel_recovery_retries', 'Retries made.', (o) => o.retries);
    perOp('keel_recovery_timeouts', 'Attempts that passed their timeoutMs.', (o) => o.timeouts);
    w.family(
      'keel_breaker_state',
      'stateset',
      'State of each circuit breaker (1 for the current state).',
    );
    for (const o of r.operations) {
      if (o.breaker === null) continue;
      const base = labelSet([['operation', o.operation]]);
      for (const state of BREAKER_STATES) {
        w.sample(
          'keel_breaker_state',
          withLabel(base, 'keel_breaker_state', state),
          o.breaker === state ? 1 : 0,
        );
      }
    }
    w.family('keel_errors', 'counter', 'Errors seen by recovery, by error type.');
    for (const t of r.errorTypes)
      w.sample('keel_errors_total', labelSet([['type', t.type]]), t.occurrences);
  }

  #runtime(w: ExpositionWriter): void {
    const v = this.#s.runtime();
    const totals = this.#s.runtimeTotals();
    w.family(
      'keel_event_loop_blocks',
      'counter',
      'Lag-probe readings at or over the block threshold (eventLoopMaxMs).',
    );
    w.sample('keel_event_loop_blocks_total', '', totals.blocks);
    w.family('keel_gc_pause_seconds', 'counter', 'Garbage-collection pause time by kind.');
    for (const kind of GC_KINDS) {
      w.sample(
        'keel_gc_pause_seconds_total',
        labelSet([['kind', kind]]),
        totals.gc[kind].pauseMs / 1000,
      );
    }
    w.family('keel_gc_collections', 'counter', 'Garbage collections by kind.');
    for (const kind of GC_KINDS) {
      w.sample('keel_gc_collections_total', labelSet([['kind', kind]]), totals.gc[kind].count);
    }
    if (v === undefined) return;
    const gauge = (name: string, help: string, value: number) => {
      w.family(name, 'gauge', help);
      w.sample(name, '', value);
    };
    const m = v.memory;
    gauge('keel_process_resident_memory_bytes', 'Resident set size of the process.', m.rssBytes);
    gauge('keel_heap_used_bytes', 'V8 heap used.', m.heapUsedBytes);
    gauge('keel_heap_total_bytes', 'V8 heap allocated.', m.heapTotalBytes);
    gauge('keel_heap_limit_bytes', 'V8 heap size limit.', m.heapLimitBytes);
    gauge(
      'keel_external_memory_bytes',
      'Memory of C++ objects bound to JavaScript.',
      m.externalBytes,
    );
    const d = v.eventLoopDelay;
    gauge(
      'keel_event_loop_delay_p50_seconds',
      'Median event-loop delay over the last interval.',
      d.p50Ms / 1000,
    );
    gauge(
      'keel_event_loop_delay_p99_seconds',
      'P99 event-loop delay over the last interval.',
      d.p99Ms / 1000,
    );
    gauge(
      'keel_event_loop_delay_max_seconds',
      'Longest event-loop delay over the last interval.',
      d.maxMs / 1000,
    );
    gauge(
      'keel_event_loop_utilization_ratio',
      'Share of the last interval the event loop was busy.',
      v.eventLoopUtilization,
    );
    gauge(
      'keel_cpu_usage_ratio',
      'CPU time over the last interval, as a share of one core.',
      v.cpuPercent / 100,
    );
    w.family(
      'keel_active_resources',
      'gauge',
      'Handles and requests keeping the event loop alive, by type.',
    );
    for (const [type, n] of Object.entries(v.activeResources)) {
      w.sample('keel_active_resources', labelSet([['type', type]]), n);
    }
  }

  /** The health report, read at most once a second (a read judges every operation). */
  #healthReport(): HealthReport {
    const now = performance.now();
    if (this.#lastHealth === undefined || now - this.#lastHealth.at >= 1_000) {
      this.#lastHealth = { at: now, report: this.#s.health() };
    }
    return this.#lastHealth.report;
  }

  #health(w: ExpositionWriter): void {
    const h = this.#healthReport();
    w.family('keel_health_status', 'stateset', 'Overall health (1 for the current status).');
    for (const s of HEALTH_STATES) {
      w.sample('keel_health_status', labelSet([['keel_health_status', s]]), h.status === s ? 1 : 0);
    }
    w.family(
      'keel_health_check_status',
      'stateset',
      'Status of each health check (1 for the current status).',
    );
    for (const c of h.checks) {
      const base = labelSet([['check', c.name]]);
      for (const s of HEALTH_STATES) {
        w.sample(
          'keel_health_check_status',
          withLabel(base, 'keel_health_check_status', s),
          c.status === s ? 1 : 0,
        );
      }
    }
  }

  /** The app's counters, gauges, and histograms (as summaries: Keel's sketches give quantiles). */
  #custom(w: ExpositionWriter): void {
    for (const m of this.#s.customMetrics()) {
      if (m.type === 'counter') {
        const base = m.name.replace(/_total$/, '');
        if (!w.family(base, 'counter', m.help || m.name)) continue;
        for (const s of m.series)
          w.sample(`${base}_total`, labelSet(Object.entries(s.labels)), s.value);
      } else if (m.type === 'gauge') {
        if (!w.family(m.name, 'gauge', m.help || m.name)) continue;
        for (const s of m.series) w.sample(m.name, labelSet(Object.entries(s.labels)), s.value);
      } else {
        if (!w.family(m.name, 'summary', m.help || m.name)) continue;
        for (const s of m.series) {
          const base = labelSet(Object.entries(s.labels));
          const q = (quantile: string, value: number) =>
            w.sample(m.name, withLabel(base, 'quantile', quantile), value);
          q('0.5', s.p50);
          q('0.9', s.p90);
          q('0.95', s.p95);
          q('0.99', s.p99);
          q('0.999', s.p999);
          w.sample(`${m.name}_sum`, base, s.sum);
          w.sample(`${m.name}_count`, base, s.count);
        }
      }
    }
  }
}

/** One operation's histogram samples in seconds. */
function histogramText(b: LifetimeBuckets, les: readonly string[]): string {
  const labels = labelSet([
    ['operation', b.name],
    ['kind', b.kind],
  ]);
  const prefix = `keel_operation_duration_seconds_bucket${labels.slice(0, -1)},le="`;
  // Joined, not concatenated: a flat string, so the exposition's final join only copies it.
  const lines: string[] = [];
  for (let j = 0; j < les.length; j++) lines.push(`${prefix}${les[j]}"} ${b.buckets[j]}\n`);
  lines.push(`${prefix}+Inf"} ${b.count}\n`);
  lines.push(`keel_operation_duration_seconds_sum${labels} ${formatValue(b.sumMs / 1000)}\n`);
  lines.push(`keel_operation_duration_seconds_count${labels} ${b.count}\n`);
  return lines.join('');
}
