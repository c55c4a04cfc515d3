/**
 * A small bookkeeping service (customers, transactions, invoices, reports)
 * instrumented with Keel. Storage and the payment gateway are simulated with
 * realistic, varied latencies and occasional failures; reports do real work
 * over the ledger.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Operation, PerformanceMonitor, RunPolicy } from '../../src/index.js';

export interface Customer {
  id: number;
  name: string;
  balanceCents: number;
}

export interface Transaction {
  id: number;
  customerId: number;
  amountCents: number;
  postedAt: number;
}

export interface Invoice {
  id: number;
  customerId: number;
  totalCents: number;
  lines: number;
}

/** A failure of the simulated storage or gateway, typed like a real driver's. */
export class ServiceError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.name = 'ServiceError';
    this.type = type;
  }
}

/** Random source; inject a seeded one for repeatable runs. */
export type Random = () => number;

/** A log-normal sample with the given median (ms) and shape. */
export function logNormal(random: Random, medianMs: number, sigma: number): number {
  let u = 0;
  while (u === 0) u = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return medianMs * Math.exp(sigma * z);
}

/** Deadlocks are worth a retry; a missing customer is not. */
const POST_POLICY: RunPolicy<Transaction> = {
  kind: 'db',
  retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 50 },
  classify: (e) => ((e as { type?: string }).type === 'not_found' ? 'permanent' : undefined),
};

/** The gateway: retried with backoff, cut off after 2 s, and fenced by a breaker. */
const CHARGE_POLICY: RunPolicy<string> = {
  kind: 'http',
  retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 200 },
  breaker: { consecutive: 5, halfOpenAfterMs: 5_000 },
  timeoutMs: 2_000,
};

export interface BookkeepingOptions {
  monitor: PerformanceMonitor;
  random?: Random;
  /** Multiplies every simulated latency; 0 makes the service instant. @defaultValue 1 */
  latencyScale?: number;
}

/** The instrumented service: each public method is one timed operation. */
export class BookkeepingService {
  readonly customers = new Map<number, Customer>();
  readonly transactions: Transaction[] = [];
  readonly invoices: Invoice[] = [];
  readonly #monitor: PerformanceMonitor;
  readonly #random: Random;
  readonly #scale: number;
  readonly #ops: Record<
    'createCustomer' | 'findCustomer' | 'issueInvoice' | 'runReport',
    Operation
  >;
  #nextId = 1;

  constructor(options: BookkeepingOptions) {
    this.#monitor = options.monitor;
    this.#random = options.random ?? Math.random;
    this.#scale = options.latencyScale ?? 1;
    const m = this.#monitor;
    // Between retries of a deadlocked posting: roll back and reopen the connection (simulated).
    m.registerErrorHandler('database_error', () => this.#wait(1, 0.2), {
      name: 'reopen_connection',
    });
    // Declared up front (with their kind) so reports list them from the start; run() times them.
    m.operation('post_transaction', { kind: 'db' });
    m.operation('charge_card', { kind: 'http' });
    // Bound handles: the name is looked up once, not on every call.
    this.#ops = {
      createCustomer: m.operation('create_customer', { kind: 'db' }),
      findCustomer: m.operation('find_customer', { kind: 'db' }),
      issueInvoice: m.operation('issue_invoice', { kind: 'app' }),
      runReport: m.operation('run_report', { kind: 'app' }),
    };
  }

  createCustomer(name: string): Promise<Customer> {
    return this.#ops.createCustomer.measure(async () => {
      await this.#wait(8, 0.5);
      this.#maybeFail(0.005, 'validation_error', 'a customer with this e-mail exists');
      const customer = { id: this.#nextId++, name, balanceCents: 0 };
      this.customers.set(customer.id, customer);
      this.#monitor.trackCustomer();
      return customer;
    });
  }

  findCustomer(id: number): Promise<Customer | undefined> {
    return this.#ops.findCustomer.measure(async () => {
      await this.#wait(2, 0.4);
      return this.customers.get(id);
    });
  }

  /** Posts a transaction; a deadlock is retried after the database handler ran. */
  postTransaction(customerId: number, amountCents: number): Promise<Transaction> {
    return this.#monitor.run(
      'post_transaction',
      async ({ signal }) => {
        await this.#wait(12, 0.6, signal);
        this.#maybeFail(0.01, 'database_error', 'deadlock detected; transaction rolled back');
        const customer = this.customers.get(customerId);
        if (customer === undefined)
          throw new ServiceError('not_found', `no customer ${customerId}`);
        const tx = { id: this.#nextId++, customerId, amountCents, postedAt: Date.now() };
        this.transactions.push(tx);
        customer.balanceCents += amountCents;
        this.#monitor.trackTransaction();
        return tx;
      },
      POST_POLICY,
    );
  }

  /** Calls the (simulated) payment gateway: slower and less reliable, so guarded. */
  chargeCard(customerId: number, amountCents: number): Promise<string> {
    return this.#monitor.run(
      'charge_card',
      async ({ signal }) => {
        await this.#wait(60, 0.7, signal);
        this.#maybeFail(0.03, 'gateway_timeout', 'payment gateway did not answer');
        return `ch_${customerId}_${amountCents}_${this.#nextId++}`;
      },
      CHARGE_POLICY,
    );
  }

  issueInvoice(customerId: number): Promise<Invoice> {
    return this.#ops.issueInvoice.measure(async () => {
      await this.#wait(20, 0.5);
      const lines = this.transactions.filter((t) => t.customerId === customerId);
      const invoice = {
        id: this.#nextId++,
        customerId,
        totalCents: lines.reduce((sum, t) => sum + t.amountCents, 0),
        lines: lines.length,
      };
      this.invoices.push(invoice);
      return invoice;
    });
  }

  /** A ledger report: real aggregation over every transaction, plus query time. */
  runReport(): Promise<Map<number, number>> {
    return this.#ops.runReport.measure(async () => {
      await this.#wait(150, 0.45);
      const totals = new Map<number, number>();
      for (const t of this.transactions) {
        totals.set(t.customerId, (totals.get(t.customerId) ?? 0) + t.amountCents);
      }
      return totals;
    });
  }

  /** The state to back up: a copy, so the live maps can change while the backup runs. */
  snapshot(): { customers: Customer[]; transactions: Transaction[]; invoices: Invoice[] } {
    return {
      customers: [...this.customers.values()].map((c) => ({ ...c })),
      transactions: [...this.transactions],
      invoices: [...this.invoices],
    };
  }

  /** A random existing customer id, or undefined when there are none. */
  anyCustomerId(): number | undefined {
    if (this.customers.size === 0) return undefined;
    const keys = [...this.customers.keys()];
    return keys[Math.floor(this.#random() * keys.length)];
  }

  #wait(medianMs: number, sigma: number, signal?: AbortSignal): Promise<void> {
    if (this.#scale === 0) return Promise.resolve();
    const ms = Math.min(logNormal(this.#random, medianMs, sigma) * this.#scale, 5_000);
    return sleep(ms, undefined, signal === undefined ? {} : { signal });
  }

  #maybeFail(probability: number, type: string, message: string): void {
    if (this.#random() < probability) throw new ServiceError(type, message);
  }
}
