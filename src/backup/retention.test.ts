import { describe, expect, it } from 'vitest';
import { applyRetention, checkRetention } from './retention.js';

/** Backups every `stepHours` hours going back from 2026-11-27 12:00 UTC, newest first. */
function backups(n: number, stepHours: number) {
  const newest = Date.UTC(2026, 10, 27, 12);
  return Array.from({ length: n }, (_, i) => ({
    id: `b${i}`,
    createdAt: new Date(newest - i * stepHours * 3_600_000).toISOString(),
  }));
}

const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);

describe('retention', () => {
  it('keeps the last 100 by default (the seed)', () => {
    const { keep, remove } = applyRetention(backups(130, 1), {});
    expect(keep).toHaveLength(100);
    expect(ids(remove)).toEqual(ids(backups(130, 1).slice(100)));
  });

  it('keeps the newest of each of the last n days, like restic forget --keep-daily', () => {
    const all = backups(72, 1); // three days of hourly backups
    const { keep } = applyRetention(all, { keepLast: 1, keepDaily: 3 });
    // b0 is the newest; the newest of 27 Nov is b0, of 26 Nov is b13 (23:00), of 25 Nov b37.
    expect(ids(keep)).toEqual(['b0', 'b13', 'b37']);
  });

  it('unions hourly, weekly and monthly rules', () => {
    const all = backups(24 * 70, 1);
    const { keep } = applyRetention(all, {
      keepLast: 2,
      keepHourly: 3,
      keepWeekly: 2,
      keepMonthly: 3,
    });
    const kept = new Set(ids(keep));
    expect(kept.has('b0') && kept.has('b1') && kept.has('b2')).toBe(true);
    expect(keep.length).toBeLessThanOrEqual(2 + 3 + 2 + 3);
    const months = new Set(keep.map((k) => k.createdAt.slice(0, 7)));
    expect(months.size).toBe(3);
  });

  it('always keeps the newest backup, even with every rule at 0', () => {
    expect(ids(applyRetention(backups(5, 1), { keepLast: 0 }).keep)).toEqual(['b0']);
  });

  it.each([[{ keepLast: -1 }], [{ keepDaily: 1.5 }], [{ keepWeekly: Number.NaN }]])(
    'rejects %o naming the field',
    (policy) => {
      expect(() => checkRetention(policy)).toThrow(/must be a non-negative integer/);
    },
  );
});
