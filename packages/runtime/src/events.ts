/** A small synchronous event bus: listeners run in subscription order; one throwing does not stop the others. */
export class EventBus<E extends { readonly type: string }> {
  readonly #listeners = new Set<(event: E) => void>();
  readonly #history: E[] = [];

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: (event: E) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: E): void {
    // Logs and live statistics are a stream, not lifecycle: kept, they would grow without bound.
    if (event.type !== "log" && event.type !== "stats") this.#history.push(event);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Lifecycle events so far (log and stats events excluded), for late subscribers and tests. */
  history(): readonly E[] {
    return this.#history;
  }
}
