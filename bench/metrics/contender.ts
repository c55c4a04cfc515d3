/** The six figures a report reads per operation. Durations in ms; `null` where the API has none. */
export interface OperationFigures {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number | null;
}

/**
 * One prepared structure of a contender: a series per operation name,
 * prepared the way that library is normally used (bound handles, one
 * instance per name, or a labelled metric).
 *
 * The timed loops (`recordAll`, `measureAll`) are each contender's own
 * method, so V8 optimises each one on its own monomorphic call site instead of
 * a shared megamorphic loop.
 */
export interface Target {
  /** Timed: records `values[i]` (ms) into operation `i & (names.length - 1)`. */
  recordAll(values: Float64Array): void;
  /**
   * Timed: `calls` measureOperation-style timings of `fn` (clock reads
   * included), into operation `i & (names.length - 1)`.
   */
  measureAll(calls: number, fn: () => void): void;
  /** Untimed: records one value (ms) into operation `op`. */
  record(op: number, ms: number): void;
  /** The library's own estimate of quantile `q` of operation `op`, in ms. */
  quantileMs(op: number, q: number): number | Promise<number>;
  /** Count, mean, P50, P95, P99 and max of every operation, through the library's read API. */
  report(): OperationFigures[] | Promise<OperationFigures[]>;
  /** Frees what the structure holds (timers, WebAssembly memory). */
  close(): void | Promise<void>;
}

/** What {@link Contender.extras} gets to measure contender-specific figures. */
export interface ExtrasContext {
  values: Float64Array;
  /** The 8 names of the timing phases. */
  names: readonly string[];
  /** The 1,000 names of the memory and report phases. */
  manyNames: readonly string[];
  valuesPerManyName: number;
  measureCalls: number;
  reps: number;
  warmup: number;
  noop: () => void;
  log(message: string): void;
}

/** An implementation in the metrics suite: Keel or an anchor. */
export interface Contender {
  name: string;
  /** One-off setup before anything is measured (e.g. loading WebAssembly). */
  setup?(): Promise<void>;
  /** A fresh structure with one series per name. */
  prepare(names: readonly string[]): Target;
  /**
   * Where the structure's memory lives. `native`: malloc'd outside V8's
   * accounting (invisible to heapUsed/external), so bytesPerOperation is
   * taken from the RSS delta instead. @defaultValue 'v8'
   */
  memory?: 'v8' | 'native';
  /** Values timed by `recordAll` per repetition, when fewer than all (slow anchors). */
  recordValues?: number;
  /** Extra figures of this contender's row (Keel: by-name variants). */
  extras?(context: ExtrasContext): Promise<Record<string, number | null>>;
}
