import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Options of {@link serializeJson}. */
export interface SerializeOptions {
  /** Longest the loop is held before yielding, in ms. @defaultValue 4 */
  sliceMs?: number;
  /** Size of the emitted chunks. @defaultValue 65536 */
  chunkBytes?: number;
  /** Stops the work between slices. */
  signal?: AbortSignal;
}

type Frame =
  | { array: true; value: readonly unknown[]; index: number }
  | { array: false; value: Record<string, unknown>; keys: string[]; index: number; wrote: boolean };

/** Containers at most this big, holding only primitives, go to native JSON.stringify at once. */
const FLAT_LIMIT = 64;

/**
 * Serialises `value` exactly as `JSON.stringify(value)` would, in UTF-8
 * chunks, yielding to the event loop every `sliceMs` so a large state never
 * blocks it for long. Flat small objects and arrays are handed to the native
 * serialiser whole; everything else is walked with an explicit stack.
 *
 * @throws TypeError for a cycle, a BigInt, or a top-level value that JSON cannot hold (undefined, a function)
 */
export async function* serializeJson(
  value: unknown,
  options: SerializeOptions = {},
): AsyncGenerator<Buffer> {
  const sliceMs = options.sliceMs ?? 4;
  const chunkBytes = options.chunkBytes ?? 65_536;
  const root = toJsonValue(value, '');
  if (root === undefined || typeof root === 'function' || typeof root === 'symbol') {
    throw new TypeError(
      `the value to back up must be JSON-serialisable; got ${typeof root === 'undefined' ? 'undefined' : typeof root}`,
    );
  }
  let parts: string[] = [];
  let pending = 0;
  const emit = (s: string) => {
    parts.push(s);
    pending += s.length;
  };
  const stack: Frame[] = [];
  const onStack = new Set<object>();
  const open = (v: unknown): void => {
    // v is already the result of toJSON; undefined/functions handled by the caller.
    if (v === null || typeof v !== 'object') {
      emit(primitive(v));
      return;
    }
    if (onStack.has(v)) throw new TypeError('Converting circular structure to JSON');
    if (isFlat(v)) {
      emit(JSON.stringify(v));
      return;
    }
    onStack.add(v);
    if (Array.isArray(v)) {
      emit('[');
      stack.push({ array: true, value: v, index: 0 });
    } else {
      emit('{');
      stack.push({
        array: false,
        value: v as Record<string, unknown>,
        keys: Object.keys(v),
        index: 0,
        wrote: false,
      });
    }
  };

  open(root);
  let sliceStart = performance.now();
  let steps = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.array) {
      if (frame.index >= frame.value.length) {
        emit(']');
        onStack.delete(frame.value);
        stack.pop();
      } else {
        const i = frame.index++;
        if (i > 0) emit(',');
        const item = toJsonValue(frame.value[i], String(i));
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol')
          emit('null');
        else open(item);
      }
    } else if (frame.index >= frame.keys.length) {
      emit('}');
      onStack.delete(frame.value);
      stack.pop();
    } else {
      const key = frame.keys[frame.index++]!;
      const item = toJsonValue(frame.value[key], key);
      if (item !== undefined && typeof item !== 'function' && typeof item !== 'symbol') {
        emit(frame.wrote ? `,${JSON.stringify(key)}:` : `${JSON.stringify(key)}:`);
        frame.wrote = true;
        open(item);
      }
    }
    if (pending >= chunkBytes) {
      yield Buffer.from(parts.join(''));
      parts = [];
      pending = 0;
    }
    if ((++steps & 255) === 0 && performance.now() - sliceStart >= sliceMs) {
      options.signal?.throwIfAborted();
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  if (pending > 0) yield Buffer.from(parts.join(''));
}

/** Applies `toJSON` as JSON.stringify does. */
function toJsonValue(v: unknown, key: string): unknown {
  if (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return (v as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
  return v;
}

function primitive(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return 'null';
}

/** A small container of primitives only: safe and fast to hand to JSON.stringify whole. */
function isFlat(v: object): boolean {
  if (Array.isArray(v)) {
    if (v.length > FLAT_LIMIT) return false;
    for (const x of v)
      if (x !== null && (typeof x === 'object' || typeof x === 'bigint')) return false;
    return true;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  let n = 0;
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    if (++n > FLAT_LIMIT) return false;
    const x = (v as Record<string, unknown>)[key];
    if (x !== null && (typeof x === 'object' || typeof x === 'bigint')) return false;
  }
  return true;
}
