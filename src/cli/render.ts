import { formatMs } from '../core/index.js';
import type { SystemHealth } from '../monitor.js';
import type { PerformanceReport } from '../report/index.js';

/** How text is styled: ANSI colours on a terminal, plain otherwise. */
export interface Style {
  color: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

function paint(style: Style, code: keyof typeof CODES, text: string): string {
  return style.color ? `\x1b[${CODES[code]}m${text}\x1b[0m` : text;
}

/** Makes a user-given string safe to print on a terminal: no control characters. */
export function safeText(text: string, max = 60): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Lays rows out in columns; `right` marks right-aligned columns. */
export function table(headers: string[], rows: string[][], right: ReadonlySet<number>): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: measuring text without its ANSI colours
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - visible(c)));
        return right.has(i) ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

function percent(f: number): string {
  return `${(f * 100).toFixed(f > 0 && f < 0.1 ? 1 : 0)}%`;
}

/** The operations table: count, avg, P95, P99, error rate, share of time, verdict. */
export function renderOperations(report: PerformanceReport, style: Style): string[] {
  const rows = report.operations.map((op) => {
    const t = op.target;
    const misses: string[] = [];
    if (op[t.metric] > t.latencyMs) misses.push(`P${t.percentile} > ${formatMs(t.latencyMs)}`);
    if (op.errorRate > t.maxErrorRate) misses.push(`errors > ${percent(t.maxErrorRate)}`);
    const verdict =
      op.meetingTarget === null
        ? paint(style, 'dim', `… ${op.count} of ${t.minSamples} calls`)
        : op.meetingTarget
          ? `${paint(style, 'green', '✓')} P${t.percentile} ≤ ${formatMs(t.latencyMs)}`
          : paint(style, 'red', `✗ ${misses.join(', ') || 'SLO'}`);
    return [
      safeText(op.name, 40),
      safeText(op.kind, 8),
      String(op.count),
      formatMs(op.meanMs),
      formatMs(op.p95Ms),
      formatMs(op.p99Ms),
      percent(op.errorRate),
      percent(op.shareOfTotalTime),
      verdict,
    ];
  });
  const o = report.overall;
  rows.push([
    paint(style, 'bold', 'all operations'),
    '',
    String(o.count),
    formatMs(o.meanMs),
    formatMs(o.p95Ms),
    formatMs(o.p99Ms),
    percent(o.errorRate),
    o.count > 0 ? '100%' : '0%',
    `${o.throughputPerSec.toFixed(1)}/s`,
  ]);
  return table(
    ['Operation', 'Kind', 'Count', 'Avg', 'P95', 'P99', 'Errors', 'Time', 'Target'],
    rows,
    new Set([2, 3, 4, 5, 6, 7]),
  );
}

/** The recommendations, most severe first. */
export function renderRecommendations(report: PerformanceReport, style: Style): string[] {
  if (report.recommendationDetails.length === 0)
    return [paint(style, 'green', 'No recommendations.')];
  return report.recommendationDetails.map((r) => {
    const mark =
      r.severity === 'critical'
        ? paint(style, 'red', '✗')
        : r.severity === 'warning'
          ? paint(style, 'yellow', '!')
          : paint(style, 'dim', 'i');
    return `${mark} ${safeText(r.message, 400)}\n    → ${r.action}`;
  });
}

/** Capacity and sessions in one line each. */
export function renderCapacity(health: SystemHealth, style: Style): string[] {
  const lines = health.capacity.map((c) => {
    const text = `${c.name}: ${c.count} of ${c.limit} (${percent(c.utilization)})`;
    return c.state === 'ok'
      ? text
      : paint(style, c.state === 'exceeded' ? 'red' : 'yellow', `${text} ${c.state}`);
  });
  lines.push(`sessions: ${health.activeSessions} active, ${health.sessions.peak} at peak`);
  const r = health.recovery;
  if (r.runs > 0) {
    const line = `recovery: ${r.recovered} recovered, ${r.gaveUp} gave up, ${r.degraded} degraded, ${r.retries} retries`;
    lines.push(r.gaveUp > 0 ? paint(style, 'yellow', line) : line);
  }
  for (const b of r.openBreakers) {
    lines.push(paint(style, 'red', `breaker ${safeText(b.operation, 40)}: ${b.state}`));
  }
  return lines;
}

/** The whole report as text. */
export function renderReport(
  report: PerformanceReport,
  health: SystemHealth,
  style: Style,
): string {
  const window =
    report.windowMs === null ? 'lifetime' : `last ${Math.round(report.windowMs / 60_000)} min`;
  const verdict = report.meetingTargets
    ? paint(style, 'green', 'meeting targets')
    : paint(style, 'red', `NOT meeting targets (${report.violations.length} violations)`);
  const status =
    health.status === 'UP' ? paint(style, 'green', 'UP') : paint(style, 'yellow', health.status);
  return [
    `${paint(style, 'bold', 'Keel')} ${window} · ${verdict} · health ${status}`,
    '',
    ...renderOperations(report, style),
    '',
    ...renderCapacity(health, style),
    '',
    paint(style, 'bold', 'Recommendations'),
    ...renderRecommendations(report, style),
  ].join('\n');
}
