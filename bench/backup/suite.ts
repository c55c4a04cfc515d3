import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import writeFileAtomic from 'write-file-atomic';
import { BackupService, BackupStore } from '../../src/backup/index.js';
import { collectGarbage, median } from '../lib/measure.js';
import type { ResultRow, Suite, SuiteResult } from '../lib/suite.js';
import { fmt, formatTable, ratio } from '../lib/table.js';

/** A synthetic bookkeeping state of about `targetMB` of JSON. */
function bookkeepingState(targetMB: number) {
  const customers = 20_000;
  const transactions = Math.round(targetMB * 6_300);
  return {
    customers: Array.from({ length: customers }, (_, i) => ({
      id: i,
      name: `Customer ${i}`,
      email: `customer${i}@example.com`,
      address: { street: `${i} Main Street`, city: 'Springfield', zip: String(10_000 + i) },
    })),
    transactions: Array.from({ length: transactions }, (_, i) => ({
      id: i,
      customerId: i % customers,
      amountCents: (i * 7919) % 100_000,
      currency: 'EUR',
      postedAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
      memo: `payment ${i}`,
    })),
    invoices: Array.from({ length: 30_000 }, (_, i) => ({
      id: i,
      customerId: i % customers,
      lines: [
        { sku: 'A-100', qty: 1, cents: 1_000 },
        { sku: 'B-200', qty: 2, cents: 2_500 },
      ],
      status: i % 3 === 0 ? 'paid' : 'open',
    })),
  };
}

interface Contender {
  name: string;
  backup(
    state: unknown,
    dir: string,
  ): Promise<{ storedBytes: number; restore: () => Promise<unknown> }>;
}

/** A baseline that stringifies the whole state at once and writes it with `write`. */
function plainJson(
  name: string,
  write: (file: string, text: string) => Promise<unknown>,
): Contender {
  return {
    name,
    async backup(state, dir) {
      const file = join(dir, 'state.json');
      await write(file, JSON.stringify(state));
      return {
        storedBytes: (await stat(file)).size,
        restore: async () => JSON.parse(await readFile(file, 'utf8')),
      };
    },
  };
}

const CONTENDERS: Contender[] = [
  {
    name: 'keel',
    async backup(state, dir) {
      // The whole path of monitor.performBackup: serialise, write, prune (verifying the newest), disk check.
      const service = new BackupService({ store: new BackupStore({ dir }) });
      const info = await service.backup(state, 'bench');
      return {
        storedBytes: info.storedBytes,
        restore: async () => (await service.restore(info.id)).data,
      };
    },
  },
  plainJson('naive (JSON.stringify + fs.promises.writeFile)', writeFile),
  plainJson('write-file-atomic', writeFileAtomic),
];

/** Runs `work` while a 1 ms heartbeat and monitorEventLoopDelay watch the loop. */
async function watched<T>(
  work: () => Promise<T>,
): Promise<{ value: T; ms: number; maxStallMs: number; p99StallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxStallMs = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last - 1);
    last = now;
  }, 1);
  histogram.enable();
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  const end = performance.now();
  maxStallMs = Math.max(maxStallMs, end - last - 1);
  histogram.disable();
  clearInterval(heartbeat);
  return { value, ms, maxStallMs, p99StallMs: histogram.percentile(99) / 1e6 };
}

async function run(context: {
  log(m: string): void;
  flags: ReadonlySet<string>;
}): Promise<SuiteResult> {
  const quick = context.flags.has('--quick');
  const targetMB = quick ? 5 : 50;
  const reps = quick ? 1 : 3;
  context.log(`backup: building a ~${targetMB} MB bookkeeping state`);
  const state = bookkeepingState(targetMB);
  const jsonBytes = Buffer.byteLength(JSON.stringify(state));
  const results: ResultRow[] = [];
  for (const c of CONTENDERS) {
    const samples: Array<Record<string, number>> = [];
    for (let r = 0; r < reps; r++) {
      context.log(`backup: ${c.name}, run ${r + 1} of ${reps}`);
      const dir = await mkdtemp(join(tmpdir(), 'keel-bench-backup-'));
      try {
        collectGarbage();
        const b = await watched(() => c.backup(state, dir));
        collectGarbage();
        const restore = await watched(() => b.value.restore());
        samples.push({
          maxStallMs: b.maxStallMs,
          p99StallMs: b.p99StallMs,
          backupMs: b.ms,
          restoreMs: restore.ms,
          storedBytes: b.value.storedBytes,
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const med = (k: string) => Math.round(median(samples.map((s) => s[k]!)) * 10) / 10;
    results.push({
      name: c.name,
      stateMB: Math.round((jsonBytes / 1e6) * 10) / 10,
      maxStallMs: med('maxStallMs'),
      p99StallMs: med('p99StallMs'),
      backupMs: med('backupMs'),
      restoreMs: med('restoreMs'),
      storedBytes: med('storedBytes'),
    });
  }
  return {
    suite: 'backup',
    config: { node: process.version, jsonBytes, reps, statistic: 'median of reps', quick },
    results,
  };
}

function format(result: SuiteResult): string {
  const keel = result.results.find((r) => r.name === 'keel');
  const num = (r: ResultRow, k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null);
  const header = [
    'implementation',
    'state MB',
    'max stall ms',
    'p99 stall ms',
    'backup ms',
    'restore ms',
    'stored bytes',
    'vs JSON',
  ];
  const jsonBytes = Number(result.config.jsonBytes);
  const rows = result.results.map((r) => [
    r.name,
    fmt(num(r, 'stateMB')),
    fmt(num(r, 'maxStallMs')),
    fmt(num(r, 'p99StallMs')),
    fmt(num(r, 'backupMs'), 0),
    fmt(num(r, 'restoreMs'), 0),
    fmt(num(r, 'storedBytes'), 0),
    `${(((num(r, 'storedBytes') ?? 0) / jsonBytes) * 100).toFixed(1)}%`,
  ]);
  const stalls = result.results
    .filter((r) => r !== keel)
    .map(
      (r) =>
        `${r.name}: ${ratio(num(r, 'maxStallMs'), keel === undefined ? null : num(keel, 'maxStallMs'))} keel's max stall`,
    );
  return [
    `backup suite (${String(result.config.node)})`,
    '',
    formatTable(header, rows),
    '',
    ...stalls,
  ].join('\n');
}

export const backupSuite: Suite = {
  name: 'backup',
  description: 'event-loop stall, duration, size and restore time of backing up a ~50 MB state',
  flags: { '--quick': 'a ~5 MB state, one run' },
  run,
  format,
};
