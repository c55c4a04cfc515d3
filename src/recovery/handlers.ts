import { AsyncLocalStorage } from 'node:async_hooks';
import { checkDurationMs, describe } from '../core/index.js';
import { errorTypeOf } from './classify.js';

/**
 * What a recovery handler is told. `C` is the shape of the context the
 * callers of `recoverFromError` pass (e.g. `{ invoice: number }`).
 */
export interface HandlerContext<C extends object = Record<string, unknown>> {
  /** The error being recovered from (a string type alone becomes an Error with that `type`). */
  error: unknown;
  /** The error's type: its `type`, `code` or `name`. */
  errorType: string;
  /** The operation that failed, when known. */
  operation: string | undefined;
  /** 1 for the handler's first try at this error. */
  attempt: number;
  /** Aborts when the handler's `timeoutMs` passes; pass it on to the work it starts. */
  signal: AbortSignal;
  /** What the caller passed as `data` (e.g. the record being saved). */
  data: unknown;
  /**
   * The whole context the caller gave `recoverFromError`, every key as it was
   * passed (the same object); between the attempts of `monitor.run`, what the
   * run passes (`{ operation, data, signal?, previous? }`); `{}` when the
   * caller gave none. Partial: a handler cannot know that every caller passed
   * each of its keys.
   */
  context: Readonly<Partial<C>> & RecoverContext;
  /** The outcome of the previous try at this error, if any. */
  previous: RecoveryResult | undefined;
}

/**
 * Recovers from an error, e.g. reconnects a database. Returning `false`
 * means "not recovered"; anything else (or nothing) means recovered. A throw,
 * a rejection or running past `timeoutMs` is a failed attempt.
 */
export type ErrorHandler<C extends object = Record<string, unknown>> = (
  context: HandlerContext<C>,
) => unknown;

/** Which errors a handler takes. */
export type ErrorMatch =
  | string
  | (abstract new (
      ...args: never[]
    ) => Error)
  | ((error: unknown, errorType: string) => boolean);

/** Options of a registered handler. */
export interface HandlerOptions {
  /** Shown in results and statistics. @defaultValue the type string, the class name, or the function's name */
  name?: string;
  /** Longest one try may take; then it counts as failed and its signal aborts. @defaultValue 5_000 */
  timeoutMs?: number;
  /** Tries at one error before giving up. @defaultValue 1 */
  maxAttempts?: number;
}

/** The outcome of {@link HandlerRegistry.recover} (seed: `recover_from_error`). */
export interface RecoveryResult {
  recovered: boolean;
  /** Name of the handler that ran. */
  handler?: string;
  /** Tries the handler made. */
  attempts: number;
  durationMs: number;
  /**
   * Why it did not recover: no handler; the handler threw, rejected or
   * returned `false` (`declined`); it passed its timeoutMs; the caller's
   * signal aborted; or the handler was already recovering this error type (or
   * running) further up the same async chain.
   */
  reason?: 'no-handler' | 'handler-failed' | 'timeout' | 'cancelled' | 'recursion';
  /** True when the handler answered `false`: it says the error cannot be recovered. */
  declined?: boolean;
  /** The handler's last error (or a TimeoutError) when it failed. */
  error?: unknown;
}

/**
 * Context given to a recovery by the caller. These four keys mean what they
 * say; any other key is the caller's own and reaches the handler unchanged
 * as `context` (seed: `recover_from_error(error_type, context)`).
 */
export interface RecoverContext {
  /** The operation that failed: a non-empty string. */
  operation?: string;
  /** Passed to the handler as `data` and to `onGaveUp` listeners. */
  data?: unknown;
  /** Aborting it stops waiting for the handler (and aborts the handler's signal). */
  signal?: AbortSignal;
  /** The outcome of an earlier try at this error, passed to the handler as `previous`. */
  previous?: RecoveryResult;
}

interface Registered {
  match: ErrorMatch;
  handler: ErrorHandler<object>;
  name: string;
  timeoutMs: number;
  maxAttempts: number;
  /** 0 for a type string, 1 for a class, 2 for a predicate. */
  order: number;
}

const isErrorClass = (f: unknown): f is abstract new (...args: never[]) => Error =>
  typeof f === 'function' && (f === Error || f.prototype instanceof Error);

/**
 * Recovery handlers by error type (seed: `register_error_handler`). An error
 * goes to, in this order: the handler registered for its `type`, `code` or
 * `name` string; the handler of its closest class; the first predicate that
 * accepts it.
 */
export class HandlerRegistry {
  readonly #handlers: Registered[] = [];
  /**
   * Error types being recovered, and handlers running, in the current async
   * chain: a handler never recurses into its own type or into itself.
   */
  readonly #inside = new AsyncLocalStorage<ReadonlySet<unknown>>();

  /**
   * @returns a Disposable that unregisters the handler
   * @throws TypeError or RangeError for a bad argument; Error when `match` already has a handler
   */
  register<C extends object = Record<string, unknown>>(
    match: ErrorMatch,
    handler: ErrorHandler<C>,
    options: HandlerOptions = {},
  ): Disposable {
    const order = typeof match === 'string' ? 0 : isErrorClass(match) ? 1 : 2;
    if (typeof match === 'string' ? match.length === 0 : typeof match !== 'function') {
      throw new TypeError(
        `match must be an error type string, an Error class or a predicate, got ${describe(match)}`,
      );
    }
    if (typeof handler !== 'function') {
      throw new TypeError(`handler must be a function, got ${describe(handler)}`);
    }
    const timeoutMs = checkDurationMs(options.timeoutMs ?? 5_000, 'timeoutMs');
    const maxAttempts = options.maxAttempts ?? 1;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be an integer >= 1, got ${describe(maxAttempts)}`);
    }
    if (this.#handlers.some((h) => h.match === match)) {
      throw new Error(
        `a handler for ${typeof match === 'string' ? `"${match}"` : (match.name ?? 'this match')} ` +
          'is already registered; unregisterErrorHandler() it first',
      );
    }
    const name =
      options.name ??
      (typeof match === 'string' ? match : match.name || handler.name || 'predicate');
    const entry: Registered = {
      match,
      handler: handler as ErrorHandler<object>,
      name,
      timeoutMs,
      maxAttempts,
      order,
    };
    this.#handlers.push(entry);
    return { [Symbol.dispose]: () => void this.unregister(match) };
  }

  /** Removes the handler registered for `match` (or the given handler function). @returns whether one was removed */
  unregister(matchOrHandler: ErrorMatch | ErrorHandler<never>): boolean {
    const at = this.#handlers.findIndex(
      (h) => h.match === matchOrHandler || h.handler === (matchOrHandler as unknown),
    );
    if (at < 0) return false;
    this.#handlers.splice(at, 1);
    return true;
  }

  /** Names of the registered handlers. */
  get names(): string[] {
    return this.#handlers.map((h) => h.name);
  }

  /** The handler an error goes to, if any. */
  find(error: unknown, errorType = errorTypeOf(error)): Registered | undefined {
    const e = error as { type?: unknown; code?: unknown; name?: unknown } | null;
    const keys =
      typeof error === 'object' && error !== null ? [e?.type, e?.code, e?.name] : [errorType];
    for (const key of keys) {
      if (typeof key !== 'string') continue;
      const h = this.#handlers.find((x) => x.order === 0 && x.match === key);
      if (h !== undefined) return h;
    }
    if (error instanceof Error) {
      let best: Registered | undefined;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (const h of this.#handlers) {
        if (h.order !== 1) continue;
        const d = distance(error, h.match as abstract new (...args: never[]) => Error);
        if (d < bestDistance) {
          best = h;
          bestDistance = d;
        }
      }
      if (best !== undefined) return best;
    }
    for (const h of this.#handlers) {
      if (h.order !== 2) continue;
      try {
        if ((h.match as (error: unknown, type: string) => boolean)(error, errorType)) return h;
      } catch {
        // A throwing predicate matches nothing.
      }
    }
    return undefined;
  }

  /**
   * Runs the handler for `errorOrType` up to its `maxAttempts`. Never throws:
   * no handler, a failing or hanging handler, or a recovery of a type already
   * being recovered in the same async chain, each give `recovered: false`
   * with the reason.
   */
  async recover(
    errorOrType: unknown,
    context: RecoverContext = {},
    startAttempt = 1,
  ): Promise<RecoveryResult> {
    const started = performance.now();
    const error =
      typeof errorOrType === 'string'
        ? Object.assign(new Error(errorOrType), { type: errorOrType })
        : errorOrType;
    const errorType = errorTypeOf(errorOrType);
    const h = this.find(error, errorType);
    if (h === undefined) {
      return { recovered: false, attempts: 0, durationMs: 0, reason: 'no-handler' };
    }
    const inside = this.#inside.getStore();
    if (inside?.has(errorType) === true || inside?.has(h) === true) {
      return { recovered: false, handler: h.name, attempts: 0, durationMs: 0, reason: 'recursion' };
    }
    const chain = new Set(inside);
    chain.add(errorType);
    chain.add(h);
    let previous = context.previous;
    for (let i = 0; i < h.maxAttempts; i++) {
      const outcome = await this.#inside.run(chain, () =>
        tryOnce(h, {
          error,
          errorType,
          operation: context.operation,
          attempt: startAttempt + i,
          data: context.data,
          context,
          previous,
          outer: context.signal,
        }),
      );
      previous = {
        ...outcome,
        handler: h.name,
        attempts: i + 1,
        durationMs: performance.now() - started,
      };
      if (previous.recovered || previous.declined === true || context.signal?.aborted === true) {
        break;
      }
    }
    return previous as RecoveryResult;
  }

  /** Runs `fn` as if inside the recovery of `errorType`: a recovery of that type from it is refused. */
  within<T>(errorType: string, fn: () => T): T {
    const chain = new Set(this.#inside.getStore());
    chain.add(errorType);
    return this.#inside.run(chain, fn);
  }
}

const TIMED_OUT: unique symbol = Symbol('timed out');
const CANCELLED: unique symbol = Symbol('cancelled');

/** One try of a handler, bounded by its timeout. */
async function tryOnce(
  h: Registered,
  c: Omit<HandlerContext<object>, 'signal'> & { outer: AbortSignal | undefined },
): Promise<Pick<RecoveryResult, 'recovered' | 'reason' | 'error' | 'declined'>> {
  if (c.outer?.aborted === true) {
    return { recovered: false, reason: 'cancelled', error: c.outer.reason };
  }
  const controller = new AbortController();
  let onOuter: (() => void) | undefined;
  const cancelled = new Promise<typeof CANCELLED>((resolve) => {
    onOuter = () => {
      controller.abort(c.outer?.reason);
      resolve(CANCELLED);
    };
    c.outer?.addEventListener('abort', onOuter, { once: true });
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), h.timeoutMs);
  });
  try {
    const { outer: _, ...rest } = c;
    const result = await Promise.race([
      Promise.resolve().then(() => h.handler({ ...rest, signal: controller.signal })),
      timedOut,
      cancelled,
    ]);
    if (result === TIMED_OUT) {
      const error = new Error(`handler "${h.name}" did not finish within ${h.timeoutMs} ms`);
      controller.abort(error);
      return { recovered: false, reason: 'timeout', error };
    }
    if (result === CANCELLED)
      return { recovered: false, reason: 'cancelled', error: c.outer?.reason };
    return result === false
      ? { recovered: false, reason: 'handler-failed', declined: true }
      : { recovered: true };
  } catch (error) {
    return { recovered: false, reason: 'handler-failed', error };
  } finally {
    clearTimeout(timer);
    if (onOuter !== undefined) c.outer?.removeEventListener('abort', onOuter);
  }
}

/**
 * The caller's context, checked: an object (or nothing) whose four known keys
 * have the types they need. Anything else would be dropped or misread.
 * @throws TypeError naming the key and what it must be
 */
export function checkRecoverContext(context: unknown): RecoverContext {
  if (context === undefined) return {};
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new TypeError(
      `context must be an object such as { operation: 'save', invoice: 42 }, got ${describe(context)}`,
    );
  }
  const c = context as Record<string, unknown>;
  if (c.operation !== undefined && (typeof c.operation !== 'string' || c.operation.length === 0)) {
    throw new TypeError(
      `context.operation must be a non-empty string (the operation that failed), got ${describe(c.operation)}; put your own values under other keys`,
    );
  }
  if (c.signal !== undefined && !(c.signal instanceof AbortSignal)) {
    throw new TypeError(
      `context.signal must be an AbortSignal, got ${describe(c.signal)}; put your own values under other keys`,
    );
  }
  if (c.previous !== undefined && (typeof c.previous !== 'object' || c.previous === null)) {
    throw new TypeError(
      `context.previous must be an earlier RecoveryResult, got ${describe(c.previous)}; put your own values under other keys`,
    );
  }
  return c as RecoverContext;
}

/** How many prototype steps from `error` up to `cls`; Infinity when it is not one. */
function distance(error: Error, cls: abstract new (...args: never[]) => Error): number {
  let d = 0;
  for (let p = Object.getPrototypeOf(error); p !== null; p = Object.getPrototypeOf(p), d++) {
    if (p === cls.prototype) return d;
  }
  return Number.POSITIVE_INFINITY;
}
