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
  record(involved: ObjectReference, type: FlotillaEvent['type'], reason: string, message: string): void;
}

export class EventRecorder implements EventSink {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #source: string;
  readonly #publish: (event: FlotillaEvent) => void;
  readonly #ttlMs: number;
  #chain: Promise<void> = Promise.resolve();
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
      this.#chain = this.#chain.then(async () => void (await this.sweep())).catch((error: Error) => this.#log.warn({ err: error.message }, 'event sweep failed'));
    }, every);
    this.#sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#chain;
  }

  /** Deletes events last seen longer ago than the TTL; returns how many. */
  async sweep(now: number = Date.now()): Promise<number> {
    const { items } = await this.#store.list('Event');
    let deleted = 0;
    for (const event of items) {
      if (now - Date.parse(event.lastTimestamp) < this.#ttlMs) continue;
      try {
        await this.#store.delete('Event', event.metadata.namespace, event.metadata.name, { resourceVersion: event.metadata.resourceVersion ?? '' });
        deleted++;
      } catch (error) {
        // Repeated meanwhile (Conflict) or already gone: either way it is not to be deleted now.
        if (!hasCode(error, 'Conflict') && !hasCode(error, 'NotFound')) throw error;
      }
    }
    return deleted;
  }

  /** Fire and forget: an event that cannot be written must never fail the work it reports. */
  record(involved: ObjectReference, type: FlotillaEvent['type'], reason: string, message: string): void {
    this.#chain = this.#chain
      .then(() => this.#write(involved, type, reason, message))
      .catch((error: Error) => this.#log.warn({ err: error.message, reason }, 'event not recorded'));
  }

  /** Resolves when every event recorded so far is written. */
  flushed(): Promise<void> {
    return this.#chain;
  }

  async #write(involved: ObjectReference, type: FlotillaEvent['type'], reason: string, message: string): Promise<void> {
    const namespace = involved.namespace ?? 'default';
    const digest = createHash('sha1').update(`${involved.kind}/${involved.uid ?? ''}/${reason}/${message}`).digest('hex').slice(0, 10);
    const name = `${involved.name}.${digest}`;
    const now = new Date().toISOString();
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.#store.get('Event', namespace, name);
      try {
        let written: FlotillaEvent;
        if (existing) {
          written = await this.#store.update({ ...existing, count: existing.count + 1, lastTimestamp: now });
        } else {
          written = await this.#store.create<FlotillaEvent>({
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name, namespace },
            involvedObject: involved,
            type,
            reason,
            message,
            count: 1,
            firstTimestamp: now,
            lastTimestamp: now,
            source: this.#source,
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
