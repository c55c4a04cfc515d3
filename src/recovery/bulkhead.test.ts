import { describe, expect, it } from 'vitest';
import { isBulkheadFullError } from '../core/index.js';
import { Bulkhead } from './bulkhead.js';

describe('Bulkhead', () => {
  it('runs up to its limit, queues up to its queue, and turns the rest away', async () => {
    const b = new Bulkhead('export', { limit: 2, queue: 1 });
    expect(b.acquire()).toBeUndefined();
    expect(b.acquire()).toBeUndefined();
    const waiting = b.acquire();
    expect(waiting).toBeInstanceOf(Promise);
    let error: unknown;
    try {
      b.acquire();
    } catch (e) {
      error = e;
    }
    expect(isBulkheadFullError(error)).toBe(true);
    expect(b.counts).toEqual({ active: 2, queued: 1, rejected: 1 });
    b.release(); // the slot passes to the waiting call
    await waiting;
    expect(b.counts).toMatchObject({ active: 2, queued: 0 });
    b.release();
    b.release();
    expect(b.counts.active).toBe(0);
  });

  it('drops a queued call whose signal aborts, and gives its place to the next', async () => {
    const b = new Bulkhead('export', { limit: 1, queue: 2 });
    b.acquire();
    const controller = new AbortController();
    const first = b.acquire(controller.signal)!;
    const second = b.acquire()!;
    controller.abort(new Error('caller left'));
    await expect(first).rejects.toThrow('caller left');
    expect(b.counts.queued).toBe(1);
    b.release();
    await second; // the aborted entry did not take the slot
    expect(b.counts).toMatchObject({ active: 1, queued: 0 });
  });

  it('refuses an already aborted caller at once', () => {
    const b = new Bulkhead('export', { limit: 1 });
    expect(() => b.acquire(AbortSignal.abort(new Error('gone')))).toThrow('gone');
    expect(b.counts.active).toBe(0);
  });

  it.each([
    [{ limit: 0 }, /bulkhead.limit/],
    [{ limit: 1, queue: -1 }, /bulkhead.queue/],
  ])('rejects %o', (options, message) => {
    expect(() => new Bulkhead('x', options)).toThrow(message);
  });
});
