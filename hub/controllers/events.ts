/**
 * Records Events about objects, as Kubernetes does: a repeat of the same reason and message
 * for the same object bumps the count of one Event instead of writing a new one. Events are
 * also published as JSON on the fleet events topic for any MQTT tool to follow. Events older
 * than an hour are swept away, as Kubernetes' event TTL does, so they never fill the store.
 */
import { createHash } from 'node:crypto';
import { hasCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { FlotillaEvent, ObjectReference } from '../../shared/objects.js';
import type { Store } from '../store/store.js';

export interface EventSink {
  /** `source` names who saw it happen (`agent/<device>` for what a device tells); the hub otherwise. */
  record(involved: ObjectReference, type: FlotillaEvent['type'], reason: string, message: string, source?: string): void;
}

/** The source of events a device's agent reports, as `describe` shows them. */
export function agentSource(device: string): string {
  return `agent/${device}`;
}

/** An event waiting to be written, with the repeats recorded before it was. */
interface PendingEvent {
  name: string;
  involved: ObjectReference;
  type: FlotillaEvent['type'];
  reason: string;
  message: string;
  source: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

export class EventRecorder implements EventSink {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #source: string;
  readonly #publish: (event: FlotillaEvent) => void;
  readonly #ttlMs: number;
  /** By event name: repeats recorded while the event waits are folded into its count. */
  readonly #pending = new Map<string, PendingEvent>();
  /** Settles when nothing is pending; undefined when idle. */
  #writing: Promise<void> | undefined;
  #sweeping: Promise<unknown> = Promise.resolve();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(options: { store: Store; log: Logger; source: string; publish?: (event: FlotillaEvent) => void; ttlMs?: number }) {
    this.#store = options.store;
    this.#log = options.log;
    this.#source = options.source;
    this.#publish = options.publish ?? (() => undefined);
    this.#ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  }

  /** Sweeps expired events every few minutes until stop(). */
  start(): void {
    const every = Math.min(this.#ttlMs, 5 * 60 * 1000);
    this.#sweeper = setInterval(() => {
      this.#sweeping = this.sweep().catch((error: Error) => this.#log.warn({ err: error.message }, 'event sweep failed'));
    }, every);
    this.#sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([this.flushed(), this.#sweeping]);
  }

  /** Deletes events last seen longer ago than the TTL; returns how many. */
  async sweep(now: number = Date.now()): Promise<number> {
    const { items } = await this.#store.list('Event');
    const expired = items.filter((event) => now - Date.parse(event.lastTimestamp) >= this.#ttlMs);
    const deleted = await Promise.all(
      expired.map(async (event) => {
        try {
          await this.#store.delete('Event', event.metadata.namespace, event.metadata.name, { resourceVersion: event.metadata.resourceVersion ?? '' });
          return true;
        } catch (error) {
          // Repeated meanwhile (Conflict) or already gone: either way it is not to be deleted now.
          if (!hasCode(error, 'Conflict') && !hasCode(error, 'NotFound')) throw error;
          return false;
        }
      }),
    );
    return deleted.filter(Boolean).length;
  }

  /**
   * Fire and forget: an event that cannot be written must never fail the work it reports.
   * Events recorded together are written together, so a rollout's thousands of events cost
   * a few store batches rather than one write after another.
   */
  record(involved: ObjectReference, type: FlotillaEvent['type'], reason: string, message: string, source: string = this.#source): void {
    const digest = createHash('sha1').update(`${involved.kind}/${involved.uid ?? ''}/${reason}/${message}/${source}`).digest('hex').slice(0, 10);
    const name = `${involved.name}.${digest}`;
    const now = new Date().toISOString();
    const waiting = this.#pending.get(name);
    if (waiting) {
      waiting.count++;
      waiting.lastTimestamp = now;
      return;
    }
    this.#pending.set(name, { name, involved, type, reason, message, source, count: 1, firstTimestamp: now, lastTimestamp: now });
    this.#writing ??= this.#writePending();
  }

  /** Resolves when every event recorded so far is written. */
  async flushed(): Promise<void> {
    await this.#writing;
  }

  async #writePending(): Promise<void> {
    // Events recorded in the same turn join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.#pending.size > 0) {
        const batch = [...this.#pending.values()];
        this.#pending.clear();
        await Promise.all(
          batch.map((event) =>
            this.#write(event).catch((error: Error) => this.#log.warn({ err: error.message, reason: event.reason }, 'event not recorded')),
          ),
        );
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #write(event: PendingEvent): Promise<void> {
    const namespace = event.involved.namespace ?? 'default';
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.#store.get('Event', namespace, event.name);
      try {
        let written: FlotillaEvent;
        if (existing) {
          written = await this.#store.update({ ...existing, count: existing.count + event.count, lastTimestamp: event.lastTimestamp });
        } else {
          written = await this.#store.create<FlotillaEvent>({
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: event.name, namespace },
            involvedObject: event.involved,
            type: event.type,
            reason: event.reason,
            message: event.message,
            count: event.count,
            firstTimestamp: event.firstTimestamp,
            lastTimestamp: event.lastTimestamp,
            source: event.source,
          });
        }
        this.#publish(written);
        return;
      } catch (error) {
        if (!hasCode(error, 'Conflict') && !hasCode(error, 'AlreadyExists')) throw error;
      }
    }
  }
}
