/**
 * The vocabulary every capability's rules speak: a recommendation with its
 * evidence. The rules live beside what they judge; the report gathers them.
 */

/** How urgent a recommendation is. */
export type Severity = 'info' | 'warning' | 'critical';

/** The measurement a recommendation rests on. */
export interface Evidence {
  metric: string;
  value: number;
  threshold: number;
  /** Window the value was measured over: `'10m'`, `'lifetime'`, or `'now'` for a point-in-time count. */
  window: string;
  /** The same window in ms; `null` for lifetime or a point-in-time count. */
  windowMs: number | null;
  operation?: string;
  /** How many times it happened in the window, for events counted there (e.g. event-loop blocks). */
  count?: number;
  /** ISO time of the worst occurrence, for events counted in the window. */
  at?: string;
}

/** One recommendation: stable `id` (rule, plus subject), what was seen, what to do. */
export interface Recommendation {
  id: string;
  severity: Severity;
  title: string;
  /** The sentence shown in `recommendations`. */
  message: string;
  evidence: Evidence;
  action: string;
}

/** Sort key of severities: most severe first. */
export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Sorts recommendations most severe first (stable: rules keep their order within a severity). */
export function bySeverity(recommendations: Recommendation[]): Recommendation[] {
  return recommendations.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
