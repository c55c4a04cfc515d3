import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Server-sent events: one snapshot every interval to every client, computed
 * once per tick whatever the number of clients. The timer runs only while a
 * client listens, and is unref'd.
 */
export class EventStream {
  readonly #snapshot: () => unknown;
  readonly #intervalMs: number;
  readonly #maxClients: number;
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  #id = 0;

  constructor(snapshot: () => unknown, intervalMs: number, maxClients: number) {
    this.#snapshot = snapshot;
    this.#intervalMs = intervalMs;
    this.#maxClients = maxClients;
  }

  /** Clients listening now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Starts a stream on `res`: the first snapshot at once, then one every interval. */
  async add(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#clients.size >= this.#maxClients) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' });
      res.end(
        JSON.stringify({
          error: { code: 'TOO_MANY_STREAMS', message: 'too many event streams; retry later' },
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    // A stream lives as long as its client: no request timeout applies to it.
    req.socket.setTimeout(0);
    res.write(`retry: ${Math.max(1_000, this.#intervalMs)}\n\n`);
    this.#clients.add(res);
    const drop = () => this.#drop(res);
    res.on('close', drop);
    res.on('error', drop);
    this.#send(new Set([res]), this.#payload());
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Ends every stream and stops the timer. */
  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #tick(): void {
    if (this.#clients.size === 0) {
      this.#stop();
      return;
    }
    this.#send(this.#clients, this.#payload());
  }

  #payload(): string {
    let data: string;
    try {
      data = JSON.stringify(this.#snapshot());
    } catch {
      data = JSON.stringify({ error: 'snapshot failed' }); // never the app's problem
    }
    this.#id++;
    return `id: ${this.#id}\nevent: snapshot\ndata: ${data}\n\n`;
  }

  #send(to: Iterable<ServerResponse>, payload: string): void {
    for (const res of to) {
      // A client that cannot keep up is dropped rather than buffered without bound.
      if (res.writableLength > 1_048_576) {
        res.destroy();
        this.#drop(res);
        continue;
      }
      res.write(payload);
    }
  }

  #drop(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
