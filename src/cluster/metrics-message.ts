import { checkName, describe, safeMessage } from '../core/index.js';
import {
  DEFAULT_MAX_VALUE,
  DEFAULT_MIN_VALUE,
  type OperationDelta,
  Sketch,
  type SketchJSON,
} from '../metrics/index.js';

/** The `type` of every message Keel's workers send; the app's own messages never carry it. */
export const METRICS_MESSAGE_TYPE = 'keel:metrics';

/** One operation's values since the worker's previous message. */
export interface OperationDeltaJSON {
  name: string;
  kind: string;
  ok: SketchJSON;
  failed?: SketchJSON;
}

/** What a worker sends to the primary (plain JSON: fits the cluster IPC channel and postMessage). */
export interface MetricsMessage {
  type: typeof METRICS_MESSAGE_TYPE;
  v: 1;
  /** The worker's name in the primary's stats. */
  worker: string;
  /** 1, 2, 3, … per worker: a gap is a message that never arrived. */
  seq: number;
  /** True on the message sent by `close()`. */
  final: boolean;
  operations: OperationDeltaJSON[];
}

/** A received message, checked and with its sketches read back. */
export interface ParsedMetricsMessage {
  worker: string;
  seq: number;
  final: boolean;
  operations: OperationDelta[];
}

/** What a received message turned out to be. */
export type ParseResult =
  | { kind: 'metrics'; message: ParsedMetricsMessage }
  | { kind: 'malformed'; reason: string }
  /** Not Keel's: the app's own message on the same channel. */
  | { kind: 'foreign' };

/** The message for a set of deltas. */
export function toMetricsMessage(
  worker: string,
  seq: number,
  final: boolean,
  deltas: readonly OperationDelta[],
): MetricsMessage {
  return {
    type: METRICS_MESSAGE_TYPE,
    v: 1,
    worker,
    seq,
    final,
    operations: deltas.map((d) => {
      const entry: OperationDeltaJSON = { name: d.name, kind: d.kind, ok: d.ok.toJSON() };
      if (d.failed !== undefined) entry.failed = d.failed.toJSON();
      return entry;
    }),
  };
}

/** Reads a sketch of the range every operation records in. */
function readSketch(json: unknown, where: string): Sketch {
  let s: Sketch;
  try {
    s = Sketch.fromJSON(json);
  } catch (error) {
    throw new TypeError(`${where}: ${safeMessage(error)}`);
  }
  if (s.minValue !== DEFAULT_MIN_VALUE || s.maxValue !== DEFAULT_MAX_VALUE) {
    throw new RangeError(
      `${where} has the range [${s.minValue}, ${s.maxValue}], not an operation's`,
    );
  }
  return s;
}

/**
 * Checks a received message whole: either every operation in it is valid,
 * or it is malformed and nothing of it may be merged.
 */
export function parseMetricsMessage(raw: unknown): ParseResult {
  if (typeof raw !== 'object' || raw === null) return { kind: 'foreign' };
  const m = raw as Partial<Record<keyof MetricsMessage, unknown>>;
  if (m.type !== METRICS_MESSAGE_TYPE) return { kind: 'foreign' };
  try {
    if (m.v !== 1) throw new TypeError(`v must be 1, got ${describe(m.v)}`);
    const worker = checkName(m.worker, 'worker');
    if (typeof m.seq !== 'number' || !Number.isSafeInteger(m.seq) || m.seq < 1) {
      throw new TypeError(`seq must be a positive integer, got ${describe(m.seq)}`);
    }
    if (!Array.isArray(m.operations)) {
      throw new TypeError(`operations must be an array, got ${describe(m.operations)}`);
    }
    const operations = m.operations.map((o: unknown, i): OperationDelta => {
      const e = (typeof o === 'object' && o !== null ? o : {}) as Partial<OperationDeltaJSON>;
      const where = `operations[${i}]`;
      return {
        name: checkName(e.name, `${where}.name`),
        kind: checkName(e.kind, `${where}.kind`),
        ok: readSketch(e.ok, `${where}.ok`),
        failed: e.failed === undefined ? undefined : readSketch(e.failed, `${where}.failed`),
      };
    });
    return {
      kind: 'metrics',
      message: { worker, seq: m.seq, final: m.final === true, operations },
    };
  } catch (error) {
    return { kind: 'malformed', reason: safeMessage(error) };
  }
}
