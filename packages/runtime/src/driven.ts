import type { DriveState, Execution, RunResult, RuntimeEvent, StopReason } from "./contract.js";
import { EventBus } from "./events.js";

/**
 * The contract's drive/wait, written once for every engine: `drive()` is one unit of
 * scheduling work (one at a time: a second call while one runs gets the same promise), and
 * `wait` loops it until the run ends — honouring its timeout even when a unit of work waits
 * for something that never comes — and yields to the event loop regularly so asynchronous
 * node code and I/O make progress.
 */
export abstract class DrivenExecution implements Execution {
  readonly events = new EventBus<RuntimeEvent>();
  #driving: Promise<DriveState> | undefined;
  /** Resolves with the `stopped` event: a unit of work that was abandoned must not hold `wait`. */
  readonly #stopped = new Promise<void>((resolve) => {
    this.events.subscribe((event) => {
      if (event.type === "stopped") resolve();
    });
  });

  abstract get result(): RunResult | undefined;
  abstract start(): Promise<void>;
  abstract stop(options?: { graceMs?: number; reason?: StopReason }): Promise<RunResult>;
  abstract kill(): void;
  /** One unit of scheduling work. */
  protected abstract work(): Promise<DriveState>;

  drive(): Promise<DriveState> {
    this.#driving ??= this.work().finally(() => {
      this.#driving = undefined;
    });
    return this.#driving;
  }

  /** The unit of work in progress, if any. */
  protected get driving(): Promise<DriveState> | undefined {
    return this.#driving;
  }

  /** Forgets a unit of work that will never end (an abandoned step), so `drive` can start another. */
  protected abandonDrive(): void {
    this.#driving = undefined;
  }

  /** What `drive` returns once the run ended. */
  protected terminal(): DriveState {
    return this.result?.status === "failed" ? "failed" : "shutdown";
  }

  /** Called once `wait` saw the end, before it returns (an engine waits for its executors to exit). */
  protected async afterEnd(): Promise<void> {}

  async wait(options: { timeoutMs?: number } = {}): Promise<RunResult | undefined> {
    const until = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.timeoutMs;
    let lastYield = performance.now();
    // A step awaiting a promise that never settles leaves Node.js nothing to wait for, and it
    // would exit in the middle of the run: hold the event loop open while waiting.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      while (this.result === undefined) {
        const left = until - performance.now();
        if (left <= 0) return undefined;
        if (left === Number.POSITIVE_INFINITY) await Promise.race([this.drive(), this.#stopped]);
        else {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([this.drive(), this.#stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
          clearTimeout(timer);
        }
        if (performance.now() - lastYield > 10) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
      await this.afterEnd();
      return this.result;
    } finally {
      clearInterval(keepAlive);
    }
  }
}
