import { checkName, checkNumber, safeMessage } from '../core/index.js';
import { OperationDeltas } from '../metrics/index.js';
import { toMetricsMessage } from './metrics-message.js';
import type { OperationsOwner } from './operations-owner.js';
import { type MessagePortLike, type PrimaryChannel, primaryChannel } from './primary-channel.js';

/** Options of {@link shareWithPrimary}. */
export interface ShareWithPrimaryOptions {
  /**
   * How often the values recorded since the previous message go to the
   * primary (10 ms to 1 hour). A worker that dies without `close()` loses at
   * most this much. @defaultValue 1000
   */
  intervalMs?: number;
  /**
   * Where to post the messages.
   * @defaultValue `parentPort` in a worker thread, else the IPC channel (`process.send`) of a cluster worker or forked child
   */
  port?: MessagePortLike;
  /** This worker's name in the primary's stats (1–200 characters). @defaultValue `worker-<cluster id>`, `thread-<threadId>` or `pid-<pid>` */
  worker?: string;
}

/** Resolved {@link ShareWithPrimaryOptions}. */
export interface MetricsShareConfig {
  readonly intervalMs: number;
  readonly worker: string;
}

/** What a worker has sent so far. */
export interface MetricsShareStats {
  /** Messages that left for the primary. */
  messagesSent: number;
  /** Values (calls) in those messages. */
  valuesSent: number;
  /** Messages that could not be sent (channel closed, primary gone): their values are lost. */
  sendFailures: number;
  /** Timer ticks skipped while the previous message was still leaving; their values go in the next. */
  ticksSkipped: number;
  /** Why the last send failed. */
  lastError: string | undefined;
  closed: boolean;
}

/**
 * A worker's side of cluster metrics: every `intervalMs`, the values each
 * operation recorded since the previous message go to the primary as
 * mergeable sketches (deltas). Build it with {@link shareWithPrimary}.
 *
 * @example
 * await using share = shareWithPrimary(monitor);
 * await handleJobs(monitor); // leaving the block sends the last values
 */
export class MetricsShare implements AsyncDisposable {
  readonly config: MetricsShareConfig;
  readonly #deltas: OperationDeltas;
  readonly #channel: PrimaryChannel;
  readonly #timer: NodeJS.Timeout;
  readonly #stats: MetricsShareStats = {
    messagesSent: 0,
    valuesSent: 0,
    sendFailures: 0,
    ticksSkipped: 0,
    lastError: undefined,
    closed: false,
  };
  #seq = 0;
  #inFlight: Promise<boolean> | undefined;
  #closing: Promise<void> | undefined;

  /** @throws RangeError or TypeError naming the invalid option, or when there is no primary */
  constructor(monitor: OperationsOwner, options: ShareWithPrimaryOptions = {}) {
    const intervalMs = checkNumber(options.intervalMs ?? 1000, 'intervalMs', 10, 3_600_000);
    this.#channel = primaryChannel(options.port);
    const worker = checkName(options.worker ?? this.#channel.defaultName, 'worker');
    this.config = Object.freeze({ intervalMs, worker });
    this.#deltas = new OperationDeltas(monitor.operations);
    this.#timer = setInterval(() => this.#tick(), intervalMs);
    this.#timer.unref();
  }

  /** What was sent so far (a copy). */
  get stats(): MetricsShareStats {
    return { ...this.#stats };
  }

  /**
   * Sends now what was recorded since the previous message (after the one
   * still leaving, if any). Resolves `true` once it left or when there was
   * nothing to send, `false` when it could not be sent (counted in stats) or
   * after `close()`; never rejects.
   */
  flush(): Promise<boolean> {
    if (this.#closing !== undefined) return Promise.resolve(false);
    return this.#send(false);
  }

  /**
   * Stops the timer and sends the last values (a final message the primary
   * marks the worker closed by). Idempotent; resolves once that message left.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.#send(true);
      this.#stats.closed = true;
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #tick(): void {
    if (this.#inFlight !== undefined) this.#stats.ticksSkipped++;
    else void this.#send(false);
  }

  /** One message at a time, in order; never rejects (background work never throws). */
  async #send(final: boolean): Promise<boolean> {
    while (this.#inFlight !== undefined) await this.#inFlight;
    let values = 0;
    let sending: Promise<void>;
    try {
      const deltas = this.#deltas.take();
      if (deltas.length === 0 && !final) return true;
      for (const d of deltas) values += d.ok.count + (d.failed?.count ?? 0);
      sending = this.#channel.send(
        toMetricsMessage(this.config.worker, ++this.#seq, final, deltas),
      );
    } catch (error) {
      sending = Promise.reject(error);
    }
    const done = sending.then(
      () => {
        this.#stats.messagesSent++;
        this.#stats.valuesSent += values;
        return true;
      },
      (error: unknown) => {
        this.#stats.sendFailures++;
        this.#stats.lastError = safeMessage(error);
        return false;
      },
    );
    this.#inFlight = done;
    const ok = await done;
    if (this.#inFlight === done) this.#inFlight = undefined;
    return ok;
  }
}

/**
 * Shares this worker's timed operations with the primary: call it in each
 * `node:cluster` worker or worker thread, and {@link aggregateWorkers} in the
 * primary. Only timed operations merge; capacity, sessions, backups and
 * recovery stay per process. Share a monitor once: two shares of one
 * monitor would each send all of its values.
 * @throws RangeError or TypeError naming the invalid option, or when there is no primary and no `port`
 * @example
 * const monitor = new PerformanceMonitor();
 * const share = shareWithPrimary(monitor, { intervalMs: 1000 });
 * process.on('SIGTERM', async () => { await share.close(); process.exit(0); });
 */
export function shareWithPrimary(
  monitor: OperationsOwner,
  options?: ShareWithPrimaryOptions,
): MetricsShare {
  return new MetricsShare(monitor, options);
}
