/**
 * The hub's own MQTT client: subscribes to what devices send, publishes desired states and
 * the fleet topics. It talks to the embedded broker over loopback exactly as it would to an
 * external one, so both run the same code.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log.js';
import { encode, type DesiredStateMessage } from '../../shared/proto/codec.js';
import { CHANNEL_DELIVERY, type Topics } from '../../shared/topics.js';
import type { DesiredPublisher } from './dispatcher.js';

export class HubLink implements DesiredPublisher {
  readonly #client: MqttClient;
  readonly #topics: Topics;
  readonly #log: Logger;

  private constructor(client: MqttClient, topics: Topics, log: Logger) {
    this.#client = client;
    this.#topics = topics;
    this.#log = log;
  }

  static async connect(options: {
    url: string;
    /** User name and password on a broker that asks for them (the embedded one always does). */
    credentials?: { username: string; password: string };
    topics: Topics;
    log: Logger;
    onMessage: (topic: string, payload: Buffer) => void;
    /**
     * The broker came back without this link's session (restarted, or failed over): its
     * retained messages may be gone too, so whatever the hub keeps there must be sent again.
     */
    onSessionLost?: () => void;
  }): Promise<HubLink> {
    const { topics, log } = options;
    const client = await mqtt.connectAsync(options.url, {
      ...options.credentials,
      clientId: `flotilla-hub-${process.pid}`,
      clean: true,
      reconnectPeriod: 1_000,
    });
    const link = new HubLink(client, topics, log);
    client.on('message', (topic, payload) => options.onMessage(topic, payload));
    client.on('error', (error) => log.warn({ err: error.message }, 'hub MQTT client error'));
    const subscribe = () =>
      client.subscribeAsync({
        [topics.everyDevice('birth')]: { qos: 1 },
        [topics.everyDevice('death')]: { qos: 1 },
        [topics.everyDevice('status')]: { qos: 1 },
        [topics.everyDevice('events')]: { qos: 1 },
        [topics.everyDevice('heartbeat')]: { qos: 0 },
        [topics.everyDevice('podstats')]: { qos: 0 },
      });
    await subscribe();
    client.on('connect', (connack) => {
      if (connack.sessionPresent) return;
      log.info('the broker lost this link\'s session: subscribing and publishing the retained documents again');
      subscribe().catch((error: Error) => log.warn({ err: error.message }, 'resubscribe failed'));
      options.onSessionLost?.();
    });
    return link;
  }

  publishDesired(device: string, desired: DesiredStateMessage, sent?: (error?: Error) => void): void {
    const { qos, retain } = CHANNEL_DELIVERY.desired;
    this.#client.publish(this.#topics.device(device, 'desired'), Buffer.from(encode('DesiredState', desired)), { qos, retain }, (error) => {
      if (error) this.#log.warn({ device, err: error.message }, 'desired state not published');
      sent?.(error ?? undefined);
    });
  }

  /** An empty retained message removes the retained document from the broker. */
  clearDesired(device: string): void {
    this.#client.publish(this.#topics.device(device, 'desired'), Buffer.alloc(0), { qos: 1, retain: true });
  }

  /** `null` publishes an empty payload, which clears a retained topic. */
  publishJson(topic: string, value: unknown, retain: boolean): void {
    this.#client.publish(topic, value === null ? Buffer.alloc(0) : JSON.stringify(value), { qos: 1, retain });
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }
}
