import {
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import { PerformanceMonitor } from '../../src/index.js';
import { repeat } from '../lib/measure.js';
import type { ResultRow, Suite, SuiteResult } from '../lib/suite.js';
import { fmt, formatTable, ratio } from '../lib/table.js';

/** The work every contender wraps: an immediately resolving async function. */
const work = async (): Promise<number> => 1;

interface Contender {
  name: string;
  /** Calls per measured repetition (slow contenders get fewer). */
  calls: number;
  make(): () => Promise<unknown>;
}

const RETRY_BREAKER_TIMEOUT = {
  retry: { maxAttempts: 3 },
  breaker: { consecutive: 5, halfOpenAfterMs: 10_000 },
  timeoutMs: 2_000,
};

function contenders(monitor: PerformanceMonitor): Contender[] {
  return [
    { name: 'bare call', calls: 400_000, make: () => work },
    {
      name: 'hand-written timing wrapper',
      calls: 400_000,
      make: () => {
        let sum = 0;
        let count = 0;
        return async () => {
          const start = performance.now();
          const value = await work();
          sum += performance.now() - start;
          count++;
          return value + (count === 0 ? sum : 0);
        };
      },
    },
    {
      name: 'keel run (timing)',
      calls: 400_000,
      make: () => () => monitor.run('bench_timing', work),
    },
    {
      name: 'keel run (retry+breaker+timeout)',
      calls: 400_000,
      make: () => () => monitor.run('bench_guarded', work, RETRY_BREAKER_TIMEOUT),
    },
    {
      name: 'cockatiel wrap(retry, breaker, timeout)',
      calls: 40_000,
      make: () => {
        const policy = wrap(
          retry(handleAll, { maxAttempts: 2 }),
          circuitBreaker(handleAll, {
            halfOpenAfter: 10_000,
            breaker: new ConsecutiveBreaker(5),
          }),
          timeout(2_000, TimeoutStrategy.Cooperative),
        );
        return () => policy.execute(work);
      },
    },
    {
      name: 'opossum (breaker+timeout, no retry)',
      calls: 100_000,
      make: () => {
        const breaker = new CircuitBreaker(work, { timeout: 2_000, resetTimeout: 10_000 });
        return () => breaker.fire();
      },
    },
  ];
}

/** ns per call of `call`, awaited one after another, `calls` times. */
async function nsPerCall(call: () => Promise<unknown>, calls: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await call();
  return Number(process.hrtime.bigint() - start) / calls;
}

export const recoverySuite: Suite = {
  name: 'recovery',
  description: 'per-call overhead of monitor.run on the success path vs cockatiel and opossum',
  flags: { '--quick': 'fewer calls and repetitions (a smoke run, not a measurement)' },
  async run({ log, flags }): Promise<SuiteResult> {
    const quick = flags.has('--quick');
    const monitor = new PerformanceMonitor({ backupDir: 'keel-data/bench-unused' });
    const results: ResultRow[] = [];
    const reps = quick ? 1 : 7;
    for (const c of contenders(monitor)) {
      log(`recovery: ${c.name}`);
      const call = c.make();
      const calls = quick ? Math.ceil(c.calls / 100) : c.calls;
      const ns = await repeat({ reps, warmup: quick ? 0 : 2 }, () => nsPerCall(call, calls));
      results.push({ name: c.name, nsPerCall: Math.round(ns) });
    }
    await monitor.close();
    return {
      suite: 'recovery',
      config: { node: process.version, reps, statistic: 'median of reps', quick },
      results,
    };
  },
  format(result) {
    const base = result.results.find((r) => r.name === 'bare call')?.nsPerCall as number;
    return [
      'recovery: ns per call on the success path (an immediately resolving async function)',
      '',
      formatTable(
        ['contender', 'ns/call', 'vs bare call'],
        result.results.map((r) => [
          r.name,
          fmt(r.nsPerCall as number, 0),
          ratio(r.nsPerCall as number, base),
        ]),
      ),
    ].join('\n');
  },
};
