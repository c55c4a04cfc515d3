import cluster from 'node:cluster';
import { isMainThread, parentPort, threadId } from 'node:worker_threads';
import type { MetricsMessage } from './metrics-message.js';

/**
 * Anything messages can be posted to: a `MessagePort`, `parentPort`, a
 * `BroadcastChannel`, or a channel of your own whose `postMessage` returns a
 * promise (the next message waits for it).
 */
export interface MessagePortLike {
  postMessage(message: unknown): unknown;
}

/** Where a worker's messages go, and the name it has there by default. */
export interface PrimaryChannel {
  readonly defaultName: string;
  /** Resolves once the message has left (IPC: written to the channel); rejects when it cannot. */
  send(message: MetricsMessage): Promise<void>;
}

function portChannel(port: MessagePortLike, defaultName: string): PrimaryChannel {
  return {
    defaultName,
    send: async (message) => {
      await port.postMessage(message);
    },
  };
}

/** The IPC channel of a `node:cluster` worker (or any forked child), through `process.send`. */
function ipcChannel(defaultName: string): PrimaryChannel {
  return {
    defaultName,
    send: (message) =>
      new Promise<void>((resolve, reject) => {
        if (typeof process.send !== 'function' || !process.connected) {
          reject(new Error('the IPC channel to the primary is closed'));
          return;
        }
        // With a callback, a closed channel is reported to it instead of crashing the process.
        process.send(message, undefined, undefined, (error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The channel to the primary: `port` when given, else `parentPort` in a
 * worker thread, else the IPC channel of a cluster worker or forked child.
 * @throws TypeError when there is no primary to send to and no `port`
 */
export function primaryChannel(port: MessagePortLike | undefined): PrimaryChannel {
  const thread = isMainThread ? undefined : `thread-${threadId}`;
  const processName =
    cluster.isWorker && cluster.worker !== undefined
      ? `worker-${cluster.worker.id}`
      : `pid-${process.pid}`;
  if (port !== undefined) {
    if (typeof (port as Partial<MessagePortLike>).postMessage !== 'function') {
      throw new TypeError('port must have a postMessage(message) method (a MessagePort)');
    }
    return portChannel(port, thread ?? processName);
  }
  if (thread !== undefined && parentPort !== null) return portChannel(parentPort, thread);
  if (typeof process.send === 'function') return ipcChannel(processName);
  throw new TypeError(
    'shareWithPrimary found no primary: call it in a node:cluster worker or a worker thread, or pass options.port',
  );
}
