import { type Clock, describe } from '../core/index.js';

/** The value every label of the overflow series takes once a metric reaches its series limit. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';
/** Longest label value accepted, in characters. */
export const MAX_LABEL_VALUE_LENGTH = 200;

/** A label value as given; it is converted to a string. */
export type LabelValue = string | number | boolean;

/** The label values of one series: every declared label name, and no other. */
export type Labels<L extends string = string> = Readonly<Record<L, LabelValue>>;

/** The labels of a series as reported: label name to string value. */
export type SeriesLabels = Readonly<Record<string, string>>;

/** One counter or gauge series in a snapshot. */
export interface ValueSeriesSnapshot {
  readonly labels: SeriesLabels;
  readonly value: number;
}

/** What the registry gives each metric it creates. */
export interface MetricContext {
  readonly maxSeries: number;
  readonly clock: Clock;
  /** Called once per metric, when its first value goes to the overflow series. */
  cardinalityExceeded(metric: string): void;
  /** Called when a gauge's collect callback throws. */
  collectFailed(): void;
}

/** What every stored series has; each metric adds its own data. */
export interface Series {
  readonly labels: SeriesLabels;
  readonly overflow: boolean;
  /** Set when a reset dropped the series; bound handles then look theirs up again. */
  detached: boolean;
}

/** A label combination resolved once, for a bound handle. */
export interface Binding<S extends Series> {
  readonly labels: SeriesLabels;
  series: S;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_METRIC_NAME_LENGTH = 200;

/** Checks a metric name against `^[a-zA-Z_:][a-zA-Z0-9_:]*$`. */
export function checkMetricName(name: unknown): string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new TypeError(
      `metric name ${describe(name)} is invalid: use letters, digits, "_" and ":", not starting with a digit`,
    );
  }
  if (name.length > MAX_METRIC_NAME_LENGTH) {
    throw new RangeError(
      `metric name must be at most ${MAX_METRIC_NAME_LENGTH} characters, got ${name.length}`,
    );
  }
  return name;
}

/** Checks label names: valid, not starting with `__`, none twice, none of `reserved`. */
export function checkLabelNames(
  metric: string,
  labelNames: unknown,
  reserved: readonly string[] = [],
): readonly string[] {
  if (labelNames === undefined) return Object.freeze([]);
  if (!Array.isArray(labelNames)) {
    throw new TypeError(
      `labelNames of metric "${metric}" must be an array of strings, got ${describe(labelNames)}`,
    );
  }
  const seen = new Set<string>();
  for (const name of labelNames as unknown[]) {
    if (typeof name !== 'string' || !LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new TypeError(
        `label name ${describe(name)} of metric "${metric}" is invalid: use letters, digits and "_", ` +
          'not starting with a digit or "__"',
      );
    }
    if (reserved.includes(name)) {
      throw new TypeError(
        `label name "${name}" of metric "${metric}" is reserved (Prometheus uses it for buckets and quantiles); rename it`,
      );
    }
    if (seen.has(name)) {
      throw new TypeError(`label name "${name}" of metric "${metric}" is given twice`);
    }
    seen.add(name);
  }
  return Object.freeze([...seen]);
}

/** Checks a value that must be a finite number. */
export function checkFinite(value: unknown, metric: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(
      `value for metric "${metric}" must be a finite number, got ${describe(value)}`,
    );
  }
  return value;
}

/** The stored value of one label, converted to a string. */
function labelString(metric: string, name: string, value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'boolean') s = String(value);
  else {
    throw new TypeError(
      `label "${name}" of metric "${metric}" must be a string, number or boolean, got ${describe(value)}`,
    );
  }
  if (s.length > MAX_LABEL_VALUE_LENGTH) {
    throw new RangeError(
      `label "${name}" of metric "${metric}" must be at most ${MAX_LABEL_VALUE_LENGTH} characters, got ${s.length}`,
    );
  }
  return s;
}

/** One level of the series trie: a label value to the next level, or to the series at the last level. */
type Level<S> = Map<string, Level<S> | S>;

/**
 * The series of one metric by label values, at most `maxSeries` of them plus
 * one overflow series that takes every later label combination, so memory
 * stays bounded whatever label values the application sends.
 */
export class SeriesStore<S extends Series> {
  /** Updates that went to the overflow series since the last reset. */
  overflowCount = 0;
  readonly #metric: string;
  readonly #names: readonly string[];
  readonly #context: MetricContext;
  readonly #create: (labels: SeriesLabels, overflow: boolean) => S;
  /**
   * Series by label values, one level per label name in declaration order:
   * a lookup builds no key string, and values cannot collide.
   */
  #root: Level<S> = new Map();
  /** Every series but the overflow one, in creation order. */
  #list: S[] = [];
  #single: S | undefined;
  #overflow: S | undefined;

  constructor(
    metric: string,
    labelNames: readonly string[],
    context: MetricContext,
    create: (labels: SeriesLabels, overflow: boolean) => S,
  ) {
    this.#metric = metric;
    this.#names = labelNames;
    this.#context = context;
    this.#create = create;
    this.#addSingle();
  }

  /** Number of series, the overflow one included. */
  get size(): number {
    return this.#list.length + (this.#overflow === undefined ? 0 : 1);
  }

  /** The series of `labels`, created on first use; counts a hit on the overflow series. */
  get(labels: unknown): S {
    const single = this.#single;
    if (single !== undefined && labels === undefined) return single;
    const given = this.#check(labels);
    let node: Level<S> | S | undefined = single ?? this.#root;
    const names = this.#names;
    for (let i = 0; i < names.length && node !== undefined; i++) {
      const name = names[i]!;
      node = (node as Level<S>).get(labelString(this.#metric, name, given[name]));
    }
    const series = (node as S | undefined) ?? this.#add(this.#record(given));
    if (series.overflow) this.overflowCount++;
    return series;
  }

  /** Resolves `labels` once, for a handle that updates without a lookup. */
  bind(labels: unknown): Binding<S> {
    const record = this.#record(this.#check(labels));
    return { labels: record, series: this.#find(record) ?? this.#add(record) };
  }

  /** The live series of a binding (looked up again after a reset); counts a hit on the overflow series. */
  current(binding: Binding<S>): S {
    let series = binding.series;
    if (series.detached) {
      series = this.#find(binding.labels) ?? this.#add(binding.labels);
      binding.series = series;
    }
    if (series.overflow) this.overflowCount++;
    return series;
  }

  /** Maps every series, the overflow one last. */
  map<T>(fn: (series: S) => T): T[] {
    const out = this.#list.map((series) => fn(series));
    if (this.#overflow !== undefined) out.push(fn(this.#overflow));
    return out;
  }

  /** Drops every series; bound handles start new ones on their next update. */
  reset(): void {
    for (const series of this.#list) series.detached = true;
    if (this.#overflow !== undefined) this.#overflow.detached = true;
    this.#root = new Map();
    this.#list = [];
    this.#overflow = undefined;
    this.#single = undefined;
    this.overflowCount = 0;
    this.#addSingle();
  }

  /** A metric without labels always has its one series, so it reports 0 before any update. */
  #addSingle(): void {
    if (this.#names.length === 0) this.#single = this.#add(Object.freeze({}));
  }

  /** Checks that `labels` gives every declared label name and no other. */
  #check(labels: unknown): Record<string, unknown> {
    if (typeof labels !== 'object' || labels === null) {
      if (labels === undefined && this.#names.length === 0) return {};
      throw this.#labelsError(labels);
    }
    const given = labels as Record<string, unknown>;
    for (const name of this.#names) {
      const value = given[name];
      // A function is inherited from Object.prototype (a label named `constructor`): missing.
      if (value === undefined || typeof value === 'function') throw this.#labelsError(labels);
    }
    let count = 0;
    for (const _ in given) count++;
    if (count !== this.#names.length) throw this.#labelsError(labels);
    return given;
  }

  /** The reported labels of checked label values. */
  #record(given: Record<string, unknown>): SeriesLabels {
    const record: Record<string, string> = {};
    for (const name of this.#names) record[name] = labelString(this.#metric, name, given[name]);
    return Object.freeze(record);
  }

  #find(record: SeriesLabels): S | undefined {
    if (this.#single !== undefined) return this.#single;
    let node: Level<S> | S | undefined = this.#root;
    for (const name of this.#names) {
      node = (node as Level<S>).get(record[name]!);
      if (node === undefined) return undefined;
    }
    return node as S;
  }

  /** Adds the series of `record`, or returns the overflow series when full. */
  #add(record: SeriesLabels): S {
    if (this.#list.length >= this.#context.maxSeries) return this.#overflowSeries();
    const names = this.#names;
    for (const name of names) {
      if (record[name] === OVERFLOW_LABEL_VALUE) {
        throw new RangeError(
          `label value "${OVERFLOW_LABEL_VALUE}" is reserved for the overflow series of metric "${this.#metric}"`,
        );
      }
    }
    const series = this.#create(record, false);
    if (names.length > 0) {
      let level = this.#root;
      for (let i = 0; i < names.length - 1; i++) {
        const value = record[names[i]!]!;
        let next = level.get(value) as Level<S> | undefined;
        if (next === undefined) {
          next = new Map();
          level.set(value, next);
        }
        level = next;
      }
      level.set(record[names[names.length - 1]!]!, series);
    }
    this.#list.push(series);
    return series;
  }

  #overflowSeries(): S {
    if (this.#overflow === undefined) {
      const labels: Record<string, string> = {};
      for (const name of this.#names) labels[name] = OVERFLOW_LABEL_VALUE;
      const series = this.#create(Object.freeze(labels), true);
      this.#overflow = series;
      // The listener may reset this metric; the series is then detached, not lost track of.
      this.#context.cardinalityExceeded(this.#metric);
      return series;
    }
    return this.#overflow;
  }

  #labelsError(labels: unknown): TypeError {
    const expected = this.#names.length === 0 ? 'no labels' : `labels {${this.#names.join(', ')}}`;
    const given =
      typeof labels === 'object' && labels !== null
        ? `{${Object.keys(labels).join(', ')}}`
        : describe(labels);
    return new TypeError(`metric "${this.#metric}" takes ${expected}, got ${given}`);
  }
}
