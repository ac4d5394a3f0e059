import { EventEmitter } from 'node:events';

/** An EventEmitter whose event names and listener arguments are checked against a map. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listener tuples of any arity
export type EventMap<Events> = { [E in keyof Events]: (...args: any[]) => void };

export class TypedEmitter<Events extends EventMap<Events>> {
  readonly #emitter = new EventEmitter();

  on<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    this.#emitter.on(event, listener);
    return this;
  }

  once<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    this.#emitter.once(event, listener);
    return this;
  }

  off<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    this.#emitter.off(event, listener);
    return this;
  }

  protected emit<E extends keyof Events & string>(event: E, ...args: Parameters<Events[E]>): boolean {
    return this.#emitter.emit(event, ...args);
  }
}
