/**
 * A keyed work queue in the manner of client-go's: a key waiting in the queue is held once
 * however often it is added; a key being processed is never processed twice at once, and if
 * it is added meanwhile it runs again afterwards; a failed key comes back after a delay that
 * doubles per failure. Up to `concurrency` different keys are processed at once (client-go's
 * workers), in the order they were added.
 */
import { backoffDelay } from '../../shared/backoff.js';

export interface WorkQueueOptions {
  /** Reconciles one key; may ask to be called again later. */
  process: (key: string) => Promise<{ requeueAfterMs?: number } | void>;
  onError: (key: string, error: unknown, attempt: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How many keys may be processed at once; default 1. */
  concurrency?: number;
}

export class WorkQueue {
  readonly #options: WorkQueueOptions;
  readonly #queue = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  readonly #concurrency: number;
  /** Workers taking keys from the queue; each processes one key at a time. */
  #workers = 0;
  #stopped = false;
  #idle: Promise<void> = Promise.resolve();
  #becameIdle: () => void = () => undefined;

  constructor(options: WorkQueueOptions) {
    this.#options = options;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  }

  get length(): number {
    return this.#queue.size;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#queue.add(key);
    this.#pump();
  }

  /** Adds the key after a delay; of two pending delays for one key, the sooner wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#stopped) return;
    const dueAt = Date.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending) {
      if (pending.dueAt <= dueAt) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#delayed.set(key, { timer, dueAt });
  }

  /** Resolves when nothing is queued or being processed (delayed keys do not count). */
  async drained(): Promise<void> {
    while (this.#workers > 0) await this.#idle;
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.clear();
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    return this.drained();
  }

  /** Starts workers for the keys waiting, up to the concurrency. */
  #pump(): void {
    while (this.#workers < this.#concurrency && this.#workers < this.#queue.size) {
      if (this.#workers === 0) this.#idle = new Promise((resolve) => (this.#becameIdle = resolve));
      this.#workers++;
      void this.#work();
    }
  }

  async #work(): Promise<void> {
    // Yield first so a burst of adds in one tick is deduplicated before any work starts.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#queue.size > 0 && !this.#stopped) {
      const key = this.#queue.values().next().value as string;
      this.#queue.delete(key);
      await this.#processKey(key);
    }
    this.#workers--;
    if (this.#workers === 0) this.#becameIdle();
  }

  async #processKey(key: string): Promise<void> {
    this.#processing.add(key);
    try {
      const result = await this.#options.process(key);
      this.#failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const attempt = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, attempt);
      try {
        this.#options.onError(key, error, attempt);
      } catch {
        // Reporting a failure must never stop the queue.
      }
      this.addAfter(key, backoffDelay(attempt - 1, { baseMs: this.#options.baseDelayMs ?? 5, maxMs: this.#options.maxDelayMs ?? 30_000 }));
    } finally {
      this.#processing.delete(key);
      if (this.#dirty.delete(key)) this.#queue.add(key);
    }
  }
}
