import {
  CapacityExceededError,
  type Clock,
  checkCount,
  checkName,
  describe,
  Emitter,
  systemClock,
} from '../core/index.js';

/** What happens when a change would take a resource past its limit. */
export type CapacityPolicy = 'warn' | 'reject';

/** Where a resource stands against its limit: `exceeded` means at or past it. */
export type CapacityState = 'ok' | 'warning' | 'exceeded';

/** How one limited resource behaves. */
export interface ResourceOptions {
  /** Most units the resource supports: a positive integer, or `Infinity` for no limit. */
  limit: number;
  /**
   * Fraction of the limit at which the state becomes `warning`, in (0, 1].
   * @defaultValue 0.8
   */
  warnAtFraction?: number;
  /**
   * `warn` records a change past the limit and reports `exceeded`; `reject`
   * throws {@link CapacityExceededError} and records nothing.
   * @defaultValue 'warn'
   */
  policy?: CapacityPolicy;
}

/** Options of a {@link CapacityTracker}. */
export interface CapacityTrackerOptions {
  /**
   * Source of `lastChangedAt` readings, in milliseconds.
   * @defaultValue systemClock (`performance.now()`)
   */
  clock?: Clock;
  /**
   * Resources by name. `transactions` and `customers` always exist; an entry
   * with their name replaces their options.
   * @defaultValue `{ transactions: { limit: 10_000 }, customers: { limit: 1_000 } }`
   */
  resources?: Record<string, ResourceOptions>;
}

/** A snapshot of one resource. */
export interface ResourceStatus {
  readonly name: string;
  readonly count: number;
  readonly limit: number;
  /** `count / limit`; 0 when the limit is `Infinity`. May pass 1 with policy `warn`. */
  readonly utilization: number;
  /** The count at which the state becomes `warning`. */
  readonly warnAt: number;
  readonly policy: CapacityPolicy;
  /** `exceeded` at or past the limit, `warning` at or past `warnAt`, else `ok`. */
  readonly state: CapacityState;
  /** Highest count seen. */
  readonly peak: number;
  /** Changes refused by policy `reject`. */
  readonly rejected: number;
  /** Clock reading of the last change of `count`; `undefined` before the first. */
  readonly lastChangedAt: number | undefined;
}

/** Emitted when a resource moves from one {@link CapacityState} to another. */
export interface CapacityStateChangedEvent {
  readonly resource: string;
  readonly from: CapacityState;
  readonly to: CapacityState;
  readonly count: number;
  readonly limit: number;
}

/** Limits of the resources every tracker has (seed requirement 10.4). */
export const BUILT_IN_LIMITS: Readonly<Record<'transactions' | 'customers', number>> =
  Object.freeze({ transactions: 10_000, customers: 1_000 });

const DEFAULT_WARN_AT_FRACTION = 0.8;

interface Resource {
  readonly name: string;
  readonly limit: number;
  readonly warnAt: number;
  readonly policy: CapacityPolicy;
  count: number;
  peak: number;
  rejected: number;
  lastChangedAt: number | undefined;
  state: CapacityState;
}

/**
 * Counts limited resources (transactions, customers, anything you define) and
 * tells when they near or reach their limits.
 *
 * @example
 * ```ts
 * const capacity = new CapacityTracker({ resources: { invoices: { limit: 5_000, policy: 'reject' } } });
 * capacity.onStateChanged((e) => console.warn(`${e.resource}: ${e.from} -> ${e.to}`));
 * capacity.increment('transactions');
 * capacity.get('transactions'); // { count: 1, limit: 10000, state: 'ok', ... }
 * ```
 */
export class CapacityTracker {
  readonly #clock: Clock;
  readonly #resources = new Map<string, Resource>();
  readonly #stateChanged = new Emitter<CapacityStateChangedEvent>();
  #changes = 0;

  /**
   * @throws TypeError or RangeError naming the field when an option is invalid,
   *   e.g. `resources.transactions.limit`.
   */
  constructor(options: CapacityTrackerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    this.#clock = resolveClock(options.clock);
    const resources: unknown = options.resources ?? {};
    if (typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
      throw new TypeError(
        `resources must be an object of resource options, got ${describe(resources)}`,
      );
    }
    const given = resources as Record<string, unknown>;
    for (const [name, limit] of Object.entries(BUILT_IN_LIMITS)) {
      const raw = Object.hasOwn(given, name) ? given[name] : { limit };
      this.#add(name, raw, `resources.${name}`);
    }
    for (const [name, raw] of Object.entries(given)) {
      if (Object.hasOwn(BUILT_IN_LIMITS, name)) continue;
      checkName(name, 'resources key');
      this.#add(name, raw, `resources.${name}`);
    }
  }

  /**
   * Defines a new limited resource.
   *
   * @throws Error when `name` is already defined.
   * @throws TypeError or RangeError naming the argument or field when `name` or
   *   `options` is invalid.
   */
  define(name: string, options: ResourceOptions): void {
    checkName(name, 'name');
    if (this.#resources.has(name)) {
      throw new RangeError(
        `capacity resource "${name}" is already defined; use another name, or set its options ` +
          'once through the CapacityTracker constructor',
      );
    }
    this.#add(name, options, 'options');
  }

  /** True when `name` is defined. */
  has(name: string): boolean {
    return this.#resources.has(name);
  }

  /**
   * Adds `n` units and returns the new count. Cheap: no allocation unless the
   * state changes and someone listens.
   *
   * @param n - units to add, 1 by default.
   * @throws RangeError when `name` is not defined or `n` is not a non-negative integer.
   * @throws {@link CapacityExceededError} when policy is `reject` and the count
   *   would pass the limit; nothing is recorded.
   */
  increment(name: string, n = 1): number {
    const resource = this.#resources.get(name) ?? this.#unknown(name);
    checkCount(n, 'n');
    return this.#change(resource, resource.count + n, 'n');
  }

  /**
   * Removes `n` units and returns the new count.
   *
   * @param n - units to remove, 1 by default.
   * @throws RangeError when `name` is not defined, `n` is not a non-negative
   *   integer, or `n` is more than the current count; nothing is recorded.
   */
  decrement(name: string, n = 1): number {
    const resource = this.#resources.get(name) ?? this.#unknown(name);
    checkCount(n, 'n');
    if (n > resource.count) {
      throw new RangeError(
        `n must be at most the current count ${resource.count} of "${name}", got ${n}; ` +
          'a count never goes below 0',
      );
    }
    return this.#change(resource, resource.count - n, 'n');
  }

  /**
   * Sets the count, e.g. from a database total, and returns it.
   *
   * @throws RangeError when `name` is not defined or `value` is not a non-negative integer.
   * @throws {@link CapacityExceededError} when policy is `reject` and `value`
   *   passes the limit; nothing is recorded.
   */
  set(name: string, value: number): number {
    const resource = this.#resources.get(name) ?? this.#unknown(name);
    checkCount(value, 'value');
    return this.#change(resource, value, 'value');
  }

  /** A snapshot of `name`, or `undefined` when it is not defined. */
  get(name: string): ResourceStatus | undefined {
    const resource = this.#resources.get(name);
    return resource === undefined ? undefined : toStatus(resource);
  }

  /**
   * How many times a count changed or a change was rejected, over all
   * resources: only ever grows, so a different value means something happened.
   */
  get changes(): number {
    return this.#changes;
  }

  /** Snapshots of every resource, in the order they were defined. */
  list(): ResourceStatus[] {
    return Array.from(this.#resources.values(), toStatus);
  }

  /**
   * Calls `listener` each time a resource changes state. A throwing listener
   * does not break tracking.
   */
  onStateChanged(listener: (event: CapacityStateChangedEvent) => void): Disposable {
    return this.#stateChanged.on(listener);
  }

  #add(name: string, raw: unknown, path: string): void {
    const { limit, warnAtFraction, policy } = resolveResourceOptions(raw, path);
    const warnAt =
      limit === Number.POSITIVE_INFINITY
        ? limit
        : Math.ceil(Number((limit * warnAtFraction).toPrecision(12)));
    this.#resources.set(name, {
      name,
      limit,
      warnAt,
      policy,
      count: 0,
      peak: 0,
      rejected: 0,
      lastChangedAt: undefined,
      state: 'ok',
    });
  }

  #change(resource: Resource, next: number, argument: string): number {
    if (next === resource.count) return next;
    if (next > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(
        `${argument} would take "${resource.name}" past ${Number.MAX_SAFE_INTEGER}, got ${next}`,
      );
    }
    this.#changes++;
    if (next > resource.limit && resource.policy === 'reject') {
      resource.rejected++;
      throw new CapacityExceededError(resource.name, resource.limit, next);
    }
    resource.count = next;
    if (next > resource.peak) resource.peak = next;
    resource.lastChangedAt = this.#clock.now();
    const state: CapacityState =
      next >= resource.limit ? 'exceeded' : next >= resource.warnAt ? 'warning' : 'ok';
    if (state !== resource.state) {
      const from = resource.state;
      resource.state = state;
      if (this.#stateChanged.hasListeners) {
        this.#stateChanged.emit({
          resource: resource.name,
          from,
          to: state,
          count: next,
          limit: resource.limit,
        });
      }
    }
    return next;
  }

  #unknown(name: unknown): never {
    checkName(name, 'name');
    throw new RangeError(
      `capacity resource ${describe(name)} is not defined; define it first with ` +
        `define(${describe(name)}, { limit }) or the resources option`,
    );
  }
}

function toStatus(resource: Resource): ResourceStatus {
  const { name, count, limit, warnAt, policy, state, peak, rejected, lastChangedAt } = resource;
  const utilization = limit === Number.POSITIVE_INFINITY ? 0 : count / limit;
  return { name, count, limit, utilization, warnAt, policy, state, peak, rejected, lastChangedAt };
}

function resolveClock(clock: unknown): Clock {
  if (clock === undefined) return systemClock;
  if (typeof clock !== 'object' || clock === null || typeof (clock as Clock).now !== 'function') {
    throw new TypeError(`clock must be an object with a now() method, got ${describe(clock)}`);
  }
  return clock as Clock;
}

function resolveResourceOptions(raw: unknown, path: string): Required<ResourceOptions> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${path} must be an object like { limit: 1000 }, got ${describe(raw)}`);
  }
  const { limit, warnAtFraction, policy } = raw as Record<string, unknown>;
  if (
    typeof limit !== 'number' ||
    !(limit === Number.POSITIVE_INFINITY || (Number.isSafeInteger(limit) && limit > 0))
  ) {
    throw new RangeError(
      `${path}.limit must be a positive integer or Infinity, got ${describe(limit)}`,
    );
  }
  if (
    warnAtFraction !== undefined &&
    (typeof warnAtFraction !== 'number' || !(warnAtFraction > 0 && warnAtFraction <= 1))
  ) {
    throw new RangeError(
      `${path}.warnAtFraction must be a number greater than 0 and at most 1, got ${describe(warnAtFraction)}`,
    );
  }
  if (policy !== undefined && policy !== 'warn' && policy !== 'reject') {
    throw new RangeError(`${path}.policy must be 'warn' or 'reject', got ${describe(policy)}`);
  }
  return {
    limit,
    warnAtFraction: warnAtFraction ?? DEFAULT_WARN_AT_FRACTION,
    policy: policy ?? 'warn',
  };
}
