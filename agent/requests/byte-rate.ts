/**
 * A budget of bytes per second shared by everything that takes from it: the device's log
 * streams go out on the same MQTT connection as its heartbeats and status, and on a slow link
 * must never crowd them out. A token bucket: up to one second's worth may go at once, then
 * bytes as fast as they are earned. Takers are served in the order they asked.
 */
export class ByteRate {
  readonly bytesPerSecond: number;
  readonly #now: () => number;
  #available: number;
  #refilledAt: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(bytesPerSecond: number, now: () => number = Date.now) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`a byte rate must be more than 0, not ${bytesPerSecond}`);
    this.bytesPerSecond = bytesPerSecond;
    this.#now = now;
    this.#available = bytesPerSecond;
    this.#refilledAt = now();
  }

  /** Resolves when `bytes` may be sent. More than a second's worth waits for a full second's. */
  take(bytes: number): Promise<void> {
    const turn = this.#queue.then(() => this.#wait(Math.min(Math.max(0, bytes), this.bytesPerSecond)));
    this.#queue = turn;
    return turn;
  }

  async #wait(bytes: number): Promise<void> {
    for (;;) {
      this.#refill();
      if (this.#available >= bytes) {
        this.#available -= bytes;
        return;
      }
      const ms = Math.ceil(((bytes - this.#available) / this.bytesPerSecond) * 1000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)));
    }
  }

  #refill(): void {
    const now = this.#now();
    this.#available = Math.min(this.bytesPerSecond, this.#available + ((now - this.#refilledAt) / 1000) * this.bytesPerSecond);
    this.#refilledAt = now;
  }
}
