import { BookkeepingService, runLoad } from '../../examples/bookkeeping/index.js';
import { PerformanceMonitor } from '../monitor.js';
import type { PerformanceReport } from '../report/index.js';
import { renderReport, type Style } from './render.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Stop after this long; run until the signal aborts when unset. */
  durationMs?: number;
  /** Table refresh period. @defaultValue 1000 */
  refreshMs?: number;
  /** Simulated users. @defaultValue 8 */
  concurrency?: number;
  /** Stops the demo (Ctrl-C). */
  signal?: AbortSignal;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where the demo's backups go. @defaultValue 'keel-data/backups' */
  backupDir?: string;
  /** Port of Keel's HTTP server on 127.0.0.1 (0: any free one; `null`: no server). @defaultValue 9464 */
  port?: number | null;
  style: Style;
}

/**
 * Runs the bookkeeping example under load, refreshing the operations table
 * until the duration ends or the signal aborts, then prints the final report.
 */
export async function runDemo(options: DemoOptions): Promise<PerformanceReport> {
  const { out, style } = options;
  const backupDir = options.backupDir ?? 'keel-data/backups';
  const monitor = new PerformanceMonitor({ backupDir, backupIntervalMinutes: 1 });
  const service = new BookkeepingService({ monitor });
  monitor.startBackupService(() => service.snapshot());
  const stop = new AbortController();
  const signals = [stop.signal];
  if (options.signal !== undefined) signals.push(options.signal);
  if (options.durationMs !== undefined) signals.push(AbortSignal.timeout(options.durationMs));
  const signal = AbortSignal.any(signals);

  const live = out.isTTY === true;
  let shownLines = 0;
  const draw = () => {
    const text = renderReport(monitor.getPerformanceReport(), monitor.getSystemHealth(), style);
    if (live) {
      const clear = shownLines > 0 ? `\x1b[${shownLines}A\x1b[J` : '';
      out.write(`${clear}${text}\n`);
      shownLines = text.split('\n').length;
    } else {
      out.write(`${text}\n\n`);
    }
  };
  out.write(
    `Keel demo: a bookkeeping service under load (${options.concurrency ?? 8} users). ` +
      `${options.durationMs === undefined ? 'Ctrl-C to stop.' : `Runs for ${options.durationMs / 1000} s.`}\n`,
  );
  const port = options.port === undefined ? 9464 : options.port;
  if (port !== null) {
    try {
      const server = await monitor.serve({ port });
      out.write(
        `Keel serves ${server.url}/metrics (Prometheus), ${server.url}/health and ${server.url}/api/report\n\n`,
      );
    } catch (error) {
      const busy = (error as { code?: unknown }).code === 'EADDRINUSE';
      out.write(
        `Keel could not serve on 127.0.0.1:${port}${busy ? ' (the port is in use)' : ''}: pass --port <n>, or --port 0 for any free port\n\n`,
      );
    }
  } else out.write('\n');
  const timer = setInterval(draw, options.refreshMs ?? 1000);
  try {
    const summary = await runLoad({
      monitor,
      service,
      signal,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    });
    clearInterval(timer);
    const report = monitor.getPerformanceReport();
    const health = monitor.getSystemHealth();
    if (live && shownLines > 0) out.write(`\x1b[${shownLines}A\x1b[J`);
    out.write(
      `Final performance report (${summary.actions} actions, ${summary.failures} failed)\n\n`,
    );
    out.write(`${renderReport(report, health, style)}\n`);
    await monitor.stopBackupService(); // the final backup of the bookkeeping state
    const last = monitor.backups.stats().history[0];
    out.write(
      last?.ok === true
        ? `\nBackup ${last.id} written to ${backupDir} (${monitor.backups.stats().attempts} this run); restore with: keel backup restore --dir ${backupDir}\n`
        : `\nBackup failed: ${last?.error ?? 'no backup was taken'}\n`,
    );
    return report;
  } finally {
    clearInterval(timer);
    stop.abort();
    await monitor.close();
  }
}
