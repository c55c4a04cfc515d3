/** A typed listener list. A throwing listener never breaks the emitter or the caller. */
export class Emitter<T> {
  #listeners: Array<(event: T) => void> = [];
  #failures = 0;

  /** Adds a listener; dispose the result to remove it. */
  readonly on = (listener: (event: T) => void): Disposable => {
    this.#listeners.push(listener);
    return {
      [Symbol.dispose]: () => {
        this.#listeners = this.#listeners.filter((l) => l !== listener);
      },
    };
  };

  /** True when at least one listener is registered: build payloads only then. */
  get hasListeners(): boolean {
    return this.#listeners.length > 0;
  }

  /** How many listener calls threw since this emitter was made. */
  get listenerFailures(): number {
    return this.#failures;
  }

  emit(event: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        this.#failures++;
      }
    }
  }

  clear(): void {
    this.#listeners = [];
  }
}
