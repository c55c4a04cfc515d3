import type { ResourceStatus } from '../capacity/index.js';
import type { HealthReport } from '../health/index.js';
import type { RecoveryStats } from '../recovery/index.js';
import type { ExportSources } from './export-sources.js';

/** Label pairs of one sample, names first. */
export type LabelPairs = ReadonlyArray<readonly [string, string]>;

/** One value of a counter or gauge. */
export interface Sample {
  labels: LabelPairs;
  value: number;
}

/**
 * A metric family in a neutral form that both the Prometheus text and OTLP
 * exporters write. A counter's name has no `_total`; a stateset has one
 * sample per state, labelled with the family's own name (OpenMetrics' rule).
 */
export type MetricFamily =
  | { type: 'counter' | 'gauge'; name: string; help: string; samples: Sample[] }
  | { type: 'stateset'; name: string; help: string; samples: Sample[] }
  | { type: 'info'; name: string; help: string; labels: LabelPairs }
  | {
      type: 'summary';
      name: string;
      help: string;
      series: Array<{
        labels: LabelPairs;
        quantiles: ReadonlyArray<readonly [number, number]>;
        sum: number;
        count: number;
      }>;
    };

const HEALTH_STATES = ['UP', 'DEGRADED', 'DOWN', 'UNKNOWN'] as const;
const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;
const GC_KINDS = ['major', 'minor', 'incremental', 'weakcb'] as const;

/** Collects families: each helper adds one. */
class Families {
  readonly list: MetricFamily[] = [];

  value(
    type: 'counter' | 'gauge',
    name: string,
    help: string,
    samples: Sample[] | number | null | undefined,
  ): void {
    if (samples === null || samples === undefined) return;
    this.list.push({
      type,
      name,
      help,
      samples: typeof samples === 'number' ? [{ labels: [], value: samples }] : samples,
    });
  }

  stateset(
    name: string,
    help: string,
    sets: Array<[LabelPairs, readonly string[], string | null]>,
  ): void {
    const samples: Sample[] = [];
    for (const [labels, states, current] of sets) {
      for (const state of states) {
        samples.push({ labels: [...labels, [name, state]], value: state === current ? 1 : 0 });
      }
    }
    this.list.push({ type: 'stateset', name, help, samples });
  }
}

/**
 * Everything but the operation histograms (which the exporters read with
 * their own cache), as metric families: operation errors and rejected
 * names, capacity, sessions, backups, recovery, runtime, health, Keel's
 * version and the app's custom metrics.
 */
export function collectFamilies(s: ExportSources, health: HealthReport): MetricFamily[] {
  const f = new Families();
  f.value(
    'counter',
    'keel_operation_names_rejected',
    'Operation names past maxOperations, counted together as _other.',
    s.operationsOverflow().rejectedNames,
  );
  capacity(f, s.capacity());
  const ss = s.sessions();
  f.value('gauge', 'keel_sessions_active', 'Sessions active now.', ss.active);
  f.value('gauge', 'keel_sessions_peak', 'Most sessions active at once.', ss.peak);
  f.value('counter', 'keel_sessions_started', 'Sessions registered since start.', ss.registered);
  f.value(
    'counter',
    'keel_sessions_ended',
    'Sessions ended since start (unregistered, expired or evicted).',
    ss.ended,
  );
  f.value('counter', 'keel_sessions_expired', 'Sessions ended by idle expiry.', ss.expired);
  f.value('counter', 'keel_sessions_evicted', 'Sessions evicted past maxSessions.', ss.evicted);
  backups(f, s);
  recovery(f, s.recovery());
  runtime(f, s);
  f.stateset('keel_health_status', 'Overall health (1 for the current status).', [
    [[], HEALTH_STATES, health.status],
  ]);
  f.stateset(
    'keel_health_check_status',
    'Status of each health check (1 for the current status).',
    health.checks.map((c) => [[['check', c.name]], HEALTH_STATES, c.status]),
  );
  f.list.push({
    type: 'info',
    name: 'keel_info',
    help: 'Keel itself: its version.',
    labels: [['version', s.version]],
  });
  custom(f, s);
  return f.list;
}

function capacity(f: Families, resources: ResourceStatus[]): void {
  const each = (value: (r: ResourceStatus) => number): Sample[] =>
    resources.map((r) => ({ labels: [['resource', r.name]], value: value(r) }));
  f.value(
    'gauge',
    'keel_capacity_used',
    'Current count of each limited resource.',
    each((r) => r.count),
  );
  f.value(
    'gauge',
    'keel_capacity_limit',
    'Limit of each resource (+Inf when unlimited).',
    each((r) => r.limit),
  );
  f.value(
    'gauge',
    'keel_capacity_utilization_ratio',
    'Count over limit, 0..1 (past 1 with policy warn).',
    each((r) => r.utilization),
  );
  f.value(
    'gauge',
    'keel_capacity_peak',
    'Highest count seen of each resource.',
    each((r) => r.peak),
  );
  f.value(
    'counter',
    'keel_capacity_rejected',
    'Changes refused by policy reject.',
    each((r) => r.rejected),
  );
}

function backups(f: Families, s: ExportSources): void {
  const b = s.backups();
  f.value('counter', 'keel_backup_attempts', 'Backup attempts since start.', b.attempts);
  f.value(
    'counter',
    'keel_backup_failures',
    'Backup attempts that failed since start.',
    b.failures,
  );
  f.value(
    'counter',
    'keel_backup_corrupt_found',
    'Corrupt backup files found and moved aside.',
    b.corruptFound,
  );
  f.value(
    'gauge',
    'keel_backup_consecutive_failures',
    'Failed backup attempts in a row.',
    b.consecutiveFailures,
  );
  f.value(
    'gauge',
    'keel_backup_success_ratio',
    'Share of backup attempts that succeeded (1 before any).',
    b.successRate,
  );
  f.value(
    'gauge',
    'keel_backup_last_success_timestamp_seconds',
    'Unix time of the last good backup of the app state.',
    b.lastSuccessAt === null ? null : Date.parse(b.lastSuccessAt) / 1000,
  );
  f.value(
    'gauge',
    'keel_backup_last_good_age_seconds',
    'Age of the last good backup of the app state.',
    b.lastGoodBackupAgeMs === null ? null : b.lastGoodBackupAgeMs / 1000,
  );
  f.value('gauge', 'keel_backup_files', 'Backup files in the backup directory.', b.backupCount);
  f.value('gauge', 'keel_backup_stored_bytes', 'Bytes of the backup files on disk.', b.bytesOnDisk);
  f.value(
    'gauge',
    'keel_backup_disk_free_bytes',
    'Free space of the backup disk.',
    b.disk?.freeBytes,
  );
  f.value('gauge', 'keel_backup_running', '1 while a backup runs.', b.running ? 1 : 0);
}

function recovery(f: Families, r: RecoveryStats): void {
  const perOp = (
    name: string,
    help: string,
    value: (o: RecoveryStats['operations'][number]) => number,
  ) =>
    f.value(
      'counter',
      name,
      help,
      r.operations.map((o) => ({ labels: [['operation', o.operation]], value: value(o) })),
    );
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
  f.stateset(
    'keel_breaker_state',
    'State of each circuit breaker (1 for the current state).',
    r.operations
      .filter((o) => o.breaker !== null)
      .map((o) => [[['operation', o.operation]], BREAKER_STATES, o.breaker]),
  );
  f.value(
    'counter',
    'keel_errors',
    'Errors seen by recovery, by error type.',
    r.errorTypes.map((t) => ({ labels: [['type', t.type]], value: t.occurrences })),
  );
}

function runtime(f: Families, s: ExportSources): void {
  const totals = s.runtimeTotals();
  f.value(
    'counter',
    'keel_event_loop_blocks',
    'Lag-probe readings at or over the block threshold (eventLoopMaxMs).',
    totals.blocks,
  );
  f.value(
    'counter',
    'keel_gc_pause_seconds',
    'Garbage-collection pause time by kind.',
    GC_KINDS.map((kind) => ({ labels: [['kind', kind]], value: totals.gc[kind].pauseMs / 1000 })),
  );
  f.value(
    'counter',
    'keel_gc_collections',
    'Garbage collections by kind.',
    GC_KINDS.map((kind) => ({ labels: [['kind', kind]], value: totals.gc[kind].count })),
  );
  const v = s.runtime();
  if (v === undefined) return;
  const m = v.memory;
  f.value(
    'gauge',
    'keel_process_resident_memory_bytes',
    'Resident set size of the process.',
    m.rssBytes,
  );
  f.value('gauge', 'keel_heap_used_bytes', 'V8 heap used.', m.heapUsedBytes);
  f.value('gauge', 'keel_heap_total_bytes', 'V8 heap allocated.', m.heapTotalBytes);
  f.value('gauge', 'keel_heap_limit_bytes', 'V8 heap size limit.', m.heapLimitBytes);
  f.value(
    'gauge',
    'keel_external_memory_bytes',
    'Memory of C++ objects bound to JavaScript.',
    m.externalBytes,
  );
  const d = v.eventLoopDelay;
  f.value(
    'gauge',
    'keel_event_loop_delay_p50_seconds',
    'Median event-loop delay over the last interval.',
    d.p50Ms / 1000,
  );
  f.value(
    'gauge',
    'keel_event_loop_delay_p99_seconds',
    'P99 event-loop delay over the last interval.',
    d.p99Ms / 1000,
  );
  f.value(
    'gauge',
    'keel_event_loop_delay_max_seconds',
    'Longest event-loop delay over the last interval.',
    d.maxMs / 1000,
  );
  f.value(
    'gauge',
    'keel_event_loop_utilization_ratio',
    'Share of the last interval the event loop was busy.',
    v.eventLoopUtilization,
  );
  f.value(
    'gauge',
    'keel_cpu_usage_ratio',
    'CPU time over the last interval, as a share of one core.',
    v.cpuPercent / 100,
  );
  f.value(
    'gauge',
    'keel_active_resources',
    'Handles and requests keeping the event loop alive, by type.',
    Object.entries(v.activeResources).map(([type, n]) => ({ labels: [['type', type]], value: n })),
  );
}

/** The app's counters, gauges, and histograms (as summaries: Keel's sketches give quantiles). */
function custom(f: Families, s: ExportSources): void {
  for (const m of s.customMetrics()) {
    const help = m.help || m.name;
    if (m.type === 'histogram') {
      f.list.push({
        type: 'summary',
        name: m.name,
        help,
        series: m.series.map((x) => ({
          labels: Object.entries(x.labels),
          quantiles: [
            [0.5, x.p50],
            [0.9, x.p90],
            [0.95, x.p95],
            [0.99, x.p99],
            [0.999, x.p999],
          ],
          sum: x.sum,
          count: x.count,
        })),
      });
    } else {
      f.value(
        m.type,
        m.type === 'counter' ? m.name.replace(/_total$/, '') : m.name,
        help,
        m.series.map((x) => ({ labels: Object.entries(x.labels), value: x.value })),
      );
    }
  }
}
