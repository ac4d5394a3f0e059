/**
 * What the agent must tell the hub and must not lose while the link is down: status reports
 * and pod events, in the order they happened. Everything goes through here, online or not;
 * while the link is up an entry leaves within milliseconds.
 *
 * - Bounded (1,000 entries or 1 MiB, whichever comes first): when full, the oldest entries
 *   go first, and how many went is told to the hub with the next event batch.
 * - A status report is the whole device's status, so a new one replaces any queued one (the
 *   hub only needs the latest); events are never merged: each happened.
 * - Kept on disk in the state directory, so a device that reboots while offline still sends
 *   what happened before. The file is written a moment after a change while offline; online,
 *   only once an entry has waited several seconds for the broker, so a device whose messages
 *   leave at once does not write its SD card for each of them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceEventMessage, EventBatchMessage, StatusReportMessage } from '../shared/proto/codec.js';
import type { PodEvent } from './reconciler/pod-events.js';
import { DocumentFile, type WriteFailureReporter } from './state/document-file.js';

export interface OutboxLimits {
  maxEntries: number;
  /** Of the entries as they are kept on disk (JSON). */
  maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxEntries: 1_000, maxBytes: 1024 * 1024 };

/** Events sent in one message at most, and their size (JSON): well under the hub's payload limit. */
export const BATCH_LIMITS = { maxEvents: 100, maxBytes: 64 * 1024 };

export type OutboxEntry = { kind: 'status'; report: StatusReportMessage } | { kind: 'event'; event: DeviceEventMessage };

/** What to publish next. Hand it to acknowledge() once the broker has it, or to release() if it could not be sent. */
export type Outgoing =
  | { kind: 'status'; report: StatusReportMessage; ids: number[] }
  | { kind: 'events'; batch: EventBatchMessage; ids: number[] };

interface Held {
  /** Names the entry in this process only; not kept on disk. */
  id: number;
  bytes: number;
  entry: OutboxEntry;
}

interface OutboxDocument {
  stream: string;
  nextSequence: number;
  /** Dropped and not yet told to the hub. */
  dropped: number;
  entries: OutboxEntry[];
}

export interface OutboxOptions {
  limits?: OutboxLimits;
  /** How long after a change the file is written while offline; default 1 s. */
  persistDelayMs?: number;
  /** The same while online, where entries normally leave before it is due; default 10 s. */
  onlinePersistDelayMs?: number;
  onWriteFailure?: WriteFailureReporter;
}

const FILE = 'outbox.json';
const EMPTY = JSON.stringify({ entries: [] });

export class Outbox {
  readonly #limits: OutboxLimits;
  readonly #persistDelayMs: number;
  readonly #onlinePersistDelayMs: number;
  #online = false;
  readonly #file: DocumentFile;
  readonly #stream: string;
  #nextSequence: number;
  /** Dropped, and not yet in a batch handed out. */
  #dropped: number;
  /** Dropped, and told in a batch on its way. */
  #droppedInFlight = 0;
  #held: Held[] = [];
  #bytes = 0;
  #nextId = 1;
  /** Handed out by next() and not yet acknowledged or released. */
  readonly #inFlight = new Set<number>();
  /** In flight when the bound pushed them out: lost after all if their publish fails. */
  readonly #evictedInFlight = new Set<number>();
  #persistTimer: NodeJS.Timeout | undefined;

  private constructor(dir: string, document: OutboxDocument, options: OutboxOptions) {
    this.#limits = options.limits ?? DEFAULT_OUTBOX_LIMITS;
    this.#persistDelayMs = options.persistDelayMs ?? 1_000;
    this.#onlinePersistDelayMs = options.onlinePersistDelayMs ?? 10_000;
    this.#stream = document.stream;
    this.#nextSequence = document.nextSequence;
    this.#dropped = document.dropped;
    for (const entry of document.entries) this.#append(entry);
    this.#enforceBound();
    // An empty outbox reads back the same from a missing file: a device that never went
    // offline never writes one.
    const empty = this.#held.length === 0 && this.dropped === 0;
    this.#file = new DocumentFile(join(dir, FILE), () => JSON.stringify(this.#document()), options.onWriteFailure ?? (() => undefined), empty ? EMPTY : undefined);
  }

  static open(dir: string, options: OutboxOptions = {}): Outbox {
    mkdirSync(dir, { recursive: true });
    return new Outbox(dir, readDocument(join(dir, FILE)), options);
  }

  /** Entries waiting, including those on their way. */
  get length(): number {
    return this.#held.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Entries dropped and not yet known to be told to the hub. */
  get dropped(): number {
    return this.#dropped + this.#droppedInFlight;
  }

  get stream(): string {
    return this.#stream;
  }

  get entries(): OutboxEntry[] {
    return this.#held.map((held) => held.entry);
  }

  /** Queues the device's status, replacing a queued one that is not on its way already. */
  addStatus(report: StatusReportMessage): void {
    const stale = this.#held.filter((held) => held.entry.kind === 'status' && !this.#inFlight.has(held.id));
    for (const held of stale) this.#remove(held.id);
    this.#append({ kind: 'status', report });
    this.#changed();
  }

  /** Queues an event with the next sequence number of the stream; returns it. */
  addEvent(event: PodEvent): DeviceEventMessage {
    const numbered: DeviceEventMessage = { ...event, sequence: this.#nextSequence++ };
    this.#append({ kind: 'event', event: numbered });
    this.#changed();
    return numbered;
  }

  /**
   * The next message to publish after those on their way: the oldest entry not handed out,
   * with the events right after it when it is an event. A drop not yet told goes out first,
   * in an event batch of its own if need be. Undefined when there is nothing more to send.
   */
  next(): Outgoing | undefined {
    const start = this.#held.findIndex((held) => !this.#inFlight.has(held.id));
    const head = start < 0 ? undefined : this.#held[start];
    if (head === undefined && this.#dropped === 0) return undefined;
    let outgoing: Outgoing;
    if (head?.entry.kind === 'status' && this.#dropped === 0) {
      outgoing = { kind: 'status', report: head.entry.report, ids: [head.id] };
    } else {
      const events: DeviceEventMessage[] = [];
      const ids: number[] = [];
      let bytes = 0;
      for (const held of start < 0 ? [] : this.#held.slice(start)) {
        if (held.entry.kind !== 'event' || events.length >= BATCH_LIMITS.maxEvents) break;
        if (events.length > 0 && bytes + held.bytes > BATCH_LIMITS.maxBytes) break;
        events.push(held.entry.event);
        ids.push(held.id);
        bytes += held.bytes;
      }
      outgoing = { kind: 'events', batch: { events, dropped: this.#dropped, stream: this.#stream }, ids };
      this.#droppedInFlight += this.#dropped;
      this.#dropped = 0;
    }
    for (const id of outgoing.ids) this.#inFlight.add(id);
    return outgoing;
  }

  /** The broker has it: forget it. */
  acknowledge(outgoing: Outgoing): void {
    for (const id of outgoing.ids) {
      this.#remove(id);
      this.#inFlight.delete(id);
      this.#evictedInFlight.delete(id);
    }
    if (outgoing.kind === 'events') this.#droppedInFlight -= outgoing.batch.dropped;
    this.#changed();
  }

  /** It could not be sent: it is handed out again, first. */
  release(outgoing: Outgoing): void {
    for (const id of outgoing.ids) {
      this.#inFlight.delete(id);
      if (this.#evictedInFlight.delete(id)) this.#dropped++;
    }
    if (outgoing.kind === 'events') {
      this.#droppedInFlight -= outgoing.batch.dropped;
      this.#dropped += outgoing.batch.dropped;
    }
    this.#changed();
  }

  /** Whether the link is up. Going offline, what is not on disk yet is written soon. */
  setOnline(online: boolean): void {
    if (this.#online === online) return;
    this.#online = online;
    if (!online && this.#persistTimer !== undefined) {
      clearTimeout(this.#persistTimer);
      this.#persistTimer = undefined;
      this.#schedulePersist();
    }
  }

  /** Writes the file now if it changed; see flushed(). Never throws. */
  flush(): void {
    clearTimeout(this.#persistTimer);
    this.#persistTimer = undefined;
    this.#file.flush();
  }

  async flushed(): Promise<void> {
    await this.#file.flushed();
  }

  /** Writes what is left and stops the timer. */
  async close(): Promise<void> {
    this.flush();
    await this.flushed();
  }

  #append(entry: OutboxEntry): void {
    const bytes = Buffer.byteLength(JSON.stringify(entry));
    this.#held.push({ id: this.#nextId++, bytes, entry });
    this.#bytes += bytes;
    this.#enforceBound();
  }

  /** Oldest first, but never the entry just added: the latest news is worth the most. */
  #enforceBound(): void {
    while (this.#held.length > 1 && (this.#held.length > this.#limits.maxEntries || this.#bytes > this.#limits.maxBytes)) {
      const oldest = this.#held.shift() as Held;
      this.#bytes -= oldest.bytes;
      // One on its way may still arrive: counted as dropped only if its publish fails.
      if (this.#inFlight.has(oldest.id)) this.#evictedInFlight.add(oldest.id);
      else this.#dropped++;
    }
  }

  #remove(id: number): void {
    const index = this.#held.findIndex((held) => held.id === id);
    if (index < 0) return;
    const [held] = this.#held.splice(index, 1) as [Held];
    this.#bytes -= held.bytes;
  }

  #changed(): void {
    this.#file.changed();
    if (this.#persistTimer === undefined) this.#schedulePersist();
  }

  #schedulePersist(): void {
    this.#persistTimer = setTimeout(
      () => {
        this.#persistTimer = undefined;
        this.#file.flush();
      },
      this.#online ? this.#onlinePersistDelayMs : this.#persistDelayMs,
    );
    // Pending entries are written at close(); the timer alone keeps no process alive.
    this.#persistTimer.unref();
  }

  /**
   * With nothing pending the file says only that, so a device online writes nothing as its
   * sequence numbers move on; an outbox opened from it starts a new stream, which is safe as
   * nothing of the old one can be sent again.
   */
  #document(): OutboxDocument | { entries: [] } {
    if (this.#held.length === 0 && this.dropped === 0) return { entries: [] };
    // What is on its way is kept until acknowledged: after a crash it goes again.
    return { stream: this.#stream, nextSequence: this.#nextSequence, dropped: this.dropped, entries: this.entries };
  }
}

/** The document on disk, or a new one (with a new stream) when there is none or it is unreadable. */
function readDocument(path: string): OutboxDocument {
  const parsed = DocumentFile.read(path) as Partial<OutboxDocument> | undefined;
  const fresh: OutboxDocument = { stream: randomBytes(8).toString('hex'), nextSequence: 1, dropped: 0, entries: [] };
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.stream !== 'string' || parsed.stream === '') return fresh;
  const entries = Array.isArray(parsed.entries) ? parsed.entries.filter(isEntry) : [];
  const dropped = typeof parsed.dropped === 'number' && parsed.dropped > 0 ? parsed.dropped : 0;
  // A stream goes on only while something of it may be sent (again).
  if (entries.length === 0 && dropped === 0) return fresh;
  const lastSequence = Math.max(0, ...entries.map((entry) => (entry.kind === 'event' ? entry.event.sequence : 0)));
  return {
    stream: parsed.stream,
    nextSequence: Math.max(typeof parsed.nextSequence === 'number' ? parsed.nextSequence : 1, lastSequence + 1),
    dropped,
    entries,
  };
}

function isEntry(value: unknown): value is OutboxEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<Record<'kind' | 'report' | 'event', unknown>>;
  if (entry.kind === 'status') return typeof entry.report === 'object' && entry.report !== null;
  if (entry.kind === 'event') {
    const event = entry.event as Partial<DeviceEventMessage> | null | undefined;
    return typeof event === 'object' && event !== null && typeof event.sequence === 'number';
  }
  return false;
}
