/**
 * Everything devices send arrives here. A payload that is oversized, undecodable or on a
 * topic that is not a device channel is counted and dropped: one broken or hostile device
 * never stops the hub, and never touches another device's data.
 *
 * Status reports and event batches of one device are applied one after another, in the order
 * they arrived, which is the order the device sent them in.
 */
import { hasCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { referenceTo, type ObjectReference } from '../../shared/objects.js';
import { SampleWindow } from '../../shared/percentile.js';
import {
  decode,
  MAX_PAYLOAD_BYTES,
  WireError,
  type DeviceEventMessage,
  type EventBatchMessage,
  type PodStatsReportMessage,
  type StatusReportMessage,
} from '../../shared/proto/codec.js';
import type { Topics } from '../../shared/topics.js';
import type { DeviceLifecycleController } from '../controllers/device-lifecycle/index.js';
import { agentSource, type EventSink } from '../controllers/events.js';
import type { Store } from '../store/store.js';
import { podStatusEvents, podStatusFromReport, sameStatus } from './pod-status.js';

export interface IngestCounters {
  received: number;
  dropped: number;
  /** Pod statuses and events ignored: unknown pod, another device's pod, or an earlier pod of that name. */
  foreignPods: number;
  /** Events devices told about their pods, recorded. */
  deviceEvents: number;
  /** Device events not recorded: already seen (sent again after a lost acknowledgement) or malformed. */
  skippedEvents: number;
}

/** The reason of the Warning on a Device whose outbox dropped status reports and events while offline. */
export const OUTBOX_OVERFLOW_REASON = 'OfflineUpdatesDropped';

/** A device clock this far from the hub's is shown in the event's message: the event happened earlier, or the clock is off. */
export const CLOCK_SLACK_MS = 5_000;

/** Longer reasons and messages from a device are cut: they go into the store and every watcher's terminal. */
const MAX_REASON = 128;
const MAX_MESSAGE = 1_024;

/** What ingest tells the device lifecycle controller. */
export type DeviceLifecycle = Pick<DeviceLifecycleController, 'onBirth' | 'onDeath' | 'onHeartbeat' | 'onContact' | 'onStatusReport'>;

export class Ingest {
  readonly counters: IngestCounters = { received: 0, dropped: 0, foreignPods: 0, deviceEvents: 0, skippedEvents: 0 };
  /**
   * Hub clock minus device clock at each heartbeat's arrival: transit delay plus clock skew.
   * Where clocks agree (one machine, NTP) it is the delay; where it is large, a clock drifts.
   */
  readonly heartbeatDelay = new SampleWindow();
  readonly #topics: Topics;
  readonly #store: Store;
  readonly #lifecycle: DeviceLifecycle;
  readonly #log: Logger;
  readonly #onHeartbeat: (device: string) => void;
  readonly #onPodStats: (device: string, report: PodStatsReportMessage) => void;
  readonly #events: EventSink | undefined;
  /** Per device, the stream its events count in and the last sequence number recorded. */
  readonly #eventStreams = new Map<string, { stream: string; sequence: number }>();
  /** Per device, the status reports and event batches not applied yet, in arrival order. */
  readonly #chains = new Map<string, Promise<void>>();
  /** Per device, when its last event was recorded: the next waits for the clock to move on. */
  readonly #lastRecordedMs = new Map<string, number>();

  constructor(options: {
    topics: Topics;
    store: Store;
    lifecycle: DeviceLifecycle;
    log: Logger;
    events?: EventSink;
    onHeartbeat?: (device: string) => void;
    /** A device's per-pod figures, kept in memory by whoever keeps them (hub/dispatch/pod-usage.ts). */
    onPodStats?: (device: string, report: PodStatsReportMessage) => void;
  }) {
    this.#events = options.events;
    this.#onPodStats = options.onPodStats ?? (() => undefined);
    this.#onHeartbeat = options.onHeartbeat ?? (() => undefined);
    this.#topics = options.topics;
    this.#store = options.store;
    this.#lifecycle = options.lifecycle;
    this.#log = options.log;
  }

  handle(topic: string, payload: Buffer): void {
    this.counters.received++;
    const target = this.#topics.parseDevice(topic);
    if (!target || target.channel === 'desired') return this.#drop(topic, 'not a device uplink topic');
    if (payload.length > MAX_PAYLOAD_BYTES) return this.#drop(topic, `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
    const { device, channel } = target;
    try {
      switch (channel) {
        case 'birth': {
          const birth = decode('Birth', payload);
          this.#lifecycle.onBirth(device, birth);
          if (birth.status) this.#takeStatus(device, birth.status);
          return;
        }
        case 'death':
          this.#lifecycle.onDeath(device, decode('Death', payload));
          return;
        case 'heartbeat': {
          const heartbeat = decode('Heartbeat', payload);
          if (heartbeat.sentAtMs > 0) this.heartbeatDelay.add(Date.now() - heartbeat.sentAtMs);
          this.#lifecycle.onHeartbeat(device, heartbeat);
          this.#onHeartbeat(device);
          return;
        }
        case 'status':
          this.#lifecycle.onContact(device);
          this.#takeStatus(device, decode('StatusReport', payload));
          return;
        case 'events': {
          const batch = decode('EventBatch', payload);
          this.#lifecycle.onContact(device);
          this.#enqueue(device, () => this.#applyEvents(device, batch), 'device events not recorded');
          return;
        }
        case 'podstats':
          this.#lifecycle.onContact(device);
          this.#onPodStats(device, decode('PodStatsReport', payload));
          return;
      }
    } catch (error) {
      if (error instanceof WireError) return this.#drop(topic, error.message);
      throw error;
    }
  }

  /** Resolves when every status and event received so far is applied. */
  async settled(): Promise<void> {
    await Promise.all(this.#chains.values());
  }

  #drop(topic: string, why: string): void {
    this.counters.dropped++;
    this.#log.warn({ topic, why }, 'dropped a device message');
  }

  #takeStatus(device: string, report: StatusReportMessage): void {
    this.#lifecycle.onStatusReport(device, {
      running: report.pods.filter((p) => p.phase === 'Running').length,
      observedGeneration: report.observedGeneration,
    });
    this.#enqueue(device, () => this.#applyStatus(device, report), 'pod status not applied');
  }

  #enqueue(device: string, work: () => Promise<void>, failure: string): void {
    const previous = this.#chains.get(device) ?? Promise.resolve();
    const next = previous.then(work).catch((error: Error) => this.#log.warn({ device, err: error.message }, failure));
    this.#chains.set(device, next);
    void next.then(() => {
      if (this.#chains.get(device) === next) this.#chains.delete(device);
    });
  }

  async #applyStatus(device: string, report: StatusReportMessage): Promise<void> {
    for (const reported of report.pods) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const pod = await this.#store.get('Pod', reported.namespace || 'default', reported.name);
        // Only the device a pod is bound to speaks for it, and only for that incarnation of it.
        if (!pod || pod.spec.nodeName !== device || pod.metadata.uid !== reported.uid) {
          this.counters.foreignPods++;
          break;
        }
        const status = podStatusFromReport(pod, reported, report.observedGeneration);
        if (sameStatus(pod.status, status)) break;
        try {
          await this.#store.update({ ...pod, status });
          // An agent that tells its own events has told these, first-hand and in order.
          const inferred = report.deviceEvents ? [] : podStatusEvents(pod.status, status, device);
          for (const event of inferred) {
            this.#events?.record(referenceTo(pod), event.type, event.reason, event.message, agentSource(device));
          }
          break;
        } catch (error) {
          if (hasCode(error, 'NotFound')) break;
          if (!hasCode(error, 'Conflict')) throw error;
        }
      }
    }
  }

  /**
   * Records the batch's events on their pods, after a Warning on the Device for what the
   * device's outbox had to drop before them. Each waits for the hub's clock to move on from
   * the previous one: `describe` orders events by time, and events recorded in the same
   * millisecond would come out in any order.
   */
  async #applyEvents(device: string, batch: EventBatchMessage): Promise<void> {
    if (batch.dropped > 0) {
      const stored = await this.#store.get('Device', undefined, device);
      const involved: ObjectReference = stored ? referenceTo(stored) : { kind: 'Device', name: device };
      await this.#record(device, involved, 'Warning', OUTBOX_OVERFLOW_REASON, droppedWhileOffline(batch.dropped));
      this.#log.warn({ device, dropped: batch.dropped }, 'device dropped status reports and events while offline');
    }
    for (const event of batch.events) {
      const problem = this.#seenBefore(device, batch.stream, event) ?? malformed(event);
      if (problem !== undefined) {
        this.counters.skippedEvents++;
        this.#log.debug({ device, sequence: event.sequence, why: problem }, 'device event not recorded');
        continue;
      }
      const pod = await this.#store.get('Pod', event.namespace || 'default', event.name);
      if (!pod || pod.spec.nodeName !== device || pod.metadata.uid !== event.uid) {
        this.counters.foreignPods++;
        continue;
      }
      await this.#record(device, referenceTo(pod), event.type as 'Normal' | 'Warning', event.reason.slice(0, MAX_REASON), deviceEventMessage(event, Date.now()));
      this.counters.deviceEvents++;
    }
  }

  /**
   * Why an event is not new: QoS 1 delivers at least once, and an agent killed before it
   * knew a batch arrived sends it again. Undefined for a new one, which it notes.
   */
  #seenBefore(device: string, stream: string, event: DeviceEventMessage): string | undefined {
    const last = this.#eventStreams.get(device);
    if (last !== undefined && last.stream === stream && event.sequence <= last.sequence) {
      return `sequence ${event.sequence} was recorded already`;
    }
    this.#eventStreams.set(device, { stream, sequence: event.sequence });
    return undefined;
  }

  async #record(device: string, involved: ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const last = this.#lastRecordedMs.get(device) ?? 0;
    while (Date.now() <= last) await new Promise((resolve) => setTimeout(resolve, 1));
    this.#events?.record(involved, type, reason, message, agentSource(device));
    // Read after: the recorder takes its timestamp within record(), at this millisecond or before.
    this.#lastRecordedMs.set(device, Date.now());
  }
}

function malformed(event: DeviceEventMessage): string | undefined {
  if (event.type !== 'Normal' && event.type !== 'Warning') return `type "${event.type.slice(0, 20)}" is neither Normal nor Warning`;
  if (event.reason === '') return 'it has no reason';
  if (event.name === '' || event.uid === '') return 'it names no pod';
  return undefined;
}

/** The device's message; with the device's time when it is not about now on the hub's clock. */
export function deviceEventMessage(event: Pick<DeviceEventMessage, 'message' | 'atMs'>, hubNowMs: number): string {
  const message = event.message.slice(0, MAX_MESSAGE);
  const at = new Date(event.atMs);
  // 0 is a device that sent no time; NaN, one past what a date can hold.
  if (event.atMs <= 0 || Number.isNaN(at.getTime()) || Math.abs(hubNowMs - event.atMs) <= CLOCK_SLACK_MS) return message;
  return `${message} (at ${at.toISOString()} on the device)`;
}

export function droppedWhileOffline(count: number): string {
  return count === 1
    ? '1 status report or event was dropped while offline: the device kept only the newest'
    : `${count} status reports and events were dropped while offline: the device kept only the newest`;
}
