import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { type Clock, safeMessage, systemClock } from '../core/index.js';
import type { OperationRegistry } from '../metrics/index.js';
import { type ParsedMetricsMessage, parseMetricsMessage } from './metrics-message.js';
import type { OperationsOwner } from './operations-owner.js';

/** Anything that emits the messages of a worker: a worker_threads `Worker`, a `MessagePort`, a `ChildProcess`. */
export interface MessageSource {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** Options of {@link aggregateWorkers}. */
export interface AggregateWorkersOptions {
  /**
   * Sources to listen to besides the cluster: worker threads, ports, forked
   * children (more can be added later with `add`). @defaultValue []
   */
  workers?: readonly MessageSource[];
  /** Listen to every `node:cluster` worker (`cluster.on('message')`). @defaultValue `cluster.isPrimary` */
  cluster?: boolean;
  /** Time source for `lastSeenMs`, in ms. @defaultValue `performance.now()` */
  clock?: Clock;
}

/** What the primary heard from one worker. */
export interface WorkerSeen {
  worker: string;
  /** Messages merged. */
  messages: number;
  /** Values (calls) merged. */
  values: number;
  /** Messages that never arrived (gaps in the worker's sequence): their values are missing. */
  missedMessages: number;
  /** Clock reading of the last message merged. */
  lastSeenMs: number;
  /** True once its final message (sent by `close()`) arrived. */
  closed: boolean;
}

/** What the primary has merged so far. */
export interface AggregatorStats {
  messagesMerged: number;
  valuesMerged: number;
  /** Keel messages refused whole (invalid shape or sketch); nothing of them was merged. */
  malformed: number;
  /** Why the last malformed message was refused. */
  lastMalformedReason: string | undefined;
  /** Most recently seen first; at most the last 1,000 workers. */
  workers: WorkerSeen[];
}

/** What {@link WorkerAggregator.receive} did with a message. */
export type ReceiveOutcome = 'merged' | 'malformed' | 'foreign';

const MAX_WORKERS_TRACKED = 1000;

/**
 * The primary's side of cluster metrics: merges every worker's deltas into
 * the monitor's own operations (their current slice), so its windows,
 * lifetime totals, percentiles, `/metrics` and report cover every process.
 * Build it with {@link aggregateWorkers}.
 *
 * @example
 * const aggregator = aggregateWorkers(monitor, { workers: [new Worker(file)] });
 * aggregator.stats.workers; // [{ worker: 'thread-1', messages, values, lastSeenMs, … }]
 */
export class WorkerAggregator implements AsyncDisposable {
  readonly #operations: OperationRegistry;
  readonly #clock: Clock;
  readonly #sources = new Set<MessageSource>();
  readonly #workers = new Map<string, WorkerSeen & { seq: number }>();
  readonly #onMessage = (message: unknown): void => {
    this.receive(message);
  };
  readonly #onClusterMessage = (_worker: ClusterWorker, message: unknown): void => {
    this.receive(message);
  };
  #listeningToCluster = false;
  #messagesMerged = 0;
  #valuesMerged = 0;
  #malformed = 0;
  #lastMalformedReason: string | undefined;
  #closed = false;

  /** @throws TypeError when a source cannot emit messages */
  constructor(monitor: OperationsOwner, options: AggregateWorkersOptions = {}) {
    this.#operations = monitor.operations;
    this.#clock = options.clock ?? systemClock;
    const sources = options.workers ?? [];
    for (const source of sources) checkSource(source);
    for (const source of sources) this.add(source);
    if (options.cluster ?? cluster.isPrimary) {
      cluster.on('message', this.#onClusterMessage);
      this.#listeningToCluster = true;
    }
  }

  /**
   * Listens to one more source (a worker thread started later). A cluster
   * worker needs none while the cluster is listened to. Dispose the result
   * to stop listening to it.
   * @throws TypeError when the source cannot emit messages
   */
  add(source: MessageSource): Disposable {
    checkSource(source);
    const covered =
      this.#listeningToCluster &&
      Object.values(cluster.workers ?? {}).includes(source as ClusterWorker);
    if (!this.#closed && !covered && !this.#sources.has(source)) {
      source.on('message', this.#onMessage);
      this.#sources.add(source);
    }
    return { [Symbol.dispose]: () => this.#remove(source) };
  }

  /**
   * Merges one message if it is Keel's (what the listeners call; use it for a
   * channel of your own). Another message is left alone (`foreign`); a Keel
   * message that does not check out is refused whole and counted (`malformed`).
   */
  receive(message: unknown): ReceiveOutcome {
    const parsed = parseMetricsMessage(message);
    if (parsed.kind === 'foreign') return 'foreign';
    let reason: string;
    if (parsed.kind === 'metrics') {
      try {
        this.#merge(parsed.message);
        return 'merged';
      } catch (error) {
        // Checked whole beforehand, so not expected; a listener never throws into the app.
        reason = safeMessage(error);
      }
    } else {
      reason = parsed.reason;
    }
    this.#malformed++;
    this.#lastMalformedReason = reason;
    return 'malformed';
  }

  /** What was merged so far. */
  get stats(): AggregatorStats {
    return {
      messagesMerged: this.#messagesMerged,
      valuesMerged: this.#valuesMerged,
      malformed: this.#malformed,
      lastMalformedReason: this.#lastMalformedReason,
      workers: [...this.#workers.values()].reverse().map(({ seq: _seq, ...seen }) => ({ ...seen })),
    };
  }

  /** Stops listening to the cluster and every source. Idempotent; merged figures stay. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#listeningToCluster) cluster.off('message', this.#onClusterMessage);
    for (const source of this.#sources) source.off('message', this.#onMessage);
    this.#sources.clear();
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #remove(source: MessageSource): void {
    if (this.#sources.delete(source)) source.off('message', this.#onMessage);
  }

  #merge(message: ParsedMetricsMessage): void {
    let values = 0;
    for (const d of message.operations) {
      // Past maxOperations a name lands in `_other`, as it would when recorded here.
      this.#operations.operation(d.name, { kind: d.kind }).mergeSketches(d.ok, d.failed);
      values += d.ok.count + (d.failed?.count ?? 0);
    }
    this.#messagesMerged++;
    this.#valuesMerged += values;
    const name = message.worker;
    const seen = this.#workers.get(name) ?? {
      worker: name,
      messages: 0,
      values: 0,
      missedMessages: 0,
      lastSeenMs: 0,
      closed: false,
      seq: 0,
    };
    if (message.seq > seen.seq + 1) seen.missedMessages += message.seq - seen.seq - 1;
    seen.seq = Math.max(seen.seq, message.seq);
    seen.messages++;
    seen.values += values;
    seen.lastSeenMs = this.#clock.now();
    seen.closed ||= message.final;
    // Most recently seen last in the map: the oldest goes first past the limit.
    this.#workers.delete(name);
    this.#workers.set(name, seen);
    if (this.#workers.size > MAX_WORKERS_TRACKED) {
      this.#workers.delete(this.#workers.keys().next().value!);
    }
  }
}

function checkSource(source: MessageSource): void {
  const s = source as Partial<MessageSource> | null;
  if (typeof s?.on !== 'function' || typeof s.off !== 'function') {
    throw new TypeError(
      'workers must be message sources with on/off (worker_threads Workers, MessagePorts, child processes)',
    );
  }
}

/**
 * Merges the timed operations of every worker into this (primary) monitor:
 * call it in the `node:cluster` primary or the thread that starts worker
 * threads, and {@link shareWithPrimary} in each worker. Percentiles are
 * merged from the workers' sketches, never averaged. Capacity, sessions,
 * backups and recovery stay per process.
 * @throws TypeError when a source cannot emit messages
 * @example
 * const monitor = new PerformanceMonitor();
 * const aggregator = aggregateWorkers(monitor); // every cluster worker
 * for (let i = 0; i < 4; i++) cluster.fork();
 * await monitor.serve({ port: 9464 }); // one /metrics for all of them
 */
export function aggregateWorkers(
  monitor: OperationsOwner,
  options?: AggregateWorkersOptions,
): WorkerAggregator {
  return new WorkerAggregator(monitor, options);
}
