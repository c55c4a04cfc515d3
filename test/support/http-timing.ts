/**
 * Test support for the HTTP middleware and outgoing timing: a monitor on a
 * fake clock, a target that says when a request has been recorded (so tests
 * wait for the recording, never for time), and servers on 127.0.0.1:0.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpTimingTarget } from '../../src/http/timing/index.js';
import { PerformanceMonitor } from '../../src/index.js';

export interface TimingHarness {
  monitor: PerformanceMonitor;
  /** The monitor's clock: a handler that adds to `t` makes the recorded duration exact. */
  clock: { t: number; now(): number };
  /** The monitor, wrapped so that {@link recorded} can wait for recordings. */
  target: HttpTimingTarget;
  /** Resolves once `n` timings in all have ended (successes and failures). */
  recorded(n: number): Promise<void>;
  /** Errors Keel's timing reported through `onInternalError`. */
  internalErrors: unknown[];
  onInternalError(error: unknown): void;
  close(): Promise<void>;
}

export function timingHarness(): TimingHarness {
  const clock = { t: 1_000, now: () => clock.t };
  const monitor = new PerformanceMonitor({ clock, runtime: { enabled: false } });
  let ended = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const internalErrors: unknown[] = [];
  const target: HttpTimingTarget = {
    metrics: monitor.metrics,
    operations: monitor.operations,
    operation(name, options) {
      const op = monitor.operation(name, options);
      return {
        begin: () => op.begin(),
        finish(start, success) {
          const ms = op.finish(start, success);
          ended++;
          for (const w of waiters.filter((w) => ended >= w.n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
          return ms;
        },
      };
    },
  };
  return {
    monitor,
    clock,
    target,
    recorded: (n) =>
      ended >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    internalErrors,
    onInternalError: (error) => internalErrors.push(error),
    close: () => monitor.close(),
  };
}

/** Listens on 127.0.0.1, a free port; returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return baseUrl(server);
}

/** The base URL of a listening server. */
export function baseUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server and its keep-alive connections. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** GETs (or sends `method` to) each path in turn, `concurrency` at a time; returns the statuses. */
export async function request(
  base: string,
  paths: readonly string[],
  { method = 'GET', concurrency = 25 }: { method?: string; concurrency?: number } = {},
): Promise<number[]> {
  const statuses: number[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      const res = await fetch(base + paths[i], { method });
      await res.arrayBuffer();
      statuses[i] = res.status;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return statuses;
}

/**
 * Starts a GET of `path`, waits until the server has the request (its
 * handler calls `arrived`), then aborts it: the client leaves before the response.
 */
export async function abortAfterArrival(
  base: string,
  path: string,
  arrived: Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const pending = fetch(base + path, { signal: controller.signal }).catch(() => undefined);
  await arrived;
  controller.abort();
  await pending;
}

/** The series of a counter in the monitor's custom metrics, as `labels → value`. */
export function counterSeries(monitor: PerformanceMonitor, name: string): Record<string, number> {
  const metric = monitor.metrics.collect().find((m) => m.name === name);
  const out: Record<string, number> = {};
  if (metric === undefined || metric.type !== 'counter') return out;
  for (const s of metric.series) {
    out[`${s.labels.method} ${s.labels.route} ${s.labels.status_class}`] = s.value;
  }
  return out;
}

/** A promise and its resolver, for a handler to say it has been reached. */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
