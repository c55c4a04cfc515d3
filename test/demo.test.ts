import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackupStore } from '../src/backup/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

beforeAll(() => {
  // `npm test` builds first; build here too when the test runs on its own.
  if (!existsSync(cli)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root });
});

function collect(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

function expectFinalReport(out: string, ranLong = true) {
  const final = out.slice(out.indexOf('Final performance report'));
  expect(final).toMatch(/^Final performance report \(\d+ actions, \d+ failed\)/);
  expect(final).toMatch(/Operation\s+Kind\s+Count\s+Avg\s+P95\s+P99\s+Errors\s+Time\s+Target/);
  for (const op of ['post_transaction', 'find_customer', 'all operations'])
    expect(final).toContain(op);
  expect(final).toMatch(/transactions: \d+ of 10000/);
  // Card charges and postings run through monitor.run: its figures are shown.
  if (ranLong)
    expect(final).toMatch(/recovery: \d+ recovered, \d+ gave up, \d+ degraded, \d+ retries/);
  expect(final).toMatch(/Recommendations/);
  // The slow report (median 150 ms, long tail) or too few calls shows up as a recommendation.
  expect(final).toMatch(/run_report|Not enough data/);
}

describe('keel demo', () => {
  it('runs for 2 s and prints the final report', async () => {
    const backupDir = await mkdtemp(join(tmpdir(), 'keel-demo-'));
    const child = spawn(
      process.execPath,
      [
        cli,
        'demo',
        '--duration',
        '3s',
        '--refresh',
        '500ms',
        '--backup-dir',
        backupDir,
        '--port',
        '0',
      ],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    const result = collect(child);
    // The demo prints where Keel serves; /metrics answers while it runs.
    const url = await new Promise<string>((resolve) => {
      let seen = '';
      child.stdout?.on('data', (d: Buffer) => {
        seen += d.toString();
        const m = /Keel serves (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(seen);
        if (m !== null) resolve(m[1]!);
      });
    });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(
      /^keel_operation_duration_seconds_count\{operation="post_transaction"/m,
    );
    const { code, out, err } = await result;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('Runs for 3 s');
    // The table refreshed while the demo ran, before the final report.
    expect(out.indexOf('Keel last 10 min')).toBeLessThan(out.indexOf('Final performance report'));
    expectFinalReport(out);
    // The demo backs its state up at the end, and the backup restores.
    expect(out).toMatch(/Backup keel-backup-\S+ written to/);
    const store = new BackupStore({ dir: backupDir });
    const { data } = await store.restoreLatest();
    expect((data as { customers: unknown[] }).customers.length).toBeGreaterThan(0);
    await rm(backupDir, { recursive: true, force: true });
  });

  it('stops on Ctrl-C (SIGINT) and still prints the final report', async () => {
    const backupDir = await mkdtemp(join(tmpdir(), 'keel-demo-'));
    const child = spawn(
      process.execPath,
      [cli, 'demo', '--refresh', '10s', '--backup-dir', backupDir, '--no-serve'],
      {
        cwd: root,
      },
    );
    const result = collect(child);
    // Interrupt once the demo is running: its banner is printed when the load starts.
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('Ctrl-C to stop')) resolve();
      });
    });
    child.kill('SIGINT');
    const { code, out } = await result;
    expect(code).toBe(0);
    expect(out).toContain('Ctrl-C to stop');
    expectFinalReport(out, false);
    await rm(backupDir, { recursive: true, force: true });
  });

  it.each([
    [['demo', '--duration', 'soon'], /--duration must look like 500ms, 10s, 2m or 1h/],
    [['demo', '--duration', '1000h'], /--duration must be at most 24 days/],
    [['demo', '--users', '0'], /--users must be an integer/],
    [['demo', '--port', 'http'], /--port must be an integer from 0 to 65535/],
    [['demo', '--bogus'], /Unknown option/],
    [['nope'], /unknown command "nope"/],
  ])('rejects %j with a clear message', async (args, message) => {
    const { code, err } = await collect(spawn(process.execPath, [cli, ...args], { cwd: root }));
    expect(code).not.toBe(0);
    expect(err).toMatch(message);
  });

  it('prints help and version', () => {
    expect(execFileSync(process.execPath, [cli, '--help']).toString()).toMatch(
      /Usage: keel <command>/,
    );
    expect(execFileSync(process.execPath, [cli, '--version']).toString()).toMatch(
      /^\d+\.\d+\.\d+\n$/,
    );
  });
});
