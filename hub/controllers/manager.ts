/**
 * Runs controllers: one store watch feeds every controller's own work queue, so a slow
 * controller never holds up another, and a failing key retries with back-off.
 */
import type { Logger } from '../../shared/log.js';
import type { Store, Unsubscribe } from '../store/store.js';
import type { Controller } from './controller.js';
import { WorkQueue } from './workqueue.js';

export class ControllerManager {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #queues = new Map<Controller, WorkQueue>();
  #unwatch: Unsubscribe | undefined;
  #synced: Promise<void> | undefined;

  constructor(store: Store, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  add(controller: Controller): WorkQueue {
    const queue = new WorkQueue({
      process: (key) => controller.reconcile(key),
      ...(controller.concurrency === undefined ? {} : { concurrency: controller.concurrency }),
      onError: (key, error, attempt) =>
        this.#log.warn({ controller: controller.name, key, attempt, err: error instanceof Error ? error.message : String(error) }, 'reconcile failed; will retry'),
    });
    this.#queues.set(controller, queue);
    return queue;
  }

  async start(): Promise<void> {
    const startedAt = performance.now();
    this.#unwatch = this.#store.watch({}, (event) => {
      for (const [controller, queue] of this.#queues) {
        if (!controller.watches.includes(event.object.kind)) continue;
        try {
          for (const key of controller.keysFor(event)) queue.add(key);
        } catch (error) {
          this.#log.error({ controller: controller.name, err: (error as Error).message }, 'keysFor failed');
        }
      }
    });
    let keys = 0;
    for (const [controller, queue] of this.#queues) {
      for (const key of await controller.initialKeys()) {
        queue.add(key);
        keys++;
      }
    }
    // After a restart, this is when every controller has caught up with what the store holds.
    this.#synced = this.drained().then(() => {
      this.#log.info({ keys, ms: Math.round(performance.now() - startedAt) }, 'controllers synced');
    });
  }

  /**
   * Resolves once every key enqueued at start (and whatever those reconciles set off) has been
   * reconciled once: the controllers have picked up where the store says things stand.
   */
  synced(): Promise<void> {
    return this.#synced ?? Promise.resolve();
  }

  /** Resolves when every queue is empty: for tests and orderly shutdown. */
  async drained(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.drained()));
  }

  async stop(): Promise<void> {
    this.#unwatch?.();
    await Promise.all([...this.#queues.values()].map((queue) => queue.stop()));
    for (const controller of this.#queues.keys()) await controller.stop?.();
  }
}
