import type { ServerResponse } from 'node:http';
import type { RequestRecorder } from './request-recorder.js';

/** A response with the timing's own fields on it (symbol keys of one {@link ResponseTiming}). */
type Tagged = Record<symbol, unknown>;

/**
 * Times responses from a start until their `'close'` (which Node emits after
 * `'finish'`, or when the client leaves first): one listener, shared by every
 * response, and the start kept on the response under this timing's own key,
 * so a request costs no closure. The route is read at the close, once the
 * framework has routed the request.
 */
export class ResponseTiming<C = undefined> {
  readonly #recorder: RequestRecorder;
  readonly #routeOf: (res: ServerResponse, context: C) => unknown;
  readonly #start = Symbol('keel.http.start');
  readonly #context = Symbol('keel.http.context');
  readonly #threw = Symbol('keel.http.threw');
  readonly #onClose: (this: ServerResponse) => void;

  constructor(recorder: RequestRecorder, routeOf: (res: ServerResponse, context: C) => unknown) {
    this.#recorder = recorder;
    this.#routeOf = routeOf;
    const timing = this;
    this.#onClose = function onClose(this: ServerResponse) {
      timing.#closed(this);
    };
  }

  /** Starts timing `res` (once: a second start of the same response is ignored). */
  begin(res: ServerResponse, context?: C): void {
    try {
      const tagged = res as unknown as Tagged;
      if (tagged[this.#start] !== undefined) return;
      tagged[this.#start] = this.#recorder.now();
      if (context !== undefined) tagged[this.#context] = context;
      res.on('close', this.#onClose);
    } catch (error) {
      this.#recorder.failed(error);
    }
  }

  /** Marks the request's handler as having thrown: it is recorded as a failure. */
  threw(res: ServerResponse): void {
    (res as unknown as Tagged)[this.#threw] = true;
  }

  #closed(res: ServerResponse): void {
    const tagged = res as unknown as Tagged;
    const start = tagged[this.#start];
    if (typeof start !== 'number') return;
    tagged[this.#start] = null;
    const context = tagged[this.#context] as C;
    let route: unknown;
    try {
      route = this.#routeOf(res, context);
    } catch (error) {
      this.#recorder.failed(error);
    }
    if (context !== undefined) tagged[this.#context] = undefined;
    this.#recorder.record(
      start,
      res.req?.method,
      route,
      res.statusCode,
      !res.writableFinished,
      tagged[this.#threw] === true,
    );
  }
}
