import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AggregatorStats } from '../src/cluster/index.js';
import { PerformanceMonitor } from '../src/index.js';
import {
  type Call,
  dataset,
  expectedCalls,
  type Figures,
  figuresOf,
  record,
} from './fixtures/cluster-data.mjs';

// The fixture runs the built code: `npm run build` first.
const fixture = fileURLToPath(new URL('./fixtures/cluster-run.mjs', import.meta.url));
const distCluster = fileURLToPath(new URL('../dist/src/cluster/index.js', import.meta.url));

function node(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs 2 workers over the data set and returns the primary's merged figures. */
async function merged(transport: 'cluster' | 'threads', mode: 'final' | 'no-final') {
  const { code, stdout, stderr } = await node([fixture, transport, mode]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as { figures: Figures; stats: AggregatorStats };
}

/** The same calls recorded in one process. */
async function single(calls: Call[]): Promise<Figures> {
  const monitor = new PerformanceMonitor({ runtime: { enabled: false } });
  record(monitor, calls);
  const figures = await figuresOf(monitor);
  await monitor.close();
  return figures;
}

/** The figures with every sum and mean taken out (float rounding depends on the order of adds). */
function splitFloats(figures: Figures): { exact: unknown; floats: number[] } {
  const floats: number[] = [];
  const visit = (value: unknown, key = ''): unknown => {
    if (typeof value === 'number' && (key === 'totalMs' || key === 'meanMs')) {
      floats.push(value);
      return 'float';
    }
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return value.map((x) => visit(x));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v, k)]));
  };
  // The _sum lines of /metrics are float sums too (in seconds).
  const { metricsSums, ...rest } = figures;
  for (const line of metricsSums) floats.push(Number(line.split(' ').at(-1)));
  return { exact: visit(rest), floats };
}

/**
 * Counts, errors, min, max, percentiles, verdicts and /metrics buckets equal
 * exactly (sketches merge exactly); sums and means to float rounding.
 */
function expectEqualFigures(actual: Figures, expected: Figures): void {
  const a = splitFloats(actual);
  const e = splitFloats(expected);
  expect(a.exact).toEqual(e.exact);
  expect(a.floats).toHaveLength(e.floats.length);
  a.floats.forEach((x, i) => {
    expect(Math.abs(x - e.floats[i]!)).toBeLessThanOrEqual(1e-9 * Math.abs(e.floats[i]!));
  });
}

describe('cluster and worker threads: the primary serves one merged set of figures', () => {
  const data = dataset();

  it.each(['cluster', 'threads'] as const)(
    'cluster merge equal to a single-process run over the same data (%s, 2 workers)',
    async (transport) => {
      const run = await merged(transport, 'final');
      expectEqualFigures(run.figures, await single(data));
      expect(run.figures.operations.post_transaction?.lifetime.count).toBeGreaterThan(3000);
      expect(run.stats).toMatchObject({ valuesMerged: 20_000, malformed: 0 });
      expect(run.stats.workers).toHaveLength(2);
      for (const w of run.stats.workers) {
        expect(w).toMatchObject({ messages: 3, missedMessages: 0, closed: true });
      }
    },
    60_000,
  );

  it.each(['cluster', 'threads'] as const)(
    'a worker that exits without a final send loses only its unsent interval (%s)',
    async (transport) => {
      const run = await merged(transport, 'no-final');
      const sent = expectedCalls(data, 'no-final');
      expectEqualFigures(run.figures, await single(sent));
      expect(run.stats.valuesMerged).toBe(sent.length);
      expect(run.stats.valuesMerged).toBeLessThan(data.length);
      for (const w of run.stats.workers) expect(w).toMatchObject({ messages: 1, closed: false });
    },
    60_000,
  );

  it('refuses to share outside a worker when no port is given', async () => {
    const script = `import { shareWithPrimary } from ${JSON.stringify(distCluster)};
try { shareWithPrimary({ operations: {} }); } catch (e) { console.log(e.name, e.message); }`;
    const { stdout } = await node(['--input-type=module', '-e', script]);
    expect(stdout).toMatch(/^TypeError shareWithPrimary found no primary/);
  });
});
