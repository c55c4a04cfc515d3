import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { PerformanceMonitor } from '../../src/index.js';
import { median } from '../lib/measure.js';
import type { ResultRow, Suite, SuiteResult } from '../lib/suite.js';
import { fmt, formatTable } from '../lib/table.js';

const OPERATIONS = 1_000;
const SESSIONS = 10_000;

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

export const healthSuite: Suite = {
  name: 'health',
  description: `getSystemHealth / checkHealth with ${OPERATIONS} operations and ${SESSIONS} sessions; runtime sampling cost`,
  flags: { '--quick': 'fewer repetitions (a smoke run, not a measurement)' },
  async run({ log, flags }): Promise<SuiteResult> {
    const quick = flags.has('--quick');
    const reps = quick ? 3 : 9;
    const monitor = new PerformanceMonitor({
      backupDir: tmpdir(),
      capacity: { transactions: { limit: 1_000_000 } },
    });
    log('health: filling 1,000 operations and 10,000 sessions');
    let seed = 1;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const ops = Array.from({ length: OPERATIONS }, (_, i) =>
      monitor.operation(`op_${i}`, { kind: i % 3 === 0 ? 'db' : 'app' }),
    );
    for (const op of ops) for (let j = 0; j < 1_000; j++) op.record(20 * Math.exp(random() - 0.5));
    for (let i = 0; i < SESSIONS; i++) monitor.registerSession(`session_${i}`);
    monitor.health.register('database', async () => ({ status: 'UP' }), { timeoutMs: 500 });
    await monitor.checkHealth(); // warm-up, and the app check's first outcome

    log('health: getSystemHealth on unchanged figures');
    const idle = usPerCall(() => monitor.getSystemHealth(), quick ? 20 : 200, reps);
    log('health: getSystemHealth with traffic between reads');
    let k = 0;
    const busy = usPerCall(
      () => {
        for (let j = 0; j < 100; j++) ops[k++ % OPERATIONS]!.record(18); // 100 values between reads
        return monitor.getSystemHealth();
      },
      quick ? 3 : 20,
      reps,
    );
    log('health: checkHealth (every check, in parallel)');
    const checkSamples: number[] = [];
    for (let r = 0; r < reps * 5; r++) {
      const start = performance.now();
      await monitor.checkHealth();
      checkSamples.push((performance.now() - start) * 1000);
    }
    log('health: runtime sampling cost');
    const sampler = monitor.runtime;
    const sampleUs = usPerCall(() => sampler.sample(), quick ? 20 : 200, reps);
    const statfsSamples: number[] = [];
    for (let r = 0; r < (quick ? 10 : 100); r++) {
      const start = performance.now();
      await statfs(tmpdir());
      statfsSamples.push((performance.now() - start) * 1000);
    }
    const perSampleUs = sampleUs + median(statfsSamples);
    await monitor.close();
    const results: ResultRow[] = [
      {
        name: 'keel',
        getSystemHealthUs: Math.round(idle * 10) / 10,
        checkHealthUs: Math.round(median(checkSamples)),
        samplingCpuPercent:
          Math.round((perSampleUs / 1e6 / (sampler.intervalMs / 1000)) * 100 * 1e4) / 1e4,
        getSystemHealthUsWithTraffic: Math.round(busy),
        sampleUs: Math.round(perSampleUs),
      },
    ];
    return {
      suite: 'health',
      config: {
        node: process.version,
        operations: OPERATIONS,
        sessions: SESSIONS,
        samplingIntervalMs: sampler.intervalMs,
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
          ['getSystemHealth, figures unchanged (µs)', fmt(r.getSystemHealthUs as number, 1)],
          [
            'getSystemHealth, 100 values recorded between reads (µs)',
            fmt(r.getSystemHealthUsWithTraffic as number, 0),
          ],
          ['checkHealth, every check (µs)', fmt(r.checkHealthUs as number, 0)],
          ['one runtime sample incl. statfs (µs)', fmt(r.sampleUs as number, 0)],
          ['runtime sampling at 1 s (% of one core)', fmt(r.samplingCpuPercent as number, 4)],
        ],
      ),
    ].join('\n');
  },
};
