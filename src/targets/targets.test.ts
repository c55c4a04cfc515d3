import { describe, expect, it } from 'vitest';
import { defineSlo, sloStatus } from './slo.js';
import { DEFAULT_TARGET, Targets } from './targets.js';

describe('Targets', () => {
  it("defaults to the seed's target: P95 <= 200 ms, error rate <= 1%", () => {
    const t = new Targets();
    expect(t.for('anything')).toEqual(DEFAULT_TARGET);
    expect(DEFAULT_TARGET).toMatchObject({
      percentile: 95,
      metric: 'p95Ms',
      latencyMs: 200,
      maxErrorRate: 0.01,
    });
  });

  it('applies per-operation overrides on top of the default', () => {
    const t = new Targets({
      default: { latencyMs: 100 },
      operations: { run_report: { latencyMs: 2000, percentile: 99 } },
    });
    expect(t.for('run_report')).toMatchObject({
      latencyMs: 2000,
      percentile: 99,
      metric: 'p99Ms',
      maxErrorRate: 0.01,
    });
    expect(t.for('other').latencyMs).toBe(100);
    t.set('other', { maxErrorRate: 0.05 });
    expect(t.for('other')).toMatchObject({ latencyMs: 100, maxErrorRate: 0.05 });
  });

  it.each([
    [{ default: { latencyMs: -1 } }, /targets\.default\.latencyMs/],
    [{ default: { latencyMs: Number.NaN } }, /latencyMs/],
    [{ default: { maxErrorRate: 2 } }, /maxErrorRate/],
    [{ default: { percentile: 97 as 95 } }, /percentile must be one of/],
    [{ default: { minSamples: 0 } }, /minSamples/],
    [{ operations: { '': { latencyMs: 5 } } }, /key/],
  ])('rejects %o naming the field', (options, message) => {
    expect(() => new Targets(options)).toThrow(message);
  });
});

describe('SLOs', () => {
  it('computes the error budget and burn rate', () => {
    const slo = defineSlo({ name: 'checkout', objective: 0.99, latencyMs: 300 });
    const s = sloStatus(slo, { total: 1000, bad: 5 }, 600_000);
    expect(s).toMatchObject({
      name: 'checkout',
      total: 1000,
      good: 995,
      bad: 5,
      sli: 0.995,
      meetingObjective: true,
      windowMs: 600_000,
      latencyMs: 300,
      operation: null,
    });
    expect(s.errorBudget).toBeCloseTo(10);
    expect(s.errorBudgetRemaining).toBeCloseTo(0.5);
    expect(s.burnRate).toBeCloseTo(0.5);
  });

  it('shows an overspent budget as negative and misses the objective', () => {
    const s = sloStatus(defineSlo({ name: 'a', objective: 0.9 }), { total: 100, bad: 30 }, null);
    expect(s.errorBudgetRemaining).toBeCloseTo(-2);
    expect(s.burnRate).toBeCloseTo(3);
    expect(s.meetingObjective).toBe(false);
  });

  it('treats no calls as a full budget', () => {
    const s = sloStatus(defineSlo({ name: 'a', objective: 0.999 }), { total: 0, bad: 0 }, null);
    expect(s).toMatchObject({
      sli: 1,
      errorBudgetRemaining: 1,
      burnRate: 0,
      meetingObjective: true,
    });
  });

  it.each([
    [{ name: 'a', objective: 1 }, /strictly between 0 and 1/],
    [{ name: 'a', objective: 0 }, /strictly between 0 and 1/],
    [{ name: 'a', objective: 0.9, latencyMs: 0 }, /latencyMs/],
    [{ name: '', objective: 0.9 }, /slo\.name/],
    [{ name: 'a', objective: 0.9, windowMinutes: -5 }, /windowMinutes/],
  ])('rejects %o', (options, message) => {
    expect(() => defineSlo(options)).toThrow(message);
  });
});
