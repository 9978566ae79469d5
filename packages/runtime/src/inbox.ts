/**
 * What a supervising process receives from its executors (reports, exits, timers), taken one
 * at a time by its `drive()`, which may also wait for a deadline that changes while it waits
 * (a stop brings the grace deadline in: `wake()`).
 */
export class Inbox<T> {
  readonly #items: T[] = [];
  readonly #waiters = new Set<() => void>();

  push(item: T): void {
    this.#items.push(item);
    this.wake();
  }

  /** Wakes everyone waiting in `next` (to re-read their deadline). */
  wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * The next item; undefined once `deadline` (performance.now() ms, re-read on every wake-up)
   * passes first, or when `exhausted()` says nothing more can arrive.
   */
  async next(deadline: number | (() => number), exhausted: () => boolean = () => false): Promise<T | undefined> {
    for (;;) {
      const until = typeof deadline === "number" ? deadline : deadline();
      const item = this.#items.shift();
      if (item !== undefined) return item;
      if (exhausted()) return undefined;
      const wait = until - performance.now();
      if (wait <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(wait, 2 ** 31 - 1));
        this.#waiters.add(done);
      });
    }
  }
}
