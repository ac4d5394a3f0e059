/**
 * The hub's side of request/response with devices: it asks on `{prefix}/d/{device}/req/logs/{id}`
 * and gathers the answers from `.../res/logs/{id}`, tied together by a random id. The device
 * only ever connects out, so this reaches devices behind NAT.
 *
 * - Answers are numbered: they are put back in order, and one seen before (QoS 1 delivers
 *   at least once) is dropped.
 * - Every stream has a lease the hub renews while someone reads it; the device answers each
 *   renew, so a device that stopped answering is noticed within one renew and a timeout, and
 *   a hub that died leaves no device streaming past one lease.
 * - It has its own MQTT connection: a log of many megabytes never queues in front of the
 *   heartbeats and status the hub's main link reads.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { FlotillaError, type ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { decode, encode, WireError, type LogChunkMessage, type LogRequestMessage } from '../../shared/proto/codec.js';
import { EXCHANGE_DELIVERY, type Topics } from '../../shared/topics.js';

/** What to read of which container, as the API was asked. */
export interface LogQuery {
  namespace: string;
  podName: string;
  podUid: string;
  container: string;
  /** Lines from the end; undefined for the whole log. */
  tailLines?: number;
  /** Only the last this many seconds; undefined for no limit. */
  sinceSeconds?: number;
  follow: boolean;
  timestamps: boolean;
}

/** Where one exchange's answers go. Every call comes in this order: accepted?, data*, end. */
export interface LogReceiver {
  /** The device took the request and the log follows (it may be empty). Before any data. */
  accepted(): void;
  data(bytes: Buffer): void;
  /** Nothing follows: the whole log came (no error), or why it did not. Not called after cancel(). */
  end(error?: FlotillaError): void;
}

export interface LogExchange {
  /** Stops the exchange and tells the device to stop; the receiver hears nothing more. */
  cancel(): void;
}

/** What the API needs to fetch a container's log from a device. */
export interface DeviceLogSource {
  openLogs(device: string, query: LogQuery, receiver: LogReceiver): LogExchange;
}

/** What the hub knows of a device's last contact, for a message when it does not answer. */
export interface DeviceContact {
  state?: string;
  lastSeen?: string;
}

export interface DeviceRequestsOptions {
  topics: Topics;
  log: Logger;
  /** The device ends a stream this long after the last renew (whole seconds, as the wire carries it). */
  leaseSeconds?: number;
  /** How often the hub renews; a third of the lease by default, so one lost renew costs nothing. */
  renewEveryMs?: number;
  /** How long the device has to answer a request or a renew. */
  answerTimeoutMs?: number;
  contactOf?: (device: string) => DeviceContact | undefined;
}

export const DEFAULT_LEASE_SECONDS = 30;
export const DEFAULT_ANSWER_TIMEOUT_MS = 10_000;

/** Chunks held back waiting for an earlier one; more than this and one is taken as lost. */
const MAX_OUT_OF_ORDER = 64;

/** Longest message from a device passed on; anything longer is cut. */
const MAX_DEVICE_TEXT = 1_024;

/** Every error code, so a device's word is checked against them (the compiler keeps the list whole). */
const ERROR_CODES: Record<ErrorCode, true> = {
  Invalid: true,
  BadRequest: true,
  Unauthorized: true,
  Forbidden: true,
  NotFound: true,
  AlreadyExists: true,
  Conflict: true,
  Gone: true,
  PayloadTooLarge: true,
  Unavailable: true,
  Internal: true,
};

/** How the hub sends to devices; an MQTT client in the hub, anything that publishes in tests. */
export type Publish = (topic: string, payload: Uint8Array) => Promise<void>;

export class DeviceRequests implements DeviceLogSource {
  readonly #topics: Topics;
  readonly #log: Logger;
  readonly #publish: Publish;
  readonly #leaseSeconds: number;
  readonly #renewEveryMs: number;
  readonly #answerTimeoutMs: number;
  readonly #contactOf: (device: string) => DeviceContact | undefined;
  readonly #exchanges = new Map<string, PendingLog>();
  #onClose: () => Promise<void> = async () => undefined;

  constructor(publish: Publish, options: DeviceRequestsOptions) {
    this.#publish = publish;
    this.#topics = options.topics;
    this.#log = options.log;
    this.#leaseSeconds = Math.max(1, Math.round(options.leaseSeconds ?? DEFAULT_LEASE_SECONDS));
    this.#renewEveryMs = options.renewEveryMs ?? (this.#leaseSeconds * 1000) / 3;
    this.#answerTimeoutMs = options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
    this.#contactOf = options.contactOf ?? (() => undefined);
  }

  /** A DeviceRequests on its own connection to the broker, subscribed to every device's answers. */
  static async connect(options: DeviceRequestsOptions & { url: string; credentials?: { username: string; password: string } }): Promise<DeviceRequests> {
    const client: MqttClient = await mqtt.connectAsync(options.url, {
      ...options.credentials,
      clientId: `flotilla-hub-requests-${process.pid}-${randomBytes(3).toString('hex')}`,
      clean: true,
      reconnectPeriod: 1_000,
    });
    client.on('error', (error) => options.log.warn({ err: error.message }, 'device request link error'));
    const requests = new DeviceRequests(async (topic, payload) => {
      const { qos, retain } = EXCHANGE_DELIVERY;
      await client.publishAsync(topic, Buffer.from(payload), { qos, retain });
    }, options);
    client.on('message', (topic, payload) => requests.handle(topic, payload));
    // mqtt.js subscribes again by itself after a reconnect.
    await client.subscribeAsync(options.topics.everyDeviceResponse('logs'), { qos: 1 });
    requests.#onClose = async () => {
      await client.endAsync();
    };
    return requests;
  }

  /** Exchanges under way. */
  get open(): number {
    return this.#exchanges.size;
  }

  openLogs(device: string, query: LogQuery, receiver: LogReceiver): LogExchange {
    const id = randomBytes(8).toString('hex');
    const exchange = new PendingLog(id, device, receiver, {
      send: (action) => this.#send(device, id, action, query),
      answerTimeoutMs: this.#answerTimeoutMs,
      renewEveryMs: this.#renewEveryMs,
      silence: (accepted) => this.#silence(device, accepted),
      onFinished: () => this.#exchanges.delete(id),
      log: this.#log,
    });
    this.#exchanges.set(id, exchange);
    exchange.start();
    return { cancel: () => exchange.cancel() };
  }

  /** One message from the broker; answers that are not to a request under way are dropped. */
  handle(topic: string, payload: Buffer): void {
    const parsed = this.#topics.parseExchange(topic);
    if (parsed?.direction !== 'res' || parsed.kind !== 'logs') return;
    const exchange = this.#exchanges.get(parsed.id);
    if (exchange === undefined || exchange.device !== parsed.device) return;
    let chunk: LogChunkMessage;
    try {
      chunk = decode('LogChunk', payload);
    } catch (error) {
      const message = error instanceof WireError ? error.message : String(error);
      this.#log.warn({ device: parsed.device, id: parsed.id, err: message }, 'unreadable log chunk');
      exchange.fail(new FlotillaError('Internal', `device ${parsed.device} sent a log chunk the hub cannot read: ${message}`));
      return;
    }
    exchange.receive(chunk);
  }

  /** Ends every exchange (telling each device to stop) and the connection. */
  async close(): Promise<void> {
    for (const exchange of [...this.#exchanges.values()]) {
      exchange.fail(new FlotillaError('Unavailable', 'the hub is stopping', { hint: 'ask again once it is back' }), true);
    }
    await this.#onClose();
  }

  async #send(device: string, id: string, action: LogRequestMessage['action'], query: LogQuery): Promise<void> {
    const request: Partial<LogRequestMessage> = { id, action, leaseSeconds: this.#leaseSeconds };
    if (action === 'start') {
      Object.assign(request, {
        namespace: query.namespace,
        podName: query.podName,
        podUid: query.podUid,
        container: query.container,
        tailLines: query.tailLines ?? -1,
        sinceSeconds: query.sinceSeconds ?? 0,
        follow: query.follow,
        timestamps: query.timestamps,
      });
    }
    await this.#publish(this.#topics.deviceRequest(device, 'logs'), encode('LogRequest', request));
  }

  /** The error for a device that did not answer in time, with what the hub knows of it. */
  #silence(device: string, accepted: boolean): FlotillaError {
    const wait = this.#answerTimeoutMs < 1000 ? `${this.#answerTimeoutMs} ms` : `${Math.round(this.#answerTimeoutMs / 1000)} s`;
    const what = accepted ? `device ${device} stopped answering the log stream (no answer within ${wait})` : `device ${device} did not answer the log request within ${wait}`;
    const contact = this.#contactOf(device);
    const known = [contact?.state === undefined ? undefined : `it is ${contact.state}`, contact?.lastSeen === undefined ? undefined : `its last contact was ${contact.lastSeen}`].filter(
      (part): part is string => part !== undefined,
    );
    return new FlotillaError('Unavailable', known.length === 0 ? what : `${what}; ${known.join(', and ')}`, {
      hint: `check the device with: flotilla get devices ${device}; its agent may be stopped, or its link to the hub down`,
    });
  }
}

interface PendingLogContext {
  send(action: LogRequestMessage['action']): Promise<void>;
  answerTimeoutMs: number;
  renewEveryMs: number;
  silence(accepted: boolean): FlotillaError;
  onFinished(): void;
  log: Logger;
}

/** One exchange: the answers put in order, the lease renewed, the silence timed. */
class PendingLog {
  readonly id: string;
  readonly device: string;
  readonly #receiver: LogReceiver;
  readonly #ctx: PendingLogContext;
  #next = 0;
  readonly #early = new Map<number, LogChunkMessage>();
  #accepted = false;
  #finished = false;
  #answerTimer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;

  constructor(id: string, device: string, receiver: LogReceiver, ctx: PendingLogContext) {
    this.id = id;
    this.device = device;
    this.#receiver = receiver;
    this.#ctx = ctx;
  }

  start(): void {
    this.#awaitAnswer();
    this.#ctx.send('start').catch((error: Error) => this.fail(new FlotillaError('Unavailable', `the log request to device ${this.device} was not sent: ${error.message}`)));
    this.#renewTimer = setInterval(() => this.#renew(), this.#ctx.renewEveryMs);
  }

  receive(chunk: LogChunkMessage): void {
    if (this.#finished) return;
    // Seen before: QoS 1 delivered it again.
    if (chunk.sequence < this.#next || this.#early.has(chunk.sequence)) return;
    this.#early.set(chunk.sequence, chunk);
    if (this.#early.size > MAX_OUT_OF_ORDER) {
      this.fail(new FlotillaError('Unavailable', `part of the log from device ${this.device} went missing (chunk ${this.#next} never came)`, { hint: 'ask again' }));
      return;
    }
    for (let next = this.#early.get(this.#next); next !== undefined && !this.#finished; next = this.#early.get(this.#next)) {
      this.#early.delete(this.#next);
      this.#next++;
      this.#deliver(next);
    }
  }

  /** Ends the exchange with an error; `tellDevice` also asks the device to stop. */
  fail(error: FlotillaError, tellDevice = false): void {
    if (this.#finished) return;
    if (tellDevice) this.#cancelOnDevice();
    this.#finish();
    this.#receiver.end(error);
  }

  cancel(): void {
    if (this.#finished) return;
    this.#cancelOnDevice();
    this.#finish();
  }

  #deliver(chunk: LogChunkMessage): void {
    clearTimeout(this.#answerTimer);
    this.#answerTimer = undefined;
    const failed = chunk.done && chunk.errorCode !== '';
    if (!this.#accepted && !failed) {
      this.#accepted = true;
      this.#receiver.accepted();
    }
    if (chunk.data.length > 0 && this.#accepted) this.#receiver.data(Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength));
    if (!chunk.done) return;
    this.#finish();
    this.#receiver.end(failed ? deviceError(this.device, chunk) : undefined);
  }

  #renew(): void {
    this.#ctx.send('renew').catch((error: Error) => this.#ctx.log.debug({ device: this.device, id: this.id, err: error.message }, 'log lease not renewed'));
    if (this.#answerTimer === undefined) this.#awaitAnswer();
  }

  #awaitAnswer(): void {
    this.#answerTimer = setTimeout(() => this.fail(this.#ctx.silence(this.#accepted), true), this.#ctx.answerTimeoutMs);
  }

  #cancelOnDevice(): void {
    this.#ctx.send('cancel').catch((error: Error) => this.#ctx.log.debug({ device: this.device, id: this.id, err: error.message }, 'log cancel not sent'));
  }

  #finish(): void {
    this.#finished = true;
    clearTimeout(this.#answerTimer);
    clearInterval(this.#renewTimer);
    this.#early.clear();
    this.#ctx.onFinished();
  }
}

/** The device's own word on why the log ended, as the error the API answers with. */
function deviceError(device: string, chunk: LogChunkMessage): FlotillaError {
  const code: ErrorCode = Object.hasOwn(ERROR_CODES, chunk.errorCode) ? (chunk.errorCode as ErrorCode) : 'Internal';
  const message = (chunk.error || `device ${device} could not give the log`).slice(0, MAX_DEVICE_TEXT);
  return new FlotillaError(code, message, chunk.hint ? { hint: chunk.hint.slice(0, MAX_DEVICE_TEXT) } : {});
}
