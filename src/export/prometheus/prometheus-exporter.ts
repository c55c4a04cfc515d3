import type { HealthReport } from '../../health/index.js';
import {
  type FixedBounds,
  fixedBounds,
  type LifetimeBuckets,
  LifetimeBucketsReader,
  type Operation,
} from '../../metrics/index.js';
import { DEFAULT_BUCKETS_MS, type ExportSources } from '../export-sources.js';
import { collectFamilies, type MetricFamily } from '../metric-families.js';
import {
  type ExpositionFormat,
  ExpositionWriter,
  formatValue,
  labelSet,
  withLabel,
} from './text-format.js';

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
    for (const family of collectFamilies(this.#s, this.#healthReport())) writeFamily(w, family);
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
  }

  /** The operation's samples, rendered again only when its count changed. */
  #block(
    op: Operation,
    bounds: FixedBounds,
    les: string[],
    format: ExpositionFormat,
  ): OperationBlock {
    const cached = this.#blocks.get(op);
    const count = op.recordedCount;
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

  /** The health report, read at most once a second (a read judges every operation). */
  #healthReport(): HealthReport {
    const now = performance.now();
    if (this.#lastHealth === undefined || now - this.#lastHealth.at >= 1_000) {
      this.#lastHealth = { at: now, report: this.#s.health() };
    }
    return this.#lastHealth.report;
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

/** A neutral family in the exposition: counters with `_total`, statesets and info as the format wants. */
function writeFamily(w: ExpositionWriter, f: MetricFamily): void {
  if (!w.family(f.name, f.type, f.help)) return; // a custom metric named like one of Keel's
  switch (f.type) {
    case 'counter':
      for (const s of f.samples) w.sample(`${f.name}_total`, labelSet(s.labels), s.value);
      return;
    case 'gauge':
    case 'stateset':
      for (const s of f.samples) w.sample(f.name, labelSet(s.labels), s.value);
      return;
    case 'info':
      w.sample(f.name, labelSet(f.labels), 1);
      return;
    case 'summary':
      for (const x of f.series) {
        const base = labelSet(x.labels);
        for (const [q, v] of x.quantiles)
          w.sample(f.name, withLabel(base, 'quantile', String(q)), v);
        w.sample(`${f.name}_sum`, base, x.sum);
        w.sample(`${f.name}_count`, base, x.count);
      }
  }
}
