/** A figure of a result row: a number, or `null` where it does not apply. */
export type Figure = number | string | null;

/** One row of a suite's results: a named implementation and its figures. */
export interface ResultRow {
  name: string;
  [figure: string]: Figure;
}

/** What a suite prints: one JSON document with `--json`, a table without. */
export interface SuiteResult {
  suite: string;
  config: Record<string, unknown>;
  results: ResultRow[];
}

/** What a suite runs with. */
export interface SuiteContext {
  /** Progress; goes to stderr, so stdout stays one JSON document. */
  log(message: string): void;
  /** The suite's own flags given on the command line (from {@link Suite.flags}). */
  flags: ReadonlySet<string>;
}

/** A benchmark suite that `bench/run.ts` can dispatch to. */
export interface Suite {
  name: string;
  description: string;
  /** Flags the suite accepts besides `--json`, with what they do. */
  flags?: Readonly<Record<string, string>>;
  run(context: SuiteContext): Promise<SuiteResult>;
  /** The human-readable form of a result. */
  format(result: SuiteResult): string;
}
