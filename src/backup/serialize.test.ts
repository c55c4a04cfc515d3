import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeJson } from './serialize.js';

async function text(value: unknown, options = {}): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of serializeJson(value, options)) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('serializeJson', () => {
  it('writes exactly what JSON.stringify writes (property)', async () => {
    const anything = fc.anything({
      withDate: true,
      withNullPrototype: true,
      withSparseArray: true,
      withBoxedValues: true,
      values: [fc.double(), fc.string(), fc.constant(undefined), fc.boolean(), fc.constant(null)],
    });
    await fc.assert(
      fc.asyncProperty(anything, async (value) => {
        const expected = JSON.stringify(value);
        if (expected === undefined) {
          await expect(text(value)).rejects.toThrow(TypeError);
        } else {
          expect(await text(value, { chunkBytes: 7 })).toBe(expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('handles big nested and flat containers the same way', async () => {
    const state = {
      customers: Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `C${i}`, tags: ['a', i] })),
      ledger: Object.fromEntries(
        Array.from({ length: 300 }, (_, i) => [`k${i}`, { n: i, when: new Date(i) }]),
      ),
      wide: Array.from({ length: 100 }, (_, i) => i),
      skipped: undefined,
      fn: () => 1,
    };
    expect(await text(state)).toBe(JSON.stringify(state));
  });

  it.each([
    ['a BigInt', { a: 1n }, /BigInt/],
    ['undefined', undefined, /JSON-serialisable/],
    ['a function', () => 1, /JSON-serialisable/],
  ])('rejects %s with a TypeError', async (_, value, message) => {
    await expect(text(value)).rejects.toThrow(message);
  });

  it('rejects a cycle with a TypeError, in a walked or a flat part', async () => {
    const a: Record<string, unknown> = { list: Array.from({ length: 100 }, (_, i) => i) };
    a.self = { back: a };
    await expect(text(a)).rejects.toThrow(/circular/);
    const b: unknown[] = [];
    b.push(b);
    await expect(text(b)).rejects.toThrow(/circular/);
  });

  it('yields to the event loop while serialising a large state', async () => {
    const state = { rows: Array.from({ length: 200_000 }, (_, i) => ({ id: i, v: [i, `${i}`] })) };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const out = await text(state, { sliceMs: 2 });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(out.length).toBe(JSON.stringify(state).length);
    // The 1 ms timer ran while the work was in progress: the loop was not held throughout.
    expect(ticks).toBeGreaterThan(Math.min(5, elapsed / 20));
  });

  it('stops between slices when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const state = { rows: Array.from({ length: 100_000 }, (_, i) => ({ id: i, v: [i] })) };
    await expect(text(state, { sliceMs: 0, signal: controller.signal })).rejects.toThrow('stop');
  });
});
