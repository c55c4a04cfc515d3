/** Which backups to keep, like restic's `forget`: the union of every rule. */
export interface RetentionPolicy {
  /** The newest n. @defaultValue 100 (the seed's history) */
  keepLast?: number;
  /** The newest backup of each of the last n hours that have one. */
  keepHourly?: number;
  /** The newest backup of each of the last n days (UTC) that have one. */
  keepDaily?: number;
  /** The newest backup of each of the last n ISO weeks that have one. */
  keepWeekly?: number;
  /** The newest backup of each of the last n months that have one. */
  keepMonthly?: number;
}

/** What retention needs to know of a backup. */
export interface Dated {
  id: string;
  createdAt: string;
}

const BUCKETS: Array<[keyof RetentionPolicy, (d: Date) => string]> = [
  ['keepHourly', (d) => d.toISOString().slice(0, 13)],
  ['keepDaily', (d) => d.toISOString().slice(0, 10)],
  ['keepWeekly', isoWeek],
  ['keepMonthly', (d) => d.toISOString().slice(0, 7)],
];

/**
 * Checks a retention policy: every field a non-negative integer.
 * @throws RangeError naming the field
 */
export function checkRetention(policy: RetentionPolicy): Required<RetentionPolicy> {
  const out = {
    keepLast: 100,
    keepHourly: 0,
    keepDaily: 0,
    keepWeekly: 0,
    keepMonthly: 0,
    ...policy,
  };
  for (const [field, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${field} must be a non-negative integer, got ${String(value)}`);
    }
  }
  return out;
}

/**
 * Splits backups (newest first) into kept and removed. The newest is always
 * kept, whatever the policy says, so a prune never leaves nothing to restore.
 */
export function applyRetention<T extends Dated>(
  newestFirst: readonly T[],
  policy: RetentionPolicy,
): { keep: T[]; remove: T[] } {
  const p = checkRetention(policy);
  const kept = new Set<T>(newestFirst.slice(0, Math.max(1, p.keepLast)));
  for (const [field, bucketOf] of BUCKETS) {
    let left = p[field];
    let last: string | undefined;
    for (const b of newestFirst) {
      if (left <= 0) break;
      const bucket = bucketOf(new Date(b.createdAt));
      if (bucket === last) continue;
      last = bucket;
      kept.add(b);
      left--;
    }
  }
  return {
    keep: newestFirst.filter((b) => kept.has(b)),
    remove: newestFirst.filter((b) => !kept.has(b)),
  };
}

/** ISO 8601 week of a date, e.g. `2026-W48`. */
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
