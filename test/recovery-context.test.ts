import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { type HandlerContext, PerformanceMonitor } from '../src/index.js';

let monitor: PerformanceMonitor;

beforeEach(() => {
  monitor = new PerformanceMonitor({ runtime: { enabled: false } });
});

afterEach(async () => {
  await monitor.close();
});

describe("the caller's recovery context reaches the handler (issue 14.1)", () => {
  it('the handler sees every key the caller gave, the same object, with data kept as it is', async () => {
    const seen: Array<HandlerContext<{ invoice: number; step: string }>> = [];
    monitor.registerErrorHandler<{ invoice: number; step: string }>('database_error', (c) => {
      seen.push(c);
    });
    const context = { invoice: 42, step: 'post', operation: 'post_invoice', data: { id: 7 } };
    const r = await monitor.recoverFromError('database_error', context);
    expect(r.recovered).toBe(true);
    expect(seen).toHaveLength(1);
    const c = seen[0]!;
    expect(c.context).toBe(context);
    expect(c.context).toMatchObject({ invoice: 42, step: 'post' });
    expect(c.data).toEqual({ id: 7 });
    expect(c.operation).toBe('post_invoice');
  });

  it('a context without any of the four option keys is passed on whole (it was dropped)', async () => {
    let got: unknown;
    monitor.registerErrorHandler('database_error', ({ context, data }) => {
      got = { context, data };
    });
    await monitor.recoverFromError('database_error', { invoice: 42, step: 'post' });
    expect(got).toEqual({ context: { invoice: 42, step: 'post' }, data: undefined });
  });

  it('without a context the handler gets an empty one', async () => {
    let got: unknown;
    monitor.registerErrorHandler('database_error', ({ context }) => {
      got = context;
    });
    await monitor.recoverFromError('database_error');
    expect(got).toEqual({});
  });

  it('the four option keys keep their meaning: signal aborts the wait, previous is passed on', async () => {
    const previous = { recovered: false, attempts: 1, durationMs: 3, reason: 'timeout' as const };
    let seenPrevious: unknown;
    monitor.registerErrorHandler('database_error', (c) => {
      seenPrevious = c.previous;
      return new Promise(() => {});
    });
    const controller = new AbortController();
    const pending = monitor.recoverFromError('database_error', {
      signal: controller.signal,
      previous,
      ticket: 'T-1',
    });
    await Promise.resolve();
    controller.abort(new Error('shutting down'));
    const r = await pending;
    expect(r).toMatchObject({ recovered: false, reason: 'cancelled' });
    expect(seenPrevious).toBe(previous);
  });

  it('between the attempts of run, the handler gets the run as its context', async () => {
    const contexts: unknown[] = [];
    monitor.registerErrorHandler('database_error', ({ context }) => {
      contexts.push({ operation: context.operation, data: context.data });
    });
    let calls = 0;
    await monitor.run(
      'save',
      () => {
        if (calls++ === 0) throw Object.assign(new Error('lost'), { type: 'database_error' });
        return 1;
      },
      { retry: { maxAttempts: 2, initialDelayMs: 0 }, data: { id: 3 } },
    );
    expect(contexts).toEqual([{ operation: 'save', data: { id: 3 } }]);
  });

  it.each([
    ['a string', 'save', /context must be an object/],
    ['a number', 42, /context must be an object/],
    ['null', null, /context must be an object/],
    ['an array', [1, 2], /context must be an object/],
    ['a non-string operation', { operation: 42 }, /context\.operation must be a non-empty string/],
    ['an empty operation', { operation: '' }, /context\.operation must be a non-empty string/],
    [
      'a signal that is no AbortSignal',
      { signal: 'stop' },
      /context\.signal must be an AbortSignal/,
    ],
    ['a previous that is no result', { previous: 3 }, /context\.previous must be an earlier/],
  ])(
    'a context that cannot be passed on (%s) is a clear TypeError, and no handler runs',
    async (_, bad, message) => {
      let ran = false;
      monitor.registerErrorHandler('database_error', () => {
        ran = true;
      });
      await expect(
        monitor.recoverFromError('database_error', bad as unknown as object),
      ).rejects.toThrow(message);
      await expect(
        monitor.recoverFromError('database_error', bad as unknown as object),
      ).rejects.toBeInstanceOf(TypeError);
      expect(ran).toBe(false);
      expect(monitor.recovery.recoverFromErrorCalls).toBe(0);
    },
  );

  it('TypeScript keeps the types of the context on both sides', () => {
    monitor.registerErrorHandler<{ invoice: number }>('database_error', ({ context }) => {
      expectTypeOf(context.invoice).toEqualTypeOf<number | undefined>();
      expectTypeOf(context.operation).toEqualTypeOf<string | undefined>();
    });
    const call = () => monitor.recoverFromError('database_error', { invoice: 42, step: 'post' });
    expectTypeOf(call).returns.resolves.toHaveProperty('recovered');
    // @ts-expect-error: operation is the failing operation's name, not a number
    void (() => monitor.recoverFromError('database_error', { operation: 42 }));
  });
});
