import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type Operation, PerformanceMonitor } from '../../src/index.js';
import { median } from '../lib/measure.js';
import type { ResultRow, Suite, SuiteResult } from '../lib/suite.js';
import { fmt, formatTable } from '../lib/table.js';

const OPERATIONS = 1_000;
const SESSIONS = 10_000;
/** Values recorded between two reads: a live service records between probes. */
const BETWEEN_READS = 100;

/** µs per call of `f`, median of `reps` batches of `n` calls. */
function usPerCall(f: () => unknown, n: number, reps: number): number {
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) f();
    samples.push(((performance.now() - start) / n) * 1000);
  }
  return median(samples);
}

/** CPU of this (otherwise idle) process over `seconds`, % of one core, with runtime sampling on or off. */
async function idleCpu(enabled: boolean, seconds: number): Promise<number> {
  const m = new PerformanceMonitor({ backupDir: tmpdir(), runtime: { enabled } });
  await new Promise((r) => setTimeout(r, 300));
  const before = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(before);
  const ms = performance.now() - t0;
  await m.close();
  return ((used.user + used.system) / 1000 / ms) * 100;
}

export const healthSuite: Suite = {
  name: 'health',
  description: `getSystemHealth / checkHealth with ${OPERATIONS} operations and ${SESSIONS} sessions; runtime sampling cost`,
  flags: { '--quick': 'fewer repetitions (a smoke run, not a measurement)' },
  async run({ log, flags }): Promise<SuiteResult> {
    const quick = flags.has('--quick');
    const reps = quick ? 3 : 9;
    const monitor = new PerformanceMonitor({ backupDir: tmpdir(), runtime: { enabled: false } });
    log('health: filling 1,000 operations and 10,000 sessions');
    let seed = 1;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const ops: Operation[] = Array.from({ length: OPERATIONS }, (_, i) =>
      monitor.operation(`op_${i}`, { kind: i % 3 === 0 ? 'db' : 'app' }),
    );
    for (const op of ops) for (let j = 0; j < 1_000; j++) op.record(20 * Math.exp(random() - 0.5));
    for (let i = 0; i < SESSIONS; i++) monitor.registerSession(`session_${i}`);
    monitor.health.register('database', async () => ({ status: 'UP' }), { timeoutMs: 500 });
    await monitor.checkHealth(); // warm-up, and the app check's first outcome
    let k = 0;
    const traffic = () => {
      for (let j = 0; j < BETWEEN_READS; j++) ops[k++ % OPERATIONS]!.record(18);
    };

    log('health: getSystemHealth with traffic between reads');
    const busy = usPerCall(
      () => {
        traffic();
        return monitor.getSystemHealth();
      },
      quick ? 3 : 20,
      reps,
    );
    log('health: getSystemHealth on unchanged figures');
    const unchanged = usPerCall(() => monitor.getSystemHealth(), quick ? 20 : 200, reps);
    log('health: checkHealth (every check, in parallel) with traffic between calls');
    const checkSamples: number[] = [];
    for (let r = 0; r < reps * 5; r++) {
      traffic();
      const start = performance.now();
      await monitor.checkHealth();
      checkSamples.push((performance.now() - start) * 1000);
    }
    await monitor.close();

    log('health: one set of readings');
    const sampled = new PerformanceMonitor({ backupDir: tmpdir() });
    const readingsUs = usPerCall(() => sampled.runtime.sample(), quick ? 20 : 200, reps);
    const statfsSamples: number[] = [];
    for (let r = 0; r < (quick ? 10 : 100); r++) {
      const start = performance.now();
      await statfs(tmpdir());
      statfsSamples.push((performance.now() - start) * 1000);
    }
    const perSampleUs = readingsUs + median(statfsSamples);
    const intervalMs = sampled.runtime.intervalMs;
    await sampled.close();

    // The whole cost of sampling (the lag probe's timer, the GC observer and
    // the readings): an idle process with sampling on, minus with it off.
    const seconds = quick ? 1 : 4;
    log(`health: idle CPU with sampling on and off (${seconds} s each, twice)`);
    const deltas: number[] = [];
    for (let r = 0; r < 2; r++) {
      deltas.push((await idleCpu(true, seconds)) - (await idleCpu(false, seconds)));
    }
    const results: ResultRow[] = [
      {
        name: 'keel',
        getSystemHealthUs: Math.round(busy),
        checkHealthUs: Math.round(median(checkSamples)),
        samplingCpuPercent: Math.round(Math.max(0, median(deltas)) * 1000) / 1000,
        getSystemHealthUsUnchanged: Math.round(unchanged * 10) / 10,
        sampleUs: Math.round(perSampleUs),
        readingsCpuPercent: Math.round((perSampleUs / 1e6 / (intervalMs / 1000)) * 100 * 1e4) / 1e4,
      },
    ];
    return {
      suite: 'health',
      config: {
        node: process.version,
        operations: OPERATIONS,
        sessions: SESSIONS,
        valuesBetweenReads: BETWEEN_READS,
        samplingIntervalMs: intervalMs,
        reps,
        statistic: 'median of reps',
        quick,
      },
      results,
    };
  },
  format(result) {
    const r = result.results[0]!;
    return [
      `health: ${OPERATIONS} operations, ${SESSIONS} sessions`,
      '',
      formatTable(
        ['figure', 'value'],
        [
          [
            `getSystemHealth, ${BETWEEN_READS} values recorded between reads (µs)`,
            fmt(r.getSystemHealthUs as number, 0),
          ],
          [
            'getSystemHealth, figures unchanged (µs)',
            fmt(r.getSystemHealthUsUnchanged as number, 1),
          ],
          [
            `checkHealth, every check, ${BETWEEN_READS} values between calls (µs)`,
            fmt(r.checkHealthUs as number, 0),
          ],
          ['one set of readings incl. statfs (µs)', fmt(r.sampleUs as number, 0)],
          [
            'sampling, idle process on minus off (% of one core)',
            fmt(r.samplingCpuPercent as number, 3),
          ],
          ['of which the readings at 1 s (% of one core)', fmt(r.readingsCpuPercent as number, 4)],
        ],
      ),
    ].join('\n');
  },
};
