/** Formats a duration for a sentence. */
export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** A span of minutes or hours for a sentence: `38 min`, `5 h` (at least 1 min). */
export function formatMinutes(ms: number): string {
  return ms >= 7_200_000
    ? `${Math.round(ms / 3_600_000)} h`
    : `${Math.max(1, Math.round(ms / 60_000))} min`;
}

/** A fraction as a percentage for a sentence: `12%`, `0.5%`. */
export function formatPercent(f: number): string {
  const p = f * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** The time of day of an ISO time, UTC, for a sentence: `13:02:11 UTC`. */
export function formatTimeOfDay(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

/** The `window` label of evidence measured over `windowMs` (`null`: lifetime). */
export function windowLabel(windowMs: number | null): string {
  if (windowMs === null) return 'lifetime';
  const minutes = windowMs / 60_000;
  return Number.isInteger(minutes) ? `${minutes}m` : `${windowMs / 1000}s`;
}
