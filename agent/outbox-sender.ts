/**
 * Empties the outbox into the link, in order, whenever the link is up. Several messages are
 * on their way at once (MQTT keeps the order of one client's publishes), so a slow broker
 * delays what the device tells by one round trip, not one per message. A message is
 * forgotten only once the broker has acknowledged it (QoS 1). One whose link drops on the way
 * stays with the MQTT client, which sends it again first thing on the next connection, so the
 * sender waits for that rather than sending it twice.
 */
import type { Logger } from '../shared/log.js';
import type { EventBatchMessage, StatusReportMessage } from '../shared/proto/codec.js';
import { WireError } from '../shared/proto/codec.js';
import type { Outbox, Outgoing } from './outbox.js';

/** The part of the link the sender uses. */
export interface UplinkChannel {
  readonly connected: boolean;
  publishStatus(report: StatusReportMessage): Promise<void>;
  publishEvents(batch: EventBatchMessage): Promise<void>;
}

/** Messages on their way at most. */
export const SEND_WINDOW = 8;

/** After a publish that failed while the link looked up, the next try waits this long. */
const RETRY_MS = 2_000;

export class OutboxSender {
  readonly #outbox: Outbox;
  readonly #channel: UplinkChannel;
  readonly #log: Logger;
  #draining: Promise<void> | undefined;
  #scheduled: NodeJS.Immediate | undefined;
  #retry: NodeJS.Timeout | undefined;
  /** Settles the drain's wait for an acknowledgement when there is more to send. */
  #kick: (() => void) | undefined;
  #stopped = false;

  constructor(options: { outbox: Outbox; channel: UplinkChannel; log: Logger }) {
    this.#outbox = options.outbox;
    this.#channel = options.channel;
    this.#log = options.log;
  }

  /**
   * Something was queued, or the link came up: send what is waiting. Entries queued in the
   * same turn go out together, so the events of one reconcile pass share a message.
   */
  wake(): void {
    if (this.#stopped || this.#scheduled !== undefined) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = undefined;
      if (this.#kick) this.#kick();
      else this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    });
  }

  /** Resolves once nothing is being sent: everything went, or the link is down. */
  async idle(): Promise<void> {
    while (this.#scheduled !== undefined || this.#draining !== undefined) {
      if (this.#draining) await this.#draining;
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Sends nothing more; what is left stays in the outbox. */
  stop(): void {
    this.#stopped = true;
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    clearTimeout(this.#retry);
    this.#kick?.();
  }

  async #drain(): Promise<void> {
    const onTheirWay = new Set<Promise<void>>();
    let failed = false;
    while (!this.#stopped) {
      const outgoing = onTheirWay.size < SEND_WINDOW && this.#channel.connected && !failed ? this.#outbox.next() : undefined;
      if (outgoing !== undefined) {
        const sent = this.#send(outgoing).then((ok) => {
          if (!ok) failed = true;
          onTheirWay.delete(sent);
        });
        onTheirWay.add(sent);
        continue;
      }
      if (onTheirWay.size === 0) break;
      // An acknowledgement frees a place; new entries (a kick) may fill one that is free.
      await Promise.race([...onTheirWay, new Promise<void>((resolve) => (this.#kick = resolve))]);
      this.#kick = undefined;
    }
    this.#kick = undefined;
    if (failed && !this.#stopped) {
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.wake(), RETRY_MS);
    }
  }

  /** Publishes one message and settles it in the outbox; false if it has to go again. */
  async #send(outgoing: Outgoing): Promise<boolean> {
    try {
      await (outgoing.kind === 'status' ? this.#channel.publishStatus(outgoing.report) : this.#channel.publishEvents(outgoing.batch));
      this.#outbox.acknowledge(outgoing);
      return true;
    } catch (error) {
      if (error instanceof WireError) {
        // It will never encode: sending it again would block everything behind it.
        this.#log.error({ err: error.message, kind: outgoing.kind }, 'dropped an outbox entry that cannot be encoded');
        this.#outbox.acknowledge(outgoing);
        return true;
      }
      // Rare (the client gave up on it, as when it is stopped); what follows it may arrive first.
      this.#outbox.release(outgoing);
      if (!this.#stopped) this.#log.warn({ err: (error as Error).message }, 'outbox message not sent; trying again');
      return false;
    }
  }
}
