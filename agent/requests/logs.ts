/**
 * Serves the hub's log requests (`req/logs/{id}` → `res/logs/{id}`): finds the pod's
 * container among this device's own, reads its log from the engine and sends it back in
 * numbered chunks of at most 16 KiB, the last one marked `done` and carrying the error, if
 * any, with what to do about it.
 *
 * Logs share the MQTT connection with heartbeats and status, so they never get ahead of
 * them: each stream has one chunk in flight at a time (the next waits for the broker's
 * acknowledgement), all streams together keep to a byte rate, the stream yields to other
 * work between chunks, and only a few streams run at once. A stream lives only as long as
 * the hub renews its lease: a hub that died, or a reader that left without a word, never
 * keeps a device streaming.
 */
import type { Readable } from 'node:stream';
import { FlotillaError, isFlotillaError, type ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { decode, type LogChunkMessage, type LogRequestMessage } from '../../shared/proto/codec.js';
import { exchangeIdProblem } from '../../shared/topics.js';
import { LABEL_CONTAINER, LABEL_POD_UID, type ContainerRecord, type ContainerRuntime, type LogOptions } from '../runtime/runtime.js';
import { ByteRate } from './byte-rate.js';

export interface LogLimits {
  /** Log streams served at once; a request beyond them is refused at once, saying so. */
  maxStreams: number;
  /** All streams together: a slow uplink keeps room for heartbeats and status. */
  bytesPerSecond: number;
  /** The largest chunk sent. */
  chunkBytes: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxStreams: 4, bytesPerSecond: 64 * 1024, chunkBytes: 16 * 1024 };

/** A lease the hub leaves out gets this; one outside the bounds is brought within them. */
const DEFAULT_LEASE_SECONDS = 30;
const MIN_LEASE_SECONDS = 5;
const MAX_LEASE_SECONDS = 300;

/** Bytes read ahead of what was sent before the engine's stream is paused, and resumed below the low mark. */
const HIGH_WATER_CHUNKS = 4;
const LOW_WATER_CHUNKS = 1;

export interface LogServerOptions {
  device: string;
  runtime: ContainerRuntime;
  /** Publishes one chunk of exchange `id`; resolves once the broker has it (QoS 1). */
  send(id: string, chunk: LogChunkMessage): Promise<void>;
  log: Logger;
  limits?: Partial<LogLimits>;
}

/** What a finished stream tells the hub: nothing (it ended well), or why it ended. */
interface Failure {
  code: ErrorCode;
  message: string;
  hint?: string;
}

export class LogRequestServer {
  readonly #options: LogServerOptions;
  readonly #limits: LogLimits;
  readonly #rate: ByteRate;
  readonly #sessions = new Map<string, LogSession>();

  constructor(options: LogServerOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_LOG_LIMITS, ...options.limits };
    this.#rate = new ByteRate(this.#limits.bytesPerSecond);
  }

  /** Log streams running now. */
  get streams(): number {
    return this.#sessions.size;
  }

  /** One message on `req/logs`; a message without a usable id has no one to answer, and is dropped. */
  handle(payload: Uint8Array): void {
    let request: LogRequestMessage;
    try {
      request = decode('LogRequest', payload);
    } catch (error) {
      this.#options.log.warn({ err: (error as Error).message }, 'dropped an unreadable log request');
      return;
    }
    const id = request.id;
    const problem = exchangeIdProblem(id);
    if (problem !== undefined) {
      this.#options.log.warn({ id: id.slice(0, 70), why: problem }, 'dropped a log request with no usable id');
      return;
    }
    switch (request.action) {
      case 'start':
        void this.#start(id, request);
        return;
      case 'renew':
        // A stream that already ended (or an agent that restarted) has nothing to renew: the
        // hub hears nothing and ends the stream when its answer does not come.
        this.#sessions.get(id)?.renew(leaseMs(request.leaseSeconds));
        return;
      case 'cancel':
        this.#sessions.get(id)?.close();
        return;
      default:
        this.#refuse(id, { code: 'BadRequest', message: `device ${this.#options.device} does not know the log request action "${String(request.action)}"`, hint: 'the hub and the agent may be of different versions' });
    }
  }

  /** Ends every stream without a word: the link is down (nothing could be sent), or the agent stops. */
  stopAll(): void {
    for (const session of [...this.#sessions.values()]) session.close();
  }

  async #start(id: string, request: LogRequestMessage): Promise<void> {
    // QoS 1 may deliver a request twice: the stream it started is already running.
    if (this.#sessions.has(id)) return;
    const { device, runtime, log } = this.#options;
    if (this.#sessions.size >= this.#limits.maxStreams) {
      this.#refuse(id, {
        code: 'Unavailable',
        message: `device ${device} is already serving ${this.#sessions.size} log streams, as many as it serves at once`,
        hint: 'try again when one of them ends (a follow ends when its reader leaves)',
      });
      return;
    }
    const session = new LogSession(id, {
      limits: this.#limits,
      rate: this.#rate,
      send: this.#options.send,
      log,
      onClosed: () => this.#sessions.delete(id),
    });
    this.#sessions.set(id, session);
    session.renew(leaseMs(request.leaseSeconds));
    const pod = `${request.namespace}/${request.podName}`;
    try {
      const container = await findContainer(device, runtime, request);
      if (runtime.logs === undefined) {
        throw new FlotillaError('Unavailable', `the ${runtime.name} runtime of device ${device} cannot read container logs`);
      }
      const options: LogOptions = { follow: request.follow, timestamps: request.timestamps };
      if (request.tailLines >= 0) options.tailLines = request.tailLines;
      if (request.sinceSeconds > 0) options.sinceSeconds = request.sinceSeconds;
      const stream = await runtime.logs(container.id, options);
      log.debug({ id, pod, container: request.container, follow: request.follow }, 'log stream started');
      session.begin(stream);
    } catch (error) {
      session.fail(failureOf(device, error));
    }
  }

  /** A one-chunk answer to a request that starts no stream. */
  #refuse(id: string, failure: Failure): void {
    this.#options.send(id, lastChunk(0, failure)).catch((error: Error) => this.#options.log.debug({ id, err: error.message }, 'log refusal not sent'));
  }
}

/** The pod's container on this device: the running one, else the one that ran last. */
async function findContainer(device: string, runtime: ContainerRuntime, request: LogRequestMessage): Promise<ContainerRecord> {
  const pod = `${request.namespace}/${request.podName}`;
  const ofPod = (await runtime.list()).filter((record) => record.labels[LABEL_POD_UID] === request.podUid);
  if (ofPod.length === 0) {
    throw new FlotillaError('NotFound', `no container of pod ${pod} is on device ${device}: it has not started here yet, or it runs elsewhere`, {
      hint: `see its state and events: flotilla describe pod ${request.podName} -n ${request.namespace}`,
    });
  }
  const named = ofPod.filter((record) => record.labels[LABEL_CONTAINER] === request.container);
  if (named.length === 0) {
    const here = [...new Set(ofPod.map((record) => record.labels[LABEL_CONTAINER] ?? ''))].sort().join(', ');
    throw new FlotillaError('BadRequest', `pod ${pod} has no container "${request.container}" on device ${device} (its containers here: ${here}); it has not been created yet`, {
      details: [{ field: 'container', message: `not on device ${device}` }],
      hint: `see its state and events: flotilla describe pod ${request.podName} -n ${request.namespace}`,
    });
  }
  const latest = (record: ContainerRecord) => record.startedAt ?? record.finishedAt ?? 0;
  return named.find((record) => record.state === 'running') ?? [...named].sort((a, b) => latest(b) - latest(a))[0] ?? (named[0] as ContainerRecord);
}

function failureOf(device: string, error: unknown): Failure {
  if (isFlotillaError(error)) return { code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) };
  return { code: 'Internal', message: `device ${device} could not read the log: ${error instanceof Error ? error.message : String(error)}` };
}

function leaseMs(seconds: number): number {
  const lease = seconds > 0 ? seconds : DEFAULT_LEASE_SECONDS;
  return Math.min(MAX_LEASE_SECONDS, Math.max(MIN_LEASE_SECONDS, lease)) * 1000;
}

function lastChunk(sequence: number, failure: Failure | undefined): LogChunkMessage {
  return {
    sequence,
    data: new Uint8Array(0),
    done: true,
    errorCode: failure?.code ?? '',
    error: failure?.message ?? '',
    hint: failure?.hint ?? '',
  };
}

function yieldToOtherWork(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface SessionContext {
  limits: LogLimits;
  rate: ByteRate;
  send(id: string, chunk: LogChunkMessage): Promise<void>;
  log: Logger;
  onClosed(): void;
}

/** One exchange: the engine's stream in, numbered chunks out, one at a time. */
class LogSession {
  readonly #id: string;
  readonly #ctx: SessionContext;
  #sequence = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #stream: Readable | undefined;
  /** Nothing more will come from the engine; the last chunk goes once the pending bytes are out. */
  #ended = false;
  #failure: Failure | undefined;
  #closed = false;
  #sending = false;
  /** The hub waits for an answer (the start, or a renew): a chunk goes even with no data. */
  #answerDue = true;
  #lease: NodeJS.Timeout | undefined;
  #sentBytes = 0;

  constructor(id: string, ctx: SessionContext) {
    this.#id = id;
    this.#ctx = ctx;
  }

  begin(stream: Readable): void {
    if (this.#closed) {
      stream.destroy();
      return;
    }
    this.#stream = stream;
    stream.on('data', (data: Buffer | string) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      if (bytes.length === 0 || this.#ended) return;
      this.#pending.push(bytes);
      this.#pendingBytes += bytes.length;
      if (this.#pendingBytes >= HIGH_WATER_CHUNKS * this.#ctx.limits.chunkBytes) stream.pause();
      this.#pump();
    });
    stream.once('end', () => this.#end(undefined));
    stream.once('error', (error: Error) => this.#end({ code: 'Unavailable', message: `the engine's log stream broke off: ${error.message}` }));
    // Destroyed without an end (the engine closed the connection): what came is all there is.
    stream.once('close', () => this.#end(undefined));
    this.#pump();
  }

  /** The hub still listens: keep going for another lease, and answer so it knows this device does too. */
  renew(ms: number): void {
    if (this.#closed) return;
    clearTimeout(this.#lease);
    this.#lease = setTimeout(() => this.#expire(ms), ms);
    this.#lease.unref();
    this.#answerDue = true;
    this.#pump();
  }

  /** Ends the stream with this failure as its last word. */
  fail(failure: Failure): void {
    this.#end(failure);
  }

  /** Stops at once and sends nothing more: the hub cancelled, or nothing can be sent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#lease);
    this.#stream?.destroy();
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#ctx.log.debug({ id: this.#id, bytes: this.#sentBytes }, 'log stream ended');
    this.#ctx.onClosed();
  }

  #expire(ms: number): void {
    this.#ctx.log.info({ id: this.#id }, 'log stream ended: the hub stopped renewing it');
    // What was read but not sent is dropped: nobody is known to listen any more.
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#end({ code: 'Gone', message: `the log stream ended: the hub did not renew it within ${Math.round(ms / 1000)} s` });
  }

  #end(failure: Failure | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    this.#stream?.destroy();
    this.#pump();
  }

  #pump(): void {
    if (this.#sending || this.#closed) return;
    this.#sending = true;
    this.#drain()
      .catch((error: Error) => {
        this.#ctx.log.debug({ id: this.#id, err: error.message }, 'log chunk not sent; ending the stream');
        this.close();
      })
      .finally(() => {
        this.#sending = false;
      });
  }

  /** Sends what there is to send, one chunk at a time, until nothing is left or the stream closed. */
  async #drain(): Promise<void> {
    const { limits, rate } = this.#ctx;
    while (!this.#closed) {
      if (this.#pendingBytes > 0) {
        const data = this.#take(limits.chunkBytes);
        await rate.take(data.length);
        if (this.#closed) return;
        await this.#send({ data });
        this.#sentBytes += data.length;
        if (this.#stream?.isPaused() && this.#pendingBytes <= LOW_WATER_CHUNKS * limits.chunkBytes && !this.#ended) this.#stream.resume();
        await yieldToOtherWork();
      } else if (this.#ended) {
        await this.#ctx.send(this.#id, lastChunk(this.#sequence++, this.#failure));
        this.close();
        return;
      } else if (this.#answerDue && this.#stream !== undefined) {
        // Only once the log is open: a request that fails before gets its error as the one answer.
        await this.#send({ data: new Uint8Array(0) });
      } else {
        return;
      }
    }
  }

  async #send(part: { data: Uint8Array }): Promise<void> {
    this.#answerDue = false;
    await this.#ctx.send(this.#id, { sequence: this.#sequence++, data: part.data, done: false, errorCode: '', error: '', hint: '' });
  }

  /** Up to `max` bytes from the front of what is pending. */
  #take(max: number): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < max && this.#pending.length > 0) {
      const head = this.#pending[0] as Buffer;
      const room = max - size;
      if (head.length <= room) {
        parts.push(head);
        size += head.length;
        this.#pending.shift();
      } else {
        parts.push(head.subarray(0, room));
        this.#pending[0] = head.subarray(room);
        size += room;
      }
    }
    this.#pendingBytes -= size;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }
}
