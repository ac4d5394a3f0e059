/**
 * Records Events about objects, as Kubernetes does: a repeat of the same reason and message
 * for the same object bumps the count of one Event instead of writing a new one. Events are
 * also published as JSON on the fleet events topic for any MQTT tool to follow.
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
  #chain: Promise<void> = Promise.resolve();

  constructor(options: { store: Store; log: Logger; source: string; publish?: (event: FlotillaEvent) => void }) {
    this.#store = options.store;
    this.#log = options.log;
    this.#source = options.source;
    this.#publish = options.publish ?? (() => undefined);
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
