/**
 * The agent's MQTT session with the hub.
 *
 * - Persistent session (clean: false) so the broker keeps the desired-state subscription and
 *   QoS 1 messages across link drops.
 * - Last Will on the death topic carrying this session's bdSeq; the birth that follows each
 *   connect carries the same bdSeq, so the hub can ignore the Will of an older session.
 * - Reconnects after a random delay from the very first attempt, so a fleet that lost its hub
 *   at the same instant does not come back in the same second (mqtt.js retries at a fixed
 *   period, so the link schedules reconnects itself).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../shared/log.js';
import {
  decode,
  encode,
  WireError,
  type BirthMessage,
  type DesiredStateMessage,
  type EventBatchMessage,
  type HeartbeatMessage,
  type PodStatsReportMessage,
  type StatusReportMessage,
} from '../shared/proto/codec.js';
import { CHANNEL_DELIVERY, EXCHANGE_DELIVERY, Topics, agentClientId, type DeviceChannel, type ExchangeKind } from '../shared/topics.js';
import { TypedEmitter } from '../shared/typed-emitter.js';

export interface LinkOptions {
  url: string;
  /** Mutual TLS with the device's own certificate, trusting the hub's CA only. */
  tls?: { keyPem: string; certificatePem: string; caPem: string };
  device: string;
  topics: Topics;
  /** bdSeq of the first session; each reconnect uses the next one. */
  firstBdSeq: number;
  /** Keepalive: the broker publishes the Will after 1.5× this much silence. */
  keepaliveSeconds?: number;
  reconnect?: ReconnectPolicy;
  /** Draws the reconnect jitter; Math.random unless a test needs to know the draws. */
  random?: () => number;
  log: Logger;
}

export interface ReconnectPolicy {
  /** The first attempt after a lost link waits a time drawn from [0, spreadMs). */
  spreadMs: number;
  /**
   * Later attempts wait baseMs · 2^attempt, never less than spreadMs and never more than
   * maxMs, without more jitter: each device keeps the phase it drew, so however long the hub
   * was away, the fleet arrives spread evenly over spreadMs (random delays at every attempt
   * would bunch up again just after the hub returns).
   */
  baseMs: number;
  maxMs: number;
}

/**
 * 10,000 devices coming back over 5 s is about 2,000 connections a second, which one broker
 * takes in its stride (10,000 mqtt.js clients connected to aedes in 3.6 s on two cores); a
 * single device that lost its link waits 2.5 s on average.
 */
export const DEFAULT_RECONNECT: ReconnectPolicy = { spreadMs: 5_000, baseMs: 1_000, maxMs: 60_000 };

/** How long reconnect attempt `attempt` (0 for the first after a lost link) waits. */
export function reconnectDelay(attempt: number, policy: ReconnectPolicy, random: () => number = Math.random): number {
  if (attempt <= 0) return Math.floor(policy.spreadMs * random());
  return Math.min(policy.maxMs, Math.max(policy.spreadMs, policy.baseMs * 2 ** attempt));
}

export interface LinkEvents {
  /** A session is up; publish the birth for `bdSeq` now. */
  connected: (bdSeq: number) => void;
  disconnected: () => void;
  desired: (desired: DesiredStateMessage) => void;
  /** The desired topic was cleared: the hub no longer knows this device. */
  desiredCleared: () => void;
  /** The hub asks something of this device (`req/{kind}`, the exchange's id in the message); the answer goes out with publishResponse. */
  request: (kind: ExchangeKind, payload: Buffer) => void;
}

const BD_SEQ_MODULO = 2 ** 32;

/** A stop never waits longer than this for the broker. */
const STOP_TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export class AgentLink extends TypedEmitter<LinkEvents> {
  readonly #options: LinkOptions;
  readonly #client: MqttClient;
  #bdSeq: number;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(options: LinkOptions) {
    super();
    this.#options = options;
    this.#bdSeq = options.firstBdSeq % BD_SEQ_MODULO;
    const { device, topics } = options;
    this.#client = mqtt.connect(options.url, {
      clientId: agentClientId(device),
      clean: false,
      keepalive: options.keepaliveSeconds ?? 30,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      // A heartbeat queued while offline is stale by the time it would be sent.
      queueQoSZero: false,
      will: { topic: topics.device(device, 'death'), payload: this.#deathPayload(false), qos: 1, retain: false },
      manualConnect: true,
      ...(options.tls ? { key: options.tls.keyPem, cert: options.tls.certificatePem, ca: options.tls.caPem, rejectUnauthorized: true } : {}),
    });
    this.#client.on('connect', () => this.#onConnect());
    this.#client.on('close', () => this.#onClose());
    this.#client.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      if (code === 4 || code === 5) {
        // The broker knows this device and says no: removed from the fleet, or enrolled again elsewhere.
        options.log.error({ err: error.message }, "the hub refused this device's credentials: it may have been removed from the fleet. To join again, remove the identity directory in the state directory and start with a new join token");
        return;
      }
      options.log.warn({ err: error.message }, 'MQTT link error');
    });
    this.#client.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  get bdSeq(): number {
    return this.#bdSeq;
  }

  get connected(): boolean {
    return this.#client.connected;
  }

  start(): void {
    this.#client.connect();
  }

  publishBirth(birth: BirthMessage): Promise<void> {
    return this.#publish('birth', encode('Birth', birth));
  }

  publishHeartbeat(heartbeat: HeartbeatMessage): Promise<void> {
    return this.#publish('heartbeat', encode('Heartbeat', heartbeat));
  }

  publishStatus(status: StatusReportMessage): Promise<void> {
    return this.#publish('status', encode('StatusReport', status));
  }

  publishEvents(batch: EventBatchMessage): Promise<void> {
    return this.#publish('events', encode('EventBatch', batch));
  }

  publishPodStats(report: PodStatsReportMessage): Promise<void> {
    return this.#publish('podstats', encode('PodStatsReport', report));
  }

  /** One answer to the hub's request `id`; resolves once the broker has it. */
  async publishResponse(kind: ExchangeKind, id: string, payload: Uint8Array): Promise<void> {
    const { qos, retain } = EXCHANGE_DELIVERY;
    await this.#client.publishAsync(this.#options.topics.deviceResponse(this.#options.device, kind, id), Buffer.from(payload), { qos, retain });
  }

  /**
   * The certificate for the next connection, after a renewal. The hub ends the session of the
   * old one as soon as it records the new one; the reconnect that follows uses this.
   */
  useCertificate(tls: { keyPem: string; certificatePem: string }): void {
    this.#client.options.key = tls.keyPem;
    this.#client.options.cert = tls.certificatePem;
  }

  /** Announces a clean stop (the broker sends no Will after a DISCONNECT), then closes. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#reconnectTimer);
    if (this.#client.connected) {
      await withTimeout(this.#publish('death', this.#deathPayload(true)), STOP_TIMEOUT_MS).catch(() => undefined);
    }
    // Without a link, a graceful end would wait forever for acks of messages in flight.
    await withTimeout(this.#client.endAsync(!this.#client.connected), STOP_TIMEOUT_MS).catch(() => this.#client.endAsync(true));
  }

  #deathPayload(graceful: boolean): Buffer {
    return Buffer.from(encode('Death', { bdSeq: this.#bdSeq, graceful }));
  }

  async #publish(channel: DeviceChannel, payload: Uint8Array): Promise<void> {
    const { qos, retain } = CHANNEL_DELIVERY[channel];
    await this.#client.publishAsync(this.#options.topics.device(this.#options.device, channel), Buffer.from(payload), {
      qos,
      retain,
    });
  }

  #onConnect(): void {
    this.#attempt = 0;
    this.#options.log.info({ url: this.#options.url, bdSeq: this.#bdSeq }, 'connected to hub');
    const topic = this.#options.topics.device(this.#options.device, 'desired');
    // The subscription survives in a persistent session, but a broker that lost its state
    // (restarted hub with an embedded broker) needs it again; re-subscribing is harmless.
    this.#client.subscribe(topic, { qos: 1 }, (error) => {
      if (error) this.#options.log.warn({ err: error.message }, 'subscribe to desired state failed');
    });
    this.#client.subscribe(this.#options.topics.deviceRequests(this.#options.device), { qos: 1 }, (error) => {
      if (error) this.#options.log.warn({ err: error.message }, "subscribe to the hub's requests failed");
    });
    this.emit('connected', this.#bdSeq);
  }

  #onClose(): void {
    if (this.#stopping) return;
    this.emit('disconnected');
    // The next session needs its own bdSeq, in its Will as in its birth.
    this.#bdSeq = (this.#bdSeq + 1) % BD_SEQ_MODULO;
    const will = this.#client.options.will;
    if (will) will.payload = this.#deathPayload(false);
    const delay = reconnectDelay(this.#attempt++, this.#options.reconnect ?? DEFAULT_RECONNECT, this.#options.random);
    this.#options.log.info({ delayMs: delay }, 'link to hub lost; reconnecting');
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (!this.#stopping) this.#client.reconnect();
    }, delay);
  }

  #onMessage(topic: string, payload: Buffer): void {
    const exchange = this.#options.topics.parseExchange(topic);
    if (exchange !== undefined) {
      if (exchange.device === this.#options.device && exchange.direction === 'req') this.emit('request', exchange.kind, payload);
      return;
    }
    const parsed = this.#options.topics.parseDevice(topic);
    if (parsed?.device !== this.#options.device || parsed.channel !== 'desired') return;
    if (payload.length === 0) {
      this.emit('desiredCleared');
      return;
    }
    try {
      this.emit('desired', decode('DesiredState', payload));
    } catch (error) {
      const message = error instanceof WireError ? error.message : String(error);
      this.#options.log.warn({ err: message }, 'dropped an unreadable desired state; keeping the last good one');
    }
  }
}
