import type { ResourceStatus } from './capacity-tracker.js';

/** A resource's growth, from the counts seen over the last hour. */
export interface CapacityTrend {
  name: string;
  /** Units per hour (negative when shrinking). */
  perHour: number;
  /** Time until the limit at this rate, ms; `null` when not growing. */
  timeLeftMs: number | null;
  /** The resource's state now. */
  state: ResourceStatus['state'];
}

const HOUR = 3_600_000;

/**
 * Counts of each capacity resource over time (one point per sample, the last
 * hour kept), for growth rates and the time left before a limit.
 */
export class CapacityHistory {
  readonly #points = new Map<string, Array<{ at: number; count: number }>>();

  #lastAt = Number.NEGATIVE_INFINITY;

  /** Adds the current counts at clock reading `at` (ms); at most one point per 5 s. */
  add(at: number, resources: readonly ResourceStatus[]): void {
    if (at - this.#lastAt < 5_000) return;
    this.#lastAt = at;
    for (const r of resources) {
      let list = this.#points.get(r.name);
      if (list === undefined) {
        list = [];
        this.#points.set(r.name, list);
      }
      list.push({ at, count: r.count });
      while (list.length > 2 && at - list[0]!.at > HOUR) list.shift();
    }
  }

  /** The trend of each resource seen for at least a minute. */
  trends(resources: readonly ResourceStatus[]): CapacityTrend[] {
    const out: CapacityTrend[] = [];
    for (const r of resources) {
      const list = this.#points.get(r.name);
      if (list === undefined || list.length < 2) continue;
      const first = list[0]!;
      const last = list[list.length - 1]!;
      const spanMs = last.at - first.at;
      if (spanMs < 60_000) continue;
      const perHour = ((last.count - first.count) / spanMs) * HOUR;
      const timeLeftMs =
        perHour > 0 && Number.isFinite(r.limit) ? ((r.limit - r.count) / perHour) * HOUR : null;
      out.push({
        name: r.name,
        perHour,
        timeLeftMs: timeLeftMs === null ? null : Math.max(0, timeLeftMs),
        state: r.state,
      });
    }
    return out;
  }
}
