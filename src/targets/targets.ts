import { checkName, checkNumber } from '../core/index.js';

/** The percentiles a latency target can be set on. */
export type TargetPercentile = 50 | 90 | 95 | 99 | 99.9;

/** A response-time and error-rate target. */
export interface Target {
  /** Which percentile must stay under `latencyMs`. @defaultValue 95 */
  percentile?: TargetPercentile;
  /** @defaultValue 200 (the seed's target) */
  latencyMs?: number;
  /** Highest acceptable error rate, a fraction 0..1. @defaultValue 0.01 */
  maxErrorRate?: number;
  /** Calls needed in the window before the operation is judged. @defaultValue 1 (judge whatever was measured, as the seed does) */
  minSamples?: number;
}

/** A target with every field resolved. */
export interface ResolvedTarget {
  readonly percentile: TargetPercentile;
  /** The stats field the percentile is read from, e.g. `p95Ms`. */
  readonly metric: 'p50Ms' | 'p90Ms' | 'p95Ms' | 'p99Ms' | 'p999Ms';
  readonly latencyMs: number;
  readonly maxErrorRate: number;
  readonly minSamples: number;
}

/** Targets for every operation, with overrides by name. */
export interface TargetsOptions {
  /** Applies to operations without an override. */
  default?: Target;
  /** Per-operation overrides; missing fields come from `default`. */
  operations?: Record<string, Target>;
}

const METRIC: Record<TargetPercentile, ResolvedTarget['metric']> = {
  50: 'p50Ms',
  90: 'p90Ms',
  95: 'p95Ms',
  99: 'p99Ms',
  99.9: 'p999Ms',
};

/** The seed's target: P95 <= 200 ms and error rate <= 1%, judged from the first call. */
export const DEFAULT_TARGET: ResolvedTarget = Object.freeze({
  percentile: 95,
  metric: 'p95Ms',
  latencyMs: 200,
  maxErrorRate: 0.01,
  minSamples: 1,
});

function resolve(t: Target | undefined, base: ResolvedTarget, path: string): ResolvedTarget {
  if (t === undefined) return base;
  if (typeof t !== 'object' || t === null) throw new TypeError(`${path} must be an object`);
  const percentile = t.percentile ?? base.percentile;
  const metric = METRIC[percentile];
  if (metric === undefined) {
    throw new RangeError(
      `${path}.percentile must be one of 50, 90, 95, 99, 99.9, got ${percentile}`,
    );
  }
  const minSamples = t.minSamples ?? base.minSamples;
  if (!Number.isSafeInteger(minSamples) || minSamples < 1) {
    throw new RangeError(`${path}.minSamples must be a positive integer, got ${minSamples}`);
  }
  return Object.freeze({
    percentile,
    metric,
    latencyMs: checkNumber(t.latencyMs ?? base.latencyMs, `${path}.latencyMs`, Number.MIN_VALUE),
    maxErrorRate: checkNumber(t.maxErrorRate ?? base.maxErrorRate, `${path}.maxErrorRate`, 0, 1),
    minSamples,
  });
}

/**
 * Resolves targets once: the default and each override, validated.
 *
 * @example
 * const targets = new Targets({ default: { latencyMs: 200 }, operations: { run_report: { latencyMs: 2000 } } });
 * targets.for('run_report').latencyMs; // 2000
 * @throws RangeError or TypeError naming the bad field
 */
export class Targets {
  readonly default: ResolvedTarget;
  readonly #byName = new Map<string, ResolvedTarget>();
  #version = 0;

  constructor(options: TargetsOptions = {}) {
    this.default = resolve(options.default, DEFAULT_TARGET, 'targets.default');
    for (const [name, t] of Object.entries(options.operations ?? {})) {
      checkName(name, 'targets.operations key');
      this.#byName.set(name, resolve(t, this.default, `targets.operations["${name}"]`));
    }
  }

  /** The target of an operation. */
  for(name: string): ResolvedTarget {
    return this.#byName.get(name) ?? this.default;
  }

  /** Sets or replaces the target of one operation. */
  set(name: string, target: Target): ResolvedTarget {
    checkName(name, 'name');
    const resolved = resolve(target, this.default, `target of "${name}"`);
    this.#byName.set(name, resolved);
    this.#version++;
    return resolved;
  }

  /** The distinct latency targets (ms) of the default and every override, ascending. */
  latencies(): number[] {
    const all = new Set([this.default.latencyMs]);
    for (const t of this.#byName.values()) all.add(t.latencyMs);
    return [...all].sort((a, b) => a - b);
  }

  /** Grows with every change of a target: cached verdicts compare it. */
  get version(): number {
    return this.#version;
  }
}
