/**
 * A controller watches kinds, turns each change into keys, and reconciles one key at a time,
 * level-based: read the store, compare with what should be, converge, write status. Event
 * handlers never do work themselves; they only enqueue keys.
 */
import type { Kind } from '../../shared/objects.js';
import type { WatchEvent } from '../store/store.js';

export interface Controller {
  readonly name: string;
  readonly watches: readonly Kind[];
  /**
   * How many keys may be reconciled at once (default 1). Writes issued together share one
   * flush to disk, so a controller that writes once per key and has thousands of keys at a
   * time (a fleet reconnecting) goes many times faster with several.
   */
  readonly concurrency?: number;
  /** Keys to reconcile after this change (none to ignore it). */
  keysFor(event: WatchEvent): string[];
  /** Keys to reconcile once at start, so state left by a previous hub run converges too. */
  initialKeys(): Promise<string[]>;
  reconcile(key: string): Promise<{ requeueAfterMs?: number } | void>;
  stop?(): Promise<void> | void;
}
