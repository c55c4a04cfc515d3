import { afterEach, describe, expect, it, vi } from 'vitest';
import { HandlerRegistry } from './handlers.js';

afterEach(() => {
  vi.useRealTimers();
});

class DatabaseError extends Error {}
class ConnectionLost extends DatabaseError {}

describe('HandlerRegistry matching', () => {
  it('prefers a type string, then the closest class, then a predicate', async () => {
    const r = new HandlerRegistry();
    const ran: string[] = [];
    r.register(Error, () => void ran.push('Error'));
    r.register(DatabaseError, () => void ran.push('DatabaseError'));
    r.register(
      (e) => (e as { retryable?: boolean }).retryable === true,
      () => void ran.push('pred'),
    );
    r.register('ECONNRESET', () => void ran.push('ECONNRESET'));
    await r.recover(new ConnectionLost('x'));
    await r.recover(new RangeError('x'));
    await r.recover(Object.assign(new ConnectionLost('x'), { code: 'ECONNRESET' }));
    await r.recover({ retryable: true });
    expect(ran).toEqual(['DatabaseError', 'Error', 'ECONNRESET', 'pred']);
  });

  it('matches a string against type, code and name', async () => {
    const r = new HandlerRegistry();
    r.register('database_error', () => true);
    expect((await r.recover({ type: 'database_error' })).recovered).toBe(true);
    expect(
      (await r.recover(Object.assign(new Error(), { code: 'database_error' }))).recovered,
    ).toBe(true);
    expect((await r.recover('database_error')).recovered).toBe(true);
  });

  it('refuses a second handler for the same match, and unregisters by match, by handler or by dispose', async () => {
    const r = new HandlerRegistry();
    const h = () => true;
    const registration = r.register('a', h);
    expect(() => r.register('a', () => true)).toThrow(/already registered/);
    registration[Symbol.dispose]();
    expect(r.names).toEqual([]);
    r.register('a', h);
    expect(r.unregister(h)).toBe(true);
    r.register('a', h);
    expect(r.unregister('a')).toBe(true);
    expect(r.unregister('a')).toBe(false);
  });

  it.each<[unknown[], RegExp]>([
    [[42, () => 1], /match must be/],
    [['', () => 1], /match must be/],
    [['a', 'nope'], /handler must be a function/],
    [['a', () => 1, { timeoutMs: -1 }], /timeoutMs/],
    [['a', () => 1, { maxAttempts: 0 }], /maxAttempts/],
  ])('rejects %o', (args, message) => {
    const r = new HandlerRegistry();
    expect(() => (r.register as (...a: unknown[]) => unknown)(...args)).toThrow(message);
  });
});

describe('HandlerRegistry recovery (seed error-recovery tests)', () => {
  it('handler registration', () => {
    const r = new HandlerRegistry();
    r.register('database_error', () => undefined);
    expect(r.names).toEqual(['database_error']);
  });

  it('successful recovery: the handler gets the context', async () => {
    const r = new HandlerRegistry();
    const seen: unknown[] = [];
    r.register('database_error', (c) => {
      seen.push({ type: c.errorType, op: c.operation, attempt: c.attempt, data: c.data });
    });
    const result = await r.recover('database_error', { operation: 'save', data: { id: 7 } });
    expect(result).toMatchObject({ recovered: true, handler: 'database_error', attempts: 1 });
    expect(seen).toEqual([{ type: 'database_error', op: 'save', attempt: 1, data: { id: 7 } }]);
  });

  it('failed recovery: a throw, a rejection or `false`', async () => {
    const r = new HandlerRegistry();
    const boom = new Error('reconnect failed');
    r.register('a', () => {
      throw boom;
    });
    r.register('b', () => Promise.reject(boom));
    r.register('c', () => false);
    expect(await r.recover('a')).toMatchObject({
      recovered: false,
      reason: 'handler-failed',
      error: boom,
    });
    expect(await r.recover('b')).toMatchObject({
      recovered: false,
      reason: 'handler-failed',
      error: boom,
    });
    expect(await r.recover('c')).toMatchObject({ recovered: false, reason: 'handler-failed' });
  });

  it('unregistered errors give no-handler, not a throw', async () => {
    expect(await new HandlerRegistry().recover('unknown_error')).toEqual({
      recovered: false,
      attempts: 0,
      durationMs: 0,
      reason: 'no-handler',
    });
  });

  it('multiple attempts: tries up to maxAttempts, passing the previous outcome', async () => {
    const r = new HandlerRegistry();
    const previous: unknown[] = [];
    let n = 0;
    r.register(
      'flaky',
      (c) => {
        previous.push(c.previous?.reason);
        if (++n < 3) throw new Error(`try ${n}`);
      },
      { maxAttempts: 5 },
    );
    const result = await r.recover('flaky');
    expect(result).toMatchObject({ recovered: true, attempts: 3 });
    expect(previous).toEqual([undefined, 'handler-failed', 'handler-failed']);
  });

  it('a hanging handler fails after its timeoutMs, and its signal aborts', async () => {
    vi.useFakeTimers();
    const r = new HandlerRegistry();
    let signal: AbortSignal | undefined;
    r.register(
      'slow',
      (c) => {
        signal = c.signal;
        return new Promise(() => {});
      },
      { timeoutMs: 1_000 },
    );
    const pending = r.recover('slow');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await pending).toMatchObject({ recovered: false, reason: 'timeout' });
    expect(signal?.aborted).toBe(true);
  });

  it('a handler that recovers from its own error type again does not recurse', async () => {
    const r = new HandlerRegistry();
    let depth = 0;
    r.register('database_error', async (): Promise<boolean> => {
      depth++;
      const inner = await r.recover('database_error');
      expect(inner).toMatchObject({ recovered: false, reason: 'recursion' });
      return true;
    });
    expect((await r.recover('database_error')).recovered).toBe(true);
    expect(depth).toBe(1);
    // Two independent recoveries of the same type at once are not recursion.
    const [a, b] = await Promise.all([r.recover('database_error'), r.recover('database_error')]);
    expect([a.recovered, b.recovered]).toEqual([true, true]);
  });
});
