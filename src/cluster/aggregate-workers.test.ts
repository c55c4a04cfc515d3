import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { OperationRegistry, type OperationStats } from '../metrics/index.js';
import { aggregateWorkers } from './aggregate-workers.js';
import { toMetricsMessage } from './metrics-message.js';
import { shareWithPrimary } from './share-with-primary.js';

/** A worker thread's channel in one process: what one side posts, the other side emits (cloned). */
function channel() {
  const source = new EventEmitter();
  const port = { postMessage: (m: unknown) => source.emit('message', structuredClone(m)) };
  return { source, port };
}

/** The figures that merge exactly: all but sums (float rounding) and what moves with time. */
function exact(stats: OperationStats) {
  const { totalMs: _t, meanMs: _m, throughputPerSec: _p, shareOfTotalTime: _s, ...rest } = stats;
  return rest;
}

function registry() {
  return new OperationRegistry({ timer: false });
}

describe('aggregateWorkers', () => {
  it('merges every worker into the primary’s operations, as if recorded there', async () => {
    const primary = registry();
    const single = registry();
    const a = channel();
    const b = channel();
    const aggregator = aggregateWorkers(
      { operations: primary },
      { workers: [a.source], cluster: false },
    );
    aggregator.add(b.source);
    const workers = [registry(), registry()];
    const shares = workers.map((operations, i) =>
      shareWithPrimary({ operations }, { port: [a, b][i]!.port, worker: `t${i}` }),
    );
    for (let i = 0; i < 2_000; i++) {
      const ms = 1 + ((i * 7919) % 997) / 3;
      const ok = i % 13 !== 0;
      workers[i % 2]!.operation(`op${i % 3}`, { kind: 'db' }).record(ms, ok);
      single.operation(`op${i % 3}`, { kind: 'db' }).record(ms, ok);
      if (i % 500 === 0) await shares[i % 2]!.flush();
    }
    await Promise.all(shares.map((s) => s.close()));
    for (const name of ['op0', 'op1', 'op2']) {
      const merged = primary.stats(name)!;
      const expected = single.stats(name)!;
      // Counts, errors, min, max and every percentile exactly; sums to float rounding.
      expect(exact(merged)).toEqual(exact(expected));
      expect(merged.totalMs).toBeCloseTo(expected.totalMs, 6);
    }
    expect(aggregator.stats).toMatchObject({ valuesMerged: 2_000, malformed: 0 });
    expect(aggregator.stats.workers.map((w) => [w.worker, w.closed, w.missedMessages])).toEqual([
      ['t1', true, 0],
      ['t0', true, 0],
    ]);
    aggregator.close();
  });

  it('counts and ignores malformed messages, leaves foreign ones alone, never throws', () => {
    const primary = registry();
    const { source } = channel();
    const aggregator = aggregateWorkers(
      { operations: primary },
      { workers: [source], cluster: false },
    );
    expect(() => {
      source.emit('message', { type: 'keel:metrics', v: 1, worker: 'w', seq: 1, operations: [{}] });
      source.emit('message', { type: 'keel:metrics', v: 9 });
      source.emit('message', { hello: 'app' });
      source.emit('message', undefined);
    }).not.toThrow();
    expect(aggregator.stats).toMatchObject({
      messagesMerged: 0,
      malformed: 2,
      lastMalformedReason: 'v must be 1, got 9',
      workers: [],
    });
    expect(aggregator.receive({ type: 'other' })).toBe('foreign');
    expect(primary.size).toBe(0);
    aggregator.close();
  });

  it('tells per worker what it merged, when it last heard and how many messages went missing', () => {
    const clock = { now: () => 42 };
    const aggregator = aggregateWorkers({ operations: registry() }, { cluster: false, clock });
    const message = (seq: number, final = false) => toMetricsMessage('w', seq, final, []);
    expect(aggregator.receive(message(1))).toBe('merged');
    aggregator.receive(message(4));
    aggregator.receive(message(5, true));
    expect(aggregator.stats.workers).toEqual([
      { worker: 'w', messages: 3, values: 0, missedMessages: 2, lastSeenMs: 42, closed: true },
    ]);
  });

  it('close stops listening to the cluster and every source; a removed source is no longer heard', () => {
    const before = cluster.listenerCount('message');
    const a = channel();
    const b = channel();
    const primary = registry();
    const aggregator = aggregateWorkers({ operations: primary }, { workers: [a.source] });
    expect(cluster.listenerCount('message')).toBe(before + 1);
    const added = aggregator.add(b.source);
    added[Symbol.dispose]();
    expect(b.source.listenerCount('message')).toBe(0);
    aggregator.close();
    aggregator.close();
    expect(cluster.listenerCount('message')).toBe(before);
    expect(a.source.listenerCount('message')).toBe(0);
    aggregator.add(b.source);
    expect(b.source.listenerCount('message')).toBe(0);
  });

  it('rejects a worker that cannot emit messages', () => {
    expect(() =>
      aggregateWorkers({ operations: registry() }, { workers: [{} as never], cluster: false }),
    ).toThrow(/message sources with on\/off/);
  });
});
