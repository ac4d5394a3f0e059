/**
 * Everything devices send arrives here. A payload that is oversized, undecodable or on a
 * topic that is not a device channel is counted and dropped: one broken or hostile device
 * never stops the hub, and never touches another device's data.
 */
import { hasCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { referenceTo } from '../../shared/objects.js';
import { SampleWindow } from '../../shared/percentile.js';
import { decode, MAX_PAYLOAD_BYTES, WireError, type StatusReportMessage } from '../../shared/proto/codec.js';
import type { Topics } from '../../shared/topics.js';
import type { DeviceLifecycleController } from '../controllers/device-lifecycle/index.js';
import type { EventSink } from '../controllers/events.js';
import type { Store } from '../store/store.js';
import { podStatusEvents, podStatusFromReport, sameStatus } from './pod-status.js';

export interface IngestCounters {
  received: number;
  dropped: number;
  /** Pod statuses ignored: unknown pod, another device's pod, or an earlier pod of that name. */
  foreignPods: number;
}

export class Ingest {
  readonly counters: IngestCounters = { received: 0, dropped: 0, foreignPods: 0 };
  /**
   * Hub clock minus device clock at each heartbeat's arrival: transit delay plus clock skew.
   * Where clocks agree (one machine, NTP) it is the delay; where it is large, a clock drifts.
   */
  readonly heartbeatDelay = new SampleWindow();
  readonly #topics: Topics;
  readonly #store: Store;
  readonly #lifecycle: DeviceLifecycleController;
  readonly #log: Logger;
  readonly #onHeartbeat: (device: string) => void;
  readonly #events: EventSink | undefined;
  /** Status reports are applied one device at a time, in arrival order. */
  readonly #statusChains = new Map<string, Promise<void>>();

  constructor(options: {
    topics: Topics;
    store: Store;
    lifecycle: DeviceLifecycleController;
    log: Logger;
    events?: EventSink;
    onHeartbeat?: (device: string) => void;
  }) {
    this.#events = options.events;
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
      }
    } catch (error) {
      if (error instanceof WireError) return this.#drop(topic, error.message);
      throw error;
    }
  }

  /** Resolves when every status received so far is applied. */
  async settled(): Promise<void> {
    await Promise.all(this.#statusChains.values());
  }

  #drop(topic: string, why: string): void {
    this.counters.dropped++;
    this.#log.warn({ topic, why }, 'dropped a device message');
  }

  #takeStatus(device: string, report: StatusReportMessage): void {
    this.#lifecycle.onPodsRunning(device, report.pods.filter((p) => p.phase === 'Running').length);
    this.#queueStatus(device, report);
  }

  #queueStatus(device: string, report: StatusReportMessage): void {
    const previous = this.#statusChains.get(device) ?? Promise.resolve();
    const next = previous
      .then(() => this.#applyStatus(device, report))
      .catch((error: Error) => this.#log.warn({ device, err: error.message }, 'pod status not applied'));
    this.#statusChains.set(device, next);
    void next.then(() => {
      if (this.#statusChains.get(device) === next) this.#statusChains.delete(device);
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
          for (const event of podStatusEvents(pod.status, status, device)) {
            this.#events?.record(referenceTo(pod), event.type, event.reason, event.message);
          }
          break;
        } catch (error) {
          if (hasCode(error, 'NotFound')) break;
          if (!hasCode(error, 'Conflict')) throw error;
        }
      }
    }
  }
}
