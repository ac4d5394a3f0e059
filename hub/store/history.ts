/**
 * The last N committed changes, so a watcher that was away briefly can catch up from the
 * resourceVersion it last saw instead of re-listing everything.
 */
import type { WatchEvent } from './store.js';

export const DEFAULT_HISTORY_SIZE = 10_000;

export interface RecordedEvent {
  /** The resourceVersion the change was committed at. */
  version: number;
  event: WatchEvent;
}

export class EventHistory {
  private readonly slots: (RecordedEvent | undefined)[];
  /** Where the next event goes; once full, also the oldest event. */
  private next = 0;
  private count = 0;
  /**
   * Every change after this version is remembered. It starts at the version the store opened
   * with (nothing older was seen by this process) and moves up as old events are dropped.
   */
  private completeAfter: number;

  constructor(
    readonly capacity: number,
    startVersion: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`history size must be a positive integer, got ${capacity}`);
    }
    this.slots = new Array<RecordedEvent | undefined>(capacity);
    this.completeAfter = startVersion;
  }

  /** Versions must be pushed in increasing order. */
  push(version: number, event: WatchEvent): void {
    const evicted = this.slots[this.next];
    if (evicted !== undefined) this.completeAfter = evicted.version;
    this.slots[this.next] = { version, event };
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The oldest version a watch can start from and still miss nothing. */
  oldestReplayableVersion(): number {
    return this.completeAfter;
  }

  /** Events committed after `version`, oldest first; undefined when some were already dropped. */
  since(version: number): RecordedEvent[] | undefined {
    if (version < this.completeAfter) return undefined;
    const result: RecordedEvent[] = [];
    const oldest = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const recorded = this.slots[(oldest + i) % this.capacity];
      if (recorded !== undefined && recorded.version > version) result.push(recorded);
    }
    return result;
  }
}
