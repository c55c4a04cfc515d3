import os from 'node:os';
import { gcAvailable, repeat, settledMemory } from '../lib/measure.js';
import { logNormalSample } from '../lib/prng.js';
import { nearestRank } from '../lib/quantile.js';
import type { Figure, ResultRow, Suite, SuiteContext, SuiteResult } from '../lib/suite.js';
import { fmt, formatTable, ratio } from '../lib/table.js';
import type { Contender, ExtrasContext, OperationFigures, Target } from './contender.js';
import { CONTENDERS } from './contenders.js';
import { timeReads, VALUES_BETWEEN_READS } from './time-reads.js';

/** Sizes of one run; `--quick` divides the big ones by 10 for a smoke run. */
interface Sizes {
  values: number;
  operations: number;
  measureCalls: number;
  manyOperations: number;
  valuesPerManyOperation: number;
  reps: number;
  warmup: number;
}

const FULL: Sizes = {
  values: 5_000_000,
  operations: 8,
  measureCalls: 1_000_000,
  manyOperations: 1_000,
  valuesPerManyOperation: 10_000,
  reps: 5,
  warmup: 1,
};

const QUICK: Sizes = {
  ...FULL,
  values: 500_000,
  measureCalls: 100_000,
  valuesPerManyOperation: 1_000,
};

const DISTRIBUTION = { kind: 'log-normal', medianMs: 20, sigma: 1, seed: 20_250_101 } as const;

/** The no-op that measure-style calls time. */
function noop(): void {}

/** Exact P50/P99 of each operation, from the values it was given (`i & mask`). */
interface Exact {
  p50: number[];
  p99: number[];
}

function exactQuantiles(values: Float64Array, operations: number): Exact {
  const mask = operations - 1;
  const per = Array.from({ length: operations }, (_, op) => {
    const n = Math.floor(values.length / operations) + (op < values.length % operations ? 1 : 0);
    return new Float64Array(n);
  });
  const fill = new Array<number>(operations).fill(0);
  for (let i = 0; i < values.length; i++) {
    const op = i & mask;
    per[op]![fill[op]!++] = values[i]!;
  }
  const sorted = per.map((a) => a.sort());
  return {
    p50: sorted.map((s) => nearestRank(s, 0.5)),
    p99: sorted.map((s) => nearestRank(s, 0.99)),
  };
}

/** Worst relative error of a contender's quantile estimate over the operations. */
async function worstRelativeError(
  target: Target,
  q: number,
  exact: readonly number[],
): Promise<number> {
  let worst = 0;
  for (let op = 0; op < exact.length; op++) {
    const estimate = await target.quantileMs(op, q);
    const err = Math.abs(estimate - exact[op]!) / exact[op]!;
    worst = Math.max(worst, Number.isNaN(err) ? Number.POSITIVE_INFINITY : err);
  }
  return worst;
}

/** Untimed fill: value `i` (cycling over `values`) into operation `i % operations`. */
function fill(
  target: Target,
  values: Float64Array,
  operations: number,
  perOperation: number,
): void {
  const total = operations * perOperation;
  for (let i = 0; i < total; i++) target.record(i % operations, values[i % values.length]!);
}

interface Phase {
  contender: Contender;
  sizes: Sizes;
  values: Float64Array;
  names: readonly string[];
  manyNames: readonly string[];
  log(message: string): void;
}

/** False, with a warning, when a report lacks an operation or a value recorded so far. */
function reportIsComplete(
  p: Phase,
  figures: readonly OperationFigures[],
  expected: number,
): boolean {
  const total = figures.reduce((sum, f) => sum + f.count, 0);
  if (figures.length === p.sizes.manyOperations && total === expected) return true;
  p.log(
    `WARNING ${p.contender.name}: report has ${figures.length} ops / ${total} values, expected ${expected}`,
  );
  return false;
}

/**
 * bytesPerOperation, then reportUs1000 and reportUs1000Unchanged, on one
 * structure of 1,000 operations. Memory is read before any report, so neither
 * what a read keeps nor the values recorded between reads count in it.
 */
async function memoryAndReport(p: Phase): Promise<{
  bytes: number | null;
  rssBytes: number | null;
  reportUs: number;
  reportUsUnchanged: number;
}> {
  const { contender: c, sizes } = p;
  p.log(`${c.name}: memory (${sizes.manyOperations} ops x ${sizes.valuesPerManyOperation} values)`);
  const before = await settledMemory();
  const target = c.prepare(p.manyNames);
  fill(target, p.values, sizes.manyOperations, sizes.valuesPerManyOperation);
  const after = await settledMemory();
  const per = (x: number): number | null => (gcAvailable ? x / sizes.manyOperations : null);
  const bytes = per(after.heapAndExternal - before.heapAndExternal);
  const rssBytes = per(after.rss - before.rss);

  const filled = sizes.manyOperations * sizes.valuesPerManyOperation;
  p.log(
    `${c.name}: report over ${sizes.manyOperations} operations, after ${VALUES_BETWEEN_READS} new values and unchanged`,
  );
  let warned = false;
  const reads = await timeReads({
    record: (op, ms) => target.record(op, ms),
    operations: sizes.manyOperations,
    values: p.values,
    firstValue: filled,
    reps: sizes.reps,
    warmup: sizes.warmup,
    read: async (recorded) => {
      const t0 = performance.now();
      const figures = await target.report();
      const us = (performance.now() - t0) * 1000;
      if (!warned) warned = !reportIsComplete(p, figures, filled + recorded); // warn once
      return us;
    },
  });
  await target.close();
  return { bytes, rssBytes, reportUs: reads.changedUs, reportUsUnchanged: reads.unchangedUs };
}

/** recordNs (median of reps, fresh structure each) and the quantile errors of the last one. */
async function recordAndAccuracy(
  p: Phase,
  exactFor: (values: Float64Array) => Exact,
): Promise<{ recordNs: number; p99RelError: number; p50RelError: number; recordValues: number }> {
  const { contender: c, sizes } = p;
  const values = p.values.subarray(0, Math.min(p.values.length, c.recordValues ?? p.values.length));
  p.log(
    `${c.name}: record ${values.length.toLocaleString('en-US')} values x ${sizes.warmup}+${sizes.reps}`,
  );
  let kept: Target | undefined;
  const recordNs = await repeat(sizes, async (_, last) => {
    const target = c.prepare(p.names);
    const t0 = performance.now();
    target.recordAll(values);
    const ms = performance.now() - t0;
    if (last) kept = target;
    else await target.close();
    return (ms * 1e6) / values.length;
  });
  const target = kept!;
  const exact = exactFor(values);
  const p99RelError = await worstRelativeError(target, 0.99, exact.p99);
  const p50RelError = await worstRelativeError(target, 0.5, exact.p50);
  await target.close();
  return { recordNs, p99RelError, p50RelError, recordValues: values.length };
}

/** measureNs: a measureOperation-style call around a no-op, clock reads included. */
async function measure(p: Phase): Promise<number> {
  const { contender: c, sizes } = p;
  p.log(
    `${c.name}: measure ${sizes.measureCalls.toLocaleString('en-US')} calls x ${sizes.warmup}+${sizes.reps}`,
  );
  return repeat(sizes, async () => {
    const target = c.prepare(p.names);
    const t0 = performance.now();
    target.measureAll(sizes.measureCalls, noop);
    const ms = performance.now() - t0;
    await target.close();
    return (ms * 1e6) / sizes.measureCalls;
  });
}

function round(x: number | null, digits: number): number | null {
  if (x === null || !Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** 4 significant digits, for relative errors. */
function roundSignificant(x: number): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(4)) : x;
}

async function runContender(
  p: Phase,
  exactFor: (values: Float64Array) => Exact,
): Promise<ResultRow> {
  const started = performance.now();
  await p.contender.setup?.();
  const mem = await memoryAndReport(p);
  const rec = await recordAndAccuracy(p, exactFor);
  const measureNs = await measure(p);
  const extras: Record<string, number | null> = {};
  if (p.contender.extras !== undefined) {
    const ctx: ExtrasContext = {
      values: p.values,
      names: p.names,
      manyNames: p.manyNames,
      valuesPerManyName: p.sizes.valuesPerManyOperation,
      measureCalls: p.sizes.measureCalls,
      reps: p.sizes.reps,
      warmup: p.sizes.warmup,
      noop,
      log: p.log,
    };
    for (const [k, v] of Object.entries(await p.contender.extras(ctx))) {
      extras[k] = k.endsWith('Ns') || k.startsWith('report') ? round(v, 1) : v;
    }
  }
  p.log(`${p.contender.name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    name: p.contender.name,
    recordNs: round(rec.recordNs, 1),
    measureNs: round(measureNs, 1),
    p99RelError: roundSignificant(rec.p99RelError),
    bytesPerOperation: round(p.contender.memory === 'native' ? mem.rssBytes : mem.bytes, 0),
    reportUs1000: round(mem.reportUs, 1),
    reportUs1000Unchanged: round(mem.reportUsUnchanged, 1),
    p50RelError: roundSignificant(rec.p50RelError),
    memorySource: p.contender.memory === 'native' ? 'rss' : 'heap+external',
    heapExternalBytesPerOperation: round(mem.bytes, 0),
    rssBytesPerOperation: round(mem.rssBytes, 0),
    recordValues: rec.recordValues,
    ...extras,
  };
}

/** Every row gets every figure: `null` where a contender has none. */
function normalise(rows: ResultRow[]): ResultRow[] {
  const keys = new Set(rows.flatMap((r) => Object.keys(r)));
  return rows.map((r) => {
    const out: ResultRow = { name: r.name };
    for (const k of keys) out[k] = r[k] ?? null;
    return out;
  });
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const quick = ctx.flags.has('--quick');
  const sizes = quick ? QUICK : FULL;
  const started = performance.now();
  const log = (message: string): void =>
    ctx.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
  if (!gcAvailable) log('WARNING: run node with --expose-gc; bytesPerOperation will be null');
  log(`generating ${sizes.values.toLocaleString('en-US')} ${DISTRIBUTION.kind} values`);
  const values = logNormalSample({
    count: sizes.values,
    medianMs: DISTRIBUTION.medianMs,
    sigma: DISTRIBUTION.sigma,
    seed: DISTRIBUTION.seed,
  });
  const names = Array.from({ length: sizes.operations }, (_, i) => `operation_${i}`);
  const manyNames = Array.from(
    { length: sizes.manyOperations },
    (_, i) => `operation_${String(i).padStart(4, '0')}`,
  );
  const exactCache = new Map<number, Exact>();
  const exactFor = (v: Float64Array): Exact => {
    let e = exactCache.get(v.length);
    if (e === undefined) {
      e = exactQuantiles(v, sizes.operations);
      exactCache.set(v.length, e);
    }
    return e;
  };

  const rows: ResultRow[] = [];
  for (const contender of CONTENDERS) {
    rows.push(await runContender({ contender, sizes, values, names, manyNames, log }, exactFor));
  }
  const wallSeconds = round((performance.now() - started) / 1000, 1);
  log(`metrics suite done in ${wallSeconds} s`);
  return {
    suite: 'metrics',
    config: {
      quick,
      values: sizes.values,
      distribution: DISTRIBUTION,
      operations: sizes.operations,
      operationOfValue: 'i & 7',
      reps: sizes.reps,
      warmupReps: sizes.warmup,
      statistic: 'median of reps; each rep on a fresh structure after a full GC',
      measureCalls: sizes.measureCalls,
      memory: {
        operations: sizes.manyOperations,
        valuesPerOperation: sizes.valuesPerManyOperation,
        reps: 1,
        method:
          'heapUsed+external settled (gc() x2 + 10 ms, until stable within 16 KiB) before; build + fill; settled again after; (after-before)/operations. external includes ArrayBuffers and WebAssembly memory (which grows in pages and never shrinks).',
        reads: `read before any report: the ${VALUES_BETWEEN_READS} values per repetition recorded between report reads, and what reads keep (Keel: each operation's last figures), are not counted`,
        nativeMethod:
          'rows with memorySource "rss" keep their storage in native (malloc) memory that heapUsed/external do not see; their bytesPerOperation is the RSS delta (resident pages only). rssBytesPerOperation is given for every row but is noisy for V8-heap structures.',
      },
      report: {
        operations: sizes.manyOperations,
        structure: 'the memory structure, after its memory was read',
        figures: 'count, mean, P50, P95, P99, max per operation (max null where the API has none)',
        valuesBetweenReads: VALUES_BETWEEN_READS,
        reportUs1000: `per repetition (after a full GC), ${VALUES_BETWEEN_READS} values recorded untimed, one into every ${sizes.manyOperations / VALUES_BETWEEN_READS}th operation starting at operation (repetition mod ${sizes.manyOperations / VALUES_BETWEEN_READS}), so a different tenth of the operations changes each time; the same operations and values for every contender; then one timed read`,
        reportUs1000Unchanged:
          'in the same repetition, after a full GC, a second timed read with nothing recorded since the first',
      },
      accuracy:
        'worst relative error over the operations vs the exact nearest-rank quantile of the values each operation received',
      recordValues: Object.fromEntries(rows.map((r) => [r.name, r.recordValues])),
      node: process.version,
      v8: process.versions.v8,
      platform: `${process.platform}-${process.arch}`,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.availableParallelism(),
      gcExposed: gcAvailable,
      wallSeconds,
    },
    results: normalise(rows),
  };
}

function num(row: ResultRow, key: string): number | null {
  const x: Figure | undefined = row[key];
  return typeof x === 'number' ? x : null;
}

function format(result: SuiteResult): string {
  const base = result.results.find((r) => r.name === 'keel');
  const b = (key: string): number | null => (base === undefined ? null : num(base, key));
  const header = [
    'implementation',
    'record ns',
    'vs keel',
    'measure ns',
    'vs keel',
    'P99 rel err',
    'bytes/op',
    'vs keel',
    'report µs (1k ops)',
    'vs keel',
    'unchanged µs',
    'vs keel',
  ];
  const rows = result.results.map((r) => [
    r.name,
    fmt(num(r, 'recordNs')),
    ratio(num(r, 'recordNs'), b('recordNs')),
    fmt(num(r, 'measureNs')),
    ratio(num(r, 'measureNs'), b('measureNs')),
    num(r, 'p99RelError') === null ? '–' : `${fmt((num(r, 'p99RelError') ?? 0) * 100, 2)}%`,
    `${fmt(num(r, 'bytesPerOperation'), 0)}${r.memorySource === 'rss' ? '*' : ''}`,
    ratio(num(r, 'bytesPerOperation'), b('bytesPerOperation')),
    fmt(num(r, 'reportUs1000')),
    ratio(num(r, 'reportUs1000'), b('reportUs1000')),
    fmt(num(r, 'reportUs1000Unchanged')),
    ratio(num(r, 'reportUs1000Unchanged'), b('reportUs1000Unchanged')),
  ]);
  const lines = [
    `metrics suite (${String(result.config.node)}, ratios are implementation / keel)`,
    '',
  ];
  lines.push(formatTable(header, rows));
  lines.push(
    '',
    `report µs: a read of 1,000 operations after ${VALUES_BETWEEN_READS} new values (a different tenth of them each read);`,
    'unchanged µs: a read with nothing recorded since the previous one',
  );
  if (base !== undefined) {
    lines.push(
      '',
      'keel by name through PerformanceMonitor:',
      `  recordOperation(name, ms)   ${fmt(b('recordByNameNs'))} ns`,
      `  measureOperation(name, fn)  ${fmt(b('measureByNameNs'))} ns`,
      `  getPerformanceReport()      ${fmt(b('reportUs1000Monitor'))} µs (1,000 operations), ${fmt(b('reportUs1000MonitorUnchanged'))} µs unchanged`,
      'keel in steady state (all 10 slices of the window filled):',
      `  bytes per operation         ${fmt(b('bytesPerOperationSteady'))}`,
      `  report µs (1k ops)          ${fmt(b('reportUs1000Steady'))}, ${fmt(b('reportUs1000SteadyUnchanged'))} unchanged`,
    );
  }
  if (result.results.some((r) => r.memorySource === 'rss')) {
    lines.push('', '* native memory, invisible to heapUsed/external: bytes/op from the RSS delta');
  }
  const reduced = result.results.filter((r) => num(r, 'recordValues') !== result.config.values);
  for (const r of reduced) {
    lines.push(`note: ${r.name} recordNs over ${fmt(num(r, 'recordValues'), 0)} values`);
  }
  return lines.join('\n');
}

/** Keel's sketch and registry beside prom-client, HDR, DDSketch, OTel, perf_hooks and the seed. */
export const metricsSuite: Suite = {
  name: 'metrics',
  description: 'record/measure cost, P99 accuracy, memory and report time per implementation',
  flags: { '--quick': 'a tenth of the values and calls, for a smoke run' },
  run,
  format,
};
