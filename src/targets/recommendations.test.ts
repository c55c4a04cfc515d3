import { describe, expect, it } from 'vitest';
import { OperationRegistry } from '../metrics/index.js';
import { buildReport } from '../report/index.js';
import { type CapacityFinding, type MetricOverflowFinding, recommend } from './recommendations.js';
import { defineSlo, type SloStatus, sloStatus } from './slo.js';
import { Targets } from './targets.js';

function ops(maxOperations = 2000) {
  return new OperationRegistry({ clock: { now: () => 0 }, timer: false, maxOperations });
}

function input(
  registry: OperationRegistry,
  extra: {
    slos?: SloStatus[];
    capacity?: CapacityFinding[];
    metricOverflows?: MetricOverflowFinding[];
  } = {},
) {
  return {
    snapshot: registry.snapshot(),
    targets: new Targets(),
    slos: extra.slos ?? [],
    capacity: extra.capacity ?? [],
    metricOverflows: extra.metricOverflows ?? [],
    generatedAt: new Date(0),
  };
}

function fill(
  registry: OperationRegistry,
  name: string,
  ms: number,
  n = 100,
  failures = 0,
  kind = 'app',
) {
  const op = registry.operation(name, { kind });
  for (let i = 0; i < n; i++) op.record(ms, i >= failures);
}

const ids = (registry: OperationRegistry, extra = {}) =>
  recommend(input(registry, extra)).map((r) => r.id);

describe('recommendation rules', () => {
  it('fire nothing for a healthy system (control)', () => {
    const r = ops();
    fill(r, 'fast', 20);
    expect(ids(r)).toEqual([]);
    const report = buildReport(input(r));
    expect(report.meetingTargets).toBe(true);
    expect(report.recommendations).toEqual([]);
  });

  it('slow operations: names the worst first with their share of total time', () => {
    const r = ops();
    fill(r, 'fast', 20);
    fill(r, 'run_report', 900, 100, 0, 'db');
    fill(r, 'issue_invoice', 300);
    const recs = recommend(input(r));
    expect(recs.map((x) => x.id)).toEqual([
      'slow-operation:run_report',
      'slow-operation:issue_invoice',
    ]);
    expect(recs[0]).toMatchObject({
      severity: 'critical',
      evidence: {
        metric: 'p95Ms',
        threshold: 200,
        operation: 'run_report',
        window: '10m',
        windowMs: 600_000,
      },
    });
    expect(recs[0]!.message).toMatch(
      /run_report.*P95 9\d\d ms.*200 ms target.*74% of all measured time/,
    );
    expect(recs[0]!.action).toMatch(/query plan/);
    expect(recs[1]!.severity).toBe('warning');
  });

  it('high error rate: over the 1% target fires, at it does not', () => {
    const r = ops();
    fill(r, 'charge_card', 50, 100, 5);
    fill(r, 'ok_op', 50, 100, 1);
    const recs = recommend(input(r));
    expect(recs.map((x) => x.id)).toEqual(['high-error-rate:charge_card']);
    expect(recs[0]!.evidence).toMatchObject({ metric: 'errorRate', value: 0.05, threshold: 0.01 });
  });

  it('judges from the first call by default, as the seed does, and says the data is thin', () => {
    const r = ops();
    fill(r, 'slow', 5000, 5);
    expect(ids(r)).toEqual(['slow-operation:slow', 'not-enough-data']);
    const report = buildReport(input(r));
    expect(report.meetingTargets).toBe(false);
    expect(report.operations[0]!.meetingTarget).toBe(false);
  });

  it('judges nobody before a configured minSamples, naming who waits for data', () => {
    const r = ops();
    fill(r, 'slow', 5000, 5);
    fill(r, 'busy', 10, 50);
    const data = { ...input(r), targets: new Targets({ default: { minSamples: 20 } }) };
    const recs = recommend(data);
    expect(recs.map((x) => x.id)).toEqual(['not-enough-data']);
    expect(recs[0]!.message).toContain('slow (5)');
    expect(recs[0]!.evidence).toMatchObject({ operation: 'slow', value: 5, threshold: 20 });
    const report = buildReport(data);
    expect(report.meetingTargets).toBe(true);
    expect(report.operations.find((o) => o.name === 'slow')!.meetingTarget).toBeNull();
  });

  it.each([
    [5, 'warning'],
    [10, 'critical'],
  ])('high error rate of %i%% is %s', (failures, severity) => {
    const r = ops();
    fill(r, 'op', 10, 100, failures);
    expect(recommend(input(r))[0]).toMatchObject({ id: 'high-error-rate:op', severity });
  });

  it('an SLO past half its budget is a warning, spent is critical, and operation verdicts stay apart', () => {
    const r = ops();
    fill(r, 'pay', 10);
    const slo = sloStatus(
      defineSlo({ name: 'pay', objective: 0.9, operation: 'pay' }),
      { total: 100, bad: 15 },
      600_000,
    );
    expect(recommend(input(r, { slos: [slo] }))[0]).toMatchObject({
      id: 'slo-budget:pay',
      severity: 'critical',
    });
    const mild = sloStatus(
      defineSlo({ name: 'pay', objective: 0.9, operation: 'pay' }),
      { total: 100, bad: 4 },
      600_000,
    );
    const warn = sloStatus(
      defineSlo({ name: 'pay', objective: 0.9, operation: 'pay' }),
      { total: 100, bad: 6 },
      600_000,
    );
    expect(recommend(input(r, { slos: [mild] }))).toEqual([]);
    expect(recommend(input(r, { slos: [warn] }))[0]).toMatchObject({ severity: 'warning' });
    const report = buildReport(
      input(r, {
        slos: [
          sloStatus(
            defineSlo({ name: 'x', objective: 0.99, operation: 'pay' }),
            { total: 100, bad: 50 },
            600_000,
          ),
        ],
      }),
    );
    expect(report.meetingTargets).toBe(false);
    expect(report.operations[0]!.meetingTarget).toBe(true);
  });

  it('SLO budget burning fires once half the budget is used', () => {
    const r = ops();
    fill(r, 'a', 10);
    const burning = sloStatus(
      defineSlo({ name: 'checkout', objective: 0.99 }),
      { total: 100, bad: 3 },
      600_000,
    );
    const fine = sloStatus(
      defineSlo({ name: 'search', objective: 0.9 }),
      { total: 100, bad: 4 },
      600_000,
    );
    const recs = recommend(input(r, { slos: [burning, fine] }));
    expect(recs.map((x) => x.id)).toEqual(['slo-budget:checkout']);
    expect(recs[0]!.severity).toBe('critical');
    const report = buildReport(input(r, { slos: [burning, fine] }));
    expect(report.meetingTargets).toBe(false);
    expect(report.violations).toEqual([
      expect.objectContaining({ slo: 'checkout', metric: 'errorBudgetRemaining' }),
    ]);
  });

  it('cardinality overflow of operation names fires with sample names', () => {
    const r = ops(10);
    for (let i = 0; i < 50; i++) r.operation(`GET /customers/${i}`).record(1);
    const recs = recommend(input(r));
    const rec = recs.find((x) => x.id === 'operation-cardinality')!;
    expect(rec.message).toContain('GET /customers/10');
    expect(rec.evidence).toMatchObject({ value: 50, threshold: 10 });
  });

  it('cardinality overflow of a custom metric fires; a metric without overflow does not', () => {
    const r = ops();
    fill(r, 'a', 10);
    expect(
      ids(r, {
        metricOverflows: [
          { metric: 'orders_total', overflowCount: 7, limit: 2000 },
          { metric: 'fine_total', overflowCount: 0, limit: 2000 },
        ],
      }),
    ).toEqual(['metric-cardinality:orders_total']);
  });

  it('capacity near and at the limit fire; ok does not', () => {
    const r = ops();
    fill(r, 'a', 10);
    const recs = recommend(
      input(r, {
        capacity: [
          { name: 'transactions', count: 8500, limit: 10_000, utilization: 0.85, state: 'warning' },
          { name: 'customers', count: 1000, limit: 1000, utilization: 1, state: 'exceeded' },
          { name: 'sessions', count: 1, limit: 100, utilization: 0.01, state: 'ok' },
        ],
      }),
    );
    expect(recs[0]!.evidence).toMatchObject({ window: 'now', windowMs: null, value: 1000 });
    expect(recs.map((x) => [x.id, x.severity])).toEqual([
      ['capacity:customers', 'critical'],
      ['capacity:transactions', 'warning'],
    ]);
  });

  it('puts the most severe first and never repeats an id', () => {
    const r = ops(3);
    fill(r, 'slow', 300);
    fill(r, 'failing', 10, 100, 50);
    fill(r, 'both', 900, 100, 50);
    for (let i = 0; i < 10; i++) r.operation(`x${i}`).record(1);
    const recs = recommend(input(r));
    const severities = recs.map((x) => x.severity);
    expect(severities).toEqual(
      [...severities].sort((a, b) => 'cwi'.indexOf(a[0]!) - 'cwi'.indexOf(b[0]!)),
    );
    expect(new Set(recs.map((x) => x.id)).size).toBe(recs.length);
  });
});
