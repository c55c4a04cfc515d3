import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerformanceMonitor } from '../src/index.js';

/** A system program the test needs: under CI its absence fails the test, elsewhere it skips. */
function program(name: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
  if (!found && process.env.CI !== undefined) {
    throw new Error(`${name} is not installed: .ci/run installs the Debian package prometheus`);
  }
  return found;
}

const hasPromtool = program('promtool');
const hasPrometheus = program('prometheus');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'keel-prom-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Label values and help texts an application could send: quotes, backslashes, newlines, unicode, 10 KB. */
const HOSTILE = [
  'say "hi"',
  'back\\slash\\',
  'line\nbreak\r\n',
  'ünïcödé ☃ 日本語 🚀',
  'x'.repeat(10_240),
  '} 1\nfake_metric 2',
  '',
];

describe.skipIf(!hasPromtool)('promtool check metrics', () => {
  it('passes on /metrics output that includes hostile label values and help texts', async () => {
    const m = new PerformanceMonitor({ backupDir: join(dir, 'b1'), runtime: { intervalMs: 100 } });
    try {
      const counter = m.metrics.counter('app_events_total', {
        help: 'Events "with" \\ odd\nhelp',
        labelNames: ['what'],
      });
      const gauge = m.metrics.gauge('app_depth', { help: 'Queue depth', labelNames: ['queue'] });
      const histogram = m.metrics.histogram('app_rows', { help: 'Rows', labelNames: ['src'] });
      for (const v of HOSTILE) {
        const short = v.slice(0, 200);
        counter.inc(1, { what: short });
        gauge.set(3, { queue: short });
        histogram.observe(7, { src: short });
        if (v.length > 0) m.recordOperation(short, 12, { kind: 'db', success: false });
        // Error types carry whatever the app's errors say: the 10 KB one included.
        await m.recoverFromError(Object.assign(new Error('boom'), { type: v || 'empty' }));
      }
      m.health.register('dependency "x"\n', () => true);
      await m.checkHealth();
      await new Promise((r) => setTimeout(r, 150)); // a runtime sample
      const server = await m.serve({ port: 0 });
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('x'.repeat(10_240));
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text });
      expect(`${lint.stdout}${lint.stderr}`).toBe('');
      expect(lint.status).toBe(0);
    } finally {
      await m.close();
    }
  });
});

describe.skipIf(!hasPrometheus)('a real Prometheus scraping Keel', () => {
  let prometheus: ChildProcess | undefined;
  afterAll(() => {
    prometheus?.kill('SIGKILL');
  });

  it("counts and bucket totals in Prometheus equal Keel's own figures", async () => {
    const m = new PerformanceMonitor({ backupDir: join(dir, 'b2'), runtime: { enabled: false } });
    try {
      const server = await m.serve({ port: 0 });
      const promPort = await freePort();
      const config = join(dir, 'prometheus.yml');
      await fs.writeFile(
        config,
        [
          'global:',
          '  scrape_interval: 1s',
          'scrape_configs:',
          '  - job_name: keel',
          '    static_configs:',
          `      - targets: ['127.0.0.1:${server.port}']`,
          '',
        ].join('\n'),
      );
      execFileSync('promtool', ['check', 'config', config], { stdio: 'ignore' });
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: 'ignore' },
      );
      // Load: three operations of two kinds, a share of them failing.
      const latencies = [0.4, 3, 8, 30, 90, 180, 210, 450, 1_200, 6_000];
      for (let i = 0; i < 3_000; i++) {
        const ms = latencies[i % latencies.length]! * (1 + (i % 7) / 100);
        m.recordOperation(['post_invoice', 'charge_card', 'GET /customers/:id'][i % 3]!, ms, {
          kind: i % 3 === 1 ? 'http' : 'db',
          success: i % 13 !== 0,
        });
      }
      const query = async (q: string) => {
        const r = await fetch(
          `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`,
        );
        const body = (await r.json()) as {
          data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        };
        return body.data.result;
      };
      const deadline = Date.now() + 60_000;
      let counts: Awaited<ReturnType<typeof query>> = [];
      while (Date.now() < deadline) {
        try {
          counts = await query('keel_operation_duration_seconds_count');
          if (counts.length === 3) break;
        } catch {
          // not up yet
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(counts).toHaveLength(3);
      for (const series of counts) {
        const name = series.metric.operation!;
        const own = m.getOperationStats(name, { lifetime: true })!;
        expect(Number(series.value[1])).toBe(own.count);
        expect(series.metric.kind).toBe(own.kind);
      }
      const errors = await query('keel_operation_errors_total');
      for (const series of errors) {
        const own = m.getOperationStats(series.metric.operation!, { lifetime: true })!;
        expect(Number(series.value[1])).toBe(own.errorCount);
      }
      // Bucket by bucket, what Prometheus stored is what Keel exposes.
      const own = new Map<string, number>();
      for (const line of (await m.prometheus.render()).split('\n')) {
        const b =
          /^keel_operation_duration_seconds_bucket\{operation="([^"]+)",kind="[^"]+",le="([^"]+)"\} (\d+)$/.exec(
            line,
          );
        if (b !== null) own.set(`${b[1]}|${b[2]}`, Number(b[3]));
      }
      const buckets = await query('keel_operation_duration_seconds_bucket');
      expect(buckets.length).toBe(own.size);
      for (const series of buckets) {
        const le = series.metric.le === '+Inf' ? '+Inf' : String(Number(series.metric.le));
        expect(Number(series.value[1])).toBe(own.get(`${series.metric.operation}|${le}`));
      }
      // The 200 ms target is a bucket bound: the share within target is exact to a bucket.
      const within = await query(
        'sum(keel_operation_duration_seconds_bucket{le="0.2"}) / sum(keel_operation_duration_seconds_count)',
      );
      expect(Number(within[0]!.value[1])).toBeCloseTo(0.6, 1);
      const up = await query('up{job="keel"}');
      expect(up[0]?.value[1]).toBe('1');
    } finally {
      await m.close();
    }
  }, 90_000);
});
