import { afterEach, describe, expect, it, vi } from 'vitest';
import { OperationRegistry } from '../metrics/index.js';
import type { MetricsMessage } from './metrics-message.js';
import { shareWithPrimary } from './share-with-primary.js';

function setup(options: { intervalMs?: number } = {}) {
  const clock = { t: 1, now: () => clock.t };
  const operations = new OperationRegistry({ clock, timer: false });
  const sent: MetricsMessage[] = [];
  const port = { postMessage: (m: unknown) => sent.push(structuredClone(m) as MetricsMessage) };
  const share = shareWithPrimary({ operations }, { port, worker: 'w1', ...options });
  return { operations, sent, share };
}

/** Lets the microtasks of a send settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('shareWithPrimary', () => {
  it.each([
    [{ intervalMs: 5 }, /intervalMs must be a number between 10 and 3600000/],
    [{ intervalMs: Number.NaN }, /intervalMs/],
    [{ worker: '' }, /worker must be 1 to 200 characters/],
    [{ port: {} as never }, /port must have a postMessage/],
  ])('rejects the options %o naming the field', (options, message) => {
    const operations = new OperationRegistry({ timer: false });
    const port = { postMessage: () => {} };
    expect(() => shareWithPrimary({ operations }, { port, ...options })).toThrow(message);
  });

  it('sends every interval what each operation recorded since, and nothing when nothing changed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { operations, sent, share } = setup({ intervalMs: 1000 });
    operations.operation('save', { kind: 'db' }).record(12);
    operations.operation('save').record(30, false);
    vi.advanceTimersByTime(1000);
    await settle();
    vi.advanceTimersByTime(1000); // nothing new: no message
    await settle();
    operations.operation('load').record(4);
    vi.advanceTimersByTime(1000);
    await settle();
    expect(sent.map((m) => [m.seq, m.final, m.operations.map((o) => o.name)])).toEqual([
      [1, false, ['save']],
      [2, false, ['load']],
    ]);
    expect(sent[0]?.operations[0]).toMatchObject({
      kind: 'db',
      ok: { count: 1 },
      failed: { count: 1 },
    });
    expect(share.stats).toMatchObject({ messagesSent: 2, valuesSent: 3, sendFailures: 0 });
    await share.close();
  });

  it('close stops the timer, sends a final message once, and later flushes send nothing', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { operations, sent, share } = setup();
    expect(vi.getTimerCount()).toBe(1);
    operations.operation('save').record(12);
    const closing = share.close();
    expect(share.close()).toBe(closing);
    await closing;
    expect(vi.getTimerCount()).toBe(0);
    expect(sent.map((m) => [m.final, m.operations.length])).toEqual([[true, 1]]);
    operations.operation('save').record(13);
    expect(await share.flush()).toBe(false);
    expect(sent).toHaveLength(1);
    expect(share.stats.closed).toBe(true);
  });

  it('keeps no process alive: its timer is unref’d', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const { share } = setup({ intervalMs: 60_000 });
    expect(timers()).toBe(before);
    await share.close();
  });

  it('keeps one message in flight: a tick during a slow send is skipped, its values go in the next', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const operations = new OperationRegistry({ timer: false });
    const sent: MetricsMessage[] = [];
    let release = () => {};
    const port = {
      postMessage: (m: unknown) => {
        sent.push(m as MetricsMessage);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const share = shareWithPrimary({ operations }, { port, intervalMs: 1000 });
    operations.operation('a').record(1);
    vi.advanceTimersByTime(1000);
    operations.operation('a').record(2);
    vi.advanceTimersByTime(1000); // the first message has not left yet
    expect(share.stats.ticksSkipped).toBe(1);
    release();
    await settle();
    vi.advanceTimersByTime(1000);
    release();
    await settle();
    expect(sent.map((m) => m.operations[0]?.ok.count)).toEqual([1, 1]);
    expect(share.stats).toMatchObject({ messagesSent: 2, valuesSent: 2 });
    const closing = share.close();
    release();
    await closing;
  });

  it('counts a failing send instead of throwing; those values are lost, later ones still go', async () => {
    const operations = new OperationRegistry({ timer: false });
    let fail = true;
    const sent: MetricsMessage[] = [];
    const port = {
      postMessage: (m: unknown) => {
        if (fail) throw new Error('port closed');
        sent.push(m as MetricsMessage);
      },
    };
    const share = shareWithPrimary({ operations }, { port });
    operations.operation('a').record(1);
    expect(await share.flush()).toBe(false);
    fail = false;
    operations.operation('a').record(2);
    expect(await share.flush()).toBe(true);
    expect(share.stats).toMatchObject({ sendFailures: 1, lastError: 'port closed', valuesSent: 1 });
    // The lost message leaves a gap in the sequence that the primary counts.
    expect(sent.map((m) => m.seq)).toEqual([2]);
    await share.close();
  });
});
