import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import autocannon from 'autocannon';
import { Histogram, Registry } from 'prom-client';
import { type Operation, PerformanceMonitor } from '../../src/index.js';
import { median } from '../lib/measure.js';
import type { ResultRow, Suite, SuiteResult } from '../lib/suite.js';
import { fmt, formatTable, ratio } from '../lib/table.js';
import { middlewareOverhead } from './middleware.js';

const NAMES = 1_000;
const KINDS = ['db', 'http', 'app'] as const;
const VALUES_PER_OPERATION = 100;
/** Values recorded every 10 ms during the load, spread over the operations: a live service. */
const LIVE_VALUES = 100;
const BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10];

/** One contender: a render and something that records a value into operation `i`. */
interface Contender {
  name: string;
  render(): Promise<string>;
  record(i: number, ms: number): void;
  close(): Promise<void>;
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function keel(): Contender {
  const monitor = new PerformanceMonitor({
    backupDir: tmpdir(),
    runtime: { enabled: false },
    metrics: { maxOperations: NAMES * KINDS.length + 10 },
  });
  const ops: Operation[] = [];
  for (const kind of KINDS) {
    for (let i = 0; i < NAMES; i++) ops.push(monitor.operation(`op_${kind}_${i}`, { kind }));
  }
  return {
    name: 'keel',
    render: () => monitor.prometheus.render('prometheus'),
    record: (i, ms) => ops[i % ops.length]!.record(ms),
    close: () => monitor.close(),
  };
}

function promClient(): Contender {
  const register = new Registry();
  const h = new Histogram({
    name: 'keel_operation_duration_seconds',
    help: 'Duration of each timed operation since start, in seconds.',
    labelNames: ['operation', 'kind'],
    buckets: BUCKETS_S,
    registers: [register],
  });
  const bound: Array<{ observe(v: number): void }> = [];
  for (const kind of KINDS) {
    for (let i = 0; i < NAMES; i++) bound.push(h.labels({ operation: `op_${kind}_${i}`, kind }));
  }
  return {
    name: 'prom-client register.metrics()',
    render: () => register.metrics(),
    record: (i, ms) => bound[i % bound.length]!.observe(ms / 1000),
    close: async () => register.clear(),
  };
}

/** Median ms of one render; `between` values are recorded before each (outside the timing). */
async function renderMs(
  c: Contender,
  reps: number,
  between: number,
  random: () => number,
): Promise<number> {
  const samples: number[] = [];
  let k = 0;
  for (let r = 0; r < reps + 2; r++) {
    for (let j = 0; j < between; j++) c.record(k++ * 31, 20 * Math.exp(random()));
    const start = performance.now();
    await c.render();
    if (r >= 2) samples.push(performance.now() - start);
  }
  return median(samples);
}

/**
 * The longest the event loop waited while one render ran (values recorded
 * before it, outside the timing): how long a request arriving meanwhile
 * would have been held up. A 1 ms timer notes how late it fires.
 */
async function renderStallMs(c: Contender, reps: number, random: () => number): Promise<number> {
  const samples: number[] = [];
  let k = 0;
  for (let r = 0; r < reps; r++) {
    for (let j = 0; j < LIVE_VALUES; j++) c.record(k++ * 31, 20 * Math.exp(random()));
    let worst = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    last = performance.now();
    await c.render();
    worst = Math.max(worst, performance.now() - last);
    clearInterval(probe);
    samples.push(worst);
  }
  return median(samples);
}

/** `/metrics` served by `node:http` under autocannon (in a worker thread), with live recording. */
async function underLoad(
  c: Contender,
  seconds: number,
  random: () => number,
): Promise<{ requestsPerSec: number; p99LatencyMs: number }> {
  const listener: RequestListener = (_req, res) => {
    c.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(text);
      },
      () => res.writeHead(500).end(),
    );
  };
  const server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let k = 0;
  const live = setInterval(() => {
    for (let j = 0; j < LIVE_VALUES; j++) c.record(k++ * 31, 20 * Math.exp(random()));
  }, 10);
  try {
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/metrics`,
      connections: 4,
      duration: seconds,
      workers: 1,
    });
    return { requestsPerSec: result.requests.average, p99LatencyMs: result.latency.p99 };
  } finally {
    clearInterval(live);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

export const httpSuite: Suite = {
  name: 'http',
  description: `/metrics for ${NAMES} operations × ${KINDS.length} kinds: render time and requests/s under autocannon, Keel vs prom-client`,
  flags: { '--quick': 'shorter load (a smoke run, not a measurement)' },
  async run({ log, flags }): Promise<SuiteResult> {
    const quick = flags.has('--quick');
    const seconds = quick ? 2 : 8;
    const reps = quick ? 3 : 9;
    const results: ResultRow[] = [];
    for (const make of [keel, promClient]) {
      const c = make();
      const random = lcg(7);
      log(`http: ${c.name}: filling ${NAMES * KINDS.length} operations`);
      for (let i = 0; i < NAMES * KINDS.length; i++) {
        for (let j = 0; j < VALUES_PER_OPERATION; j++) c.record(i, 20 * Math.exp(random() - 0.5));
      }
      log(`http: ${c.name}: render`);
      const changed = await renderMs(c, reps, LIVE_VALUES, random);
      const unchanged = await renderMs(c, reps, 0, random);
      const stall = await renderStallMs(c, reps, random);
      const text = await c.render();
      log(`http: ${c.name}: /metrics under load for ${seconds} s`);
      const load = await underLoad(c, seconds, random);
      results.push({
        name: c.name,
        renderMs: Math.round(changed * 100) / 100,
        requestsPerSec: Math.round(load.requestsPerSec * 10) / 10,
        p99LatencyMs: load.p99LatencyMs,
        renderMsUnchanged: Math.round(unchanged * 100) / 100,
        renderStallMs: Math.round(stall * 100) / 100,
        bodyBytes: Buffer.byteLength(text),
      });
      await c.close();
    }
    log('http: middleware overhead per request');
    const overhead = await middlewareOverhead(
      quick ? { requests: 20_000, reps: 3, warmup: 1 } : {},
    );
    for (const o of overhead) {
      results.push({ name: `middleware ${o.name}`, overheadNs: Math.round(o.overheadNs) });
    }
    return {
      suite: 'http',
      config: {
        node: process.version,
        operations: NAMES * KINDS.length,
        valuesPerOperation: VALUES_PER_OPERATION,
        liveValuesPer10Ms: LIVE_VALUES,
        loadSeconds: seconds,
        connections: 4,
        reps,
        statistic: 'median of reps (render); autocannon average (requests/s)',
        quick,
      },
      results,
    };
  },
  format(result) {
    const base = result.results.find((r) => r.name.startsWith('prom-client'));
    const num = (r: ResultRow, k: string) => r[k] as number;
    return [
      `http: /metrics, ${NAMES * KINDS.length} operations (${NAMES} × ${KINDS.length} kinds), ${LIVE_VALUES} values recorded between renders and every 10 ms under load`,
      '',
      formatTable(
        [
          'implementation',
          'renderMs',
          'unchanged',
          'loop stall ms',
          'requests/s',
          'vs prom-client',
          'p99 ms',
          'body KB',
        ],
        result.results
          .filter((r) => r.overheadNs === undefined)
          .map((r) => [
            r.name,
            fmt(num(r, 'renderMs'), 2),
            fmt(num(r, 'renderMsUnchanged'), 2),
            fmt(num(r, 'renderStallMs'), 2),
            fmt(num(r, 'requestsPerSec'), 1),
            ratio(
              num(r, 'requestsPerSec'),
              base === undefined ? null : num(base, 'requestsPerSec'),
            ),
            fmt(num(r, 'p99LatencyMs'), 0),
            fmt(num(r, 'bodyBytes') / 1024, 0),
          ]),
      ),
      '',
      formatTable(
        ['middleware', 'overhead per request (ns)'],
        result.results
          .filter((r) => r.overheadNs !== undefined)
          .map((r) => [r.name, fmt(num(r, 'overheadNs'), 0)]),
      ),
    ].join('\n');
  },
};
