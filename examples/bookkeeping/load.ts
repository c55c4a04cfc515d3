/**
 * A load generator for the bookkeeping service: concurrent simulated users
 * who log in, look customers up, post transactions, take payments, issue
 * invoices and run reports, until the signal aborts.
 */
import type { PerformanceMonitor } from '../../src/index.js';
import { type BookkeepingService, type Random, ServiceError } from './service.js';

export interface LoadOptions {
  monitor: PerformanceMonitor;
  service: BookkeepingService;
  signal: AbortSignal;
  /** Simulated users working at once. @defaultValue 8 */
  concurrency?: number;
  random?: Random;
}

/** Counts of what the load did. */
export interface LoadSummary {
  actions: number;
  failures: number;
}

const ACTIONS = [
  ['find', 30],
  ['post', 30],
  ['charge', 10],
  ['invoice', 10],
  ['customer', 8],
  ['report', 4],
  ['session', 8],
] as const;
const TOTAL_WEIGHT = ACTIONS.reduce((sum, [, w]) => sum + w, 0);

type Action = (typeof ACTIONS)[number][0];

function pick(random: Random): Action {
  let r = random() * TOTAL_WEIGHT;
  for (const [action, weight] of ACTIONS) {
    r -= weight;
    if (r < 0) return action;
  }
  return 'find';
}

/** Runs the load until `signal` aborts; resolves when every user has stopped. */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const { monitor, service, signal } = options;
  const random = options.random ?? Math.random;
  const summary: LoadSummary = { actions: 0, failures: 0 };

  async function act(user: number): Promise<void> {
    const customerId = service.anyCustomerId();
    const action = customerId === undefined ? 'customer' : pick(random);
    const id = customerId ?? 0;
    switch (action) {
      case 'customer':
        await service.createCustomer(`Customer ${user}-${summary.actions}`);
        break;
      case 'find':
        await service.findCustomer(id);
        break;
      case 'post':
        await service.postTransaction(id, Math.round(random() * 50_000) - 10_000);
        break;
      case 'charge':
        await service.chargeCard(id, Math.round(random() * 20_000));
        break;
      case 'invoice':
        await service.issueInvoice(id);
        break;
      case 'report':
        await service.runReport();
        break;
      case 'session': {
        const session = `user-${user}`;
        if (!monitor.unregisterSession(session)) monitor.registerSession(session, { user });
        break;
      }
    }
  }

  async function user(n: number): Promise<void> {
    monitor.registerSession(`user-${n}`, { user: n });
    while (!signal.aborted) {
      try {
        await act(n);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        summary.failures++;
      }
      summary.actions++;
      monitor.touchSession(`user-${n}`);
    }
    monitor.unregisterSession(`user-${n}`);
  }

  const users = Array.from({ length: options.concurrency ?? 8 }, (_, i) => user(i + 1));
  await Promise.all(users);
  return summary;
}
