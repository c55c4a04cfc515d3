import { describe, expect, it } from 'vitest';
import { Sketch } from '../metrics/index.js';
import { parseMetricsMessage, toMetricsMessage } from './metrics-message.js';

function sketchOf(...values: number[]): Sketch {
  const s = new Sketch();
  for (const v of values) s.record(v);
  return s;
}

const good = toMetricsMessage('worker-1', 1, false, [
  { name: 'save', kind: 'db', ok: sketchOf(3, 40), failed: sketchOf(900) },
  { name: 'load', kind: 'app', ok: sketchOf(7), failed: undefined },
]);

describe('metrics messages', () => {
  it('round-trip through JSON and structured clone with their sketches', () => {
    for (const copy of [JSON.parse(JSON.stringify(good)), structuredClone(good)]) {
      const parsed = parseMetricsMessage(copy);
      expect(parsed.kind).toBe('metrics');
      if (parsed.kind !== 'metrics') return;
      expect(parsed.message).toMatchObject({ worker: 'worker-1', seq: 1, final: false });
      const [save, load] = parsed.message.operations;
      expect(save?.ok.toJSON()).toEqual(sketchOf(3, 40).toJSON());
      expect(save?.failed?.toJSON()).toEqual(sketchOf(900).toJSON());
      expect([load?.name, load?.kind, load?.failed]).toEqual(['load', 'app', undefined]);
    }
  });

  it.each([null, 5, 'keel:metrics', { type: 'app:hello' }, { cmd: 'NODE_CLUSTER' }])(
    'leaves the app’s own message %j alone',
    (raw) => {
      expect(parseMetricsMessage(raw)).toEqual({ kind: 'foreign' });
    },
  );

  const [op] = good.operations;
  it.each([
    ['another version', { ...good, v: 2 }, /v must be 1/],
    ['no worker name', { ...good, worker: '' }, /worker/],
    ['a sequence number of 0', { ...good, seq: 0 }, /seq/],
    ['operations not an array', { ...good, operations: {} }, /operations must be an array/],
    ['an operation without a name', { ...good, operations: [{ ...op, name: 5 }] }, /\.name/],
    [
      'a sketch that does not add up',
      { ...good, operations: [{ ...op, ok: { ...op?.ok, count: 99 } }] },
      /operations\[0\]\.ok/,
    ],
    [
      'a failed part that is not a sketch',
      { ...good, operations: [{ ...op, failed: [] }] },
      /operations\[0\]\.failed/,
    ],
    [
      'a sketch of another range',
      { ...good, operations: [{ ...op, ok: new Sketch({ maxValue: 10 }).toJSON() }] },
      /range/,
    ],
  ])('refuses whole a message with %s', (_, raw, reason) => {
    const parsed = parseMetricsMessage(raw);
    expect(parsed.kind).toBe('malformed');
    if (parsed.kind === 'malformed') expect(parsed.reason).toMatch(reason);
  });
});
