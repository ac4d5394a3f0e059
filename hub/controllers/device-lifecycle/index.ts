/**
 * Device lifecycle: enrols a device on its first birth, and moves it between Ready, NotReady
 * and Offline from births, deaths (MQTT Last Will or a clean stop) and heartbeat silence.
 *
 * Bound: a device whose agent is killed goes NotReady as soon as the broker sees the socket
 * close (the Will), or at the latest after `notReadyAfter` without a heartbeat (a cut link
 * with no FIN); it goes Offline `offlineAfter` after the last message it sent. Going Offline
 * stamps `status.offlineSince`, the start of the unreachable taint the eviction controller
 * measures tolerations against; coming back removes it.
 */
import { hasCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { referenceTo, type Device, type DeviceState, type DeviceStatus, type DeviceUsage } from '../../../shared/objects.js';
import type { BirthMessage, DeathMessage, HeartbeatMessage } from '../../../shared/proto/codec.js';
import { podStatusOnLostDevice } from '../../dispatch/pod-status.js';
import type { Store, WatchEvent } from '../../store/store.js';
import { ARCH_LABEL } from '../../../shared/labels.js';
import { podInformer, type PodInformer } from '../pods.js';
import type { Controller } from '../controller.js';
import type { EventSink } from '../events.js';
import type { DeviceConditionsController } from '../device-conditions/index.js';
import { livenessState, usageOf, type Liveness, type LivenessThresholds } from './liveness.js';
import { deviceInfoOf } from '../device-conditions/thresholds.js';

/** Set on every birth from what the agent reports, so selectors can pick by architecture. */

const TICK_MS = 1_000;

/** The reason of the event of a device that is Ready again after NotReady or Offline. */
export const BACK_ONLINE_REASON = 'BackOnline';

export interface DeviceLive {
  usage?: DeviceUsage;
  lastSeen: string;
  /** Pods running on the device, from its last heartbeat. */
  podCount?: number;
  /** Desired-state generation the device last reported as applied. */
  observedGeneration?: number;
}

export interface DeviceLifecycleOptions {
  store: Store;
  thresholds: LivenessThresholds;
  events: EventSink;
  log: Logger;
  /** Called after a device's state or identity was written. */
  onDeviceChanged?: (device: Device) => void;
  /** Brings a device's conditions in step with the state about to be written, in the same write. */
  conditions?: Pick<DeviceConditionsController, 'withConditions'>;
  /** The hub's shared pod cache; one of its own otherwise. */
  pods?: PodInformer;
  now?: () => number;
}

export class DeviceLifecycleController implements Controller {
  readonly name = 'device-lifecycle';
  readonly watches = ['Device'] as const;
  /**
   * Devices are independent of each other, and each state change is a store write: after a
   * hub restart thousands of births come at once, and one at a time each would wait for its
   * own flush to disk: 10,000 births took 5 s here (15–45 s with the machine busy), against
   * 1.5 s without the flush; 32 at once share their flushes and take 0.6–0.75 s.
   */
  readonly concurrency = 32;
  readonly #options: DeviceLifecycleOptions;
  readonly #live = new Map<string, Liveness>();
  /** The state last written per device, to enqueue only devices whose state must change. */
  readonly #written = new Map<string, DeviceState>();
  #enqueue: (key: string) => void = () => undefined;
  #ticker: NodeJS.Timeout | undefined;
  /** Messages that named a device the hub has no record of, or a stale session. */
  ignored = 0;

  readonly #pods: PodInformer;

  constructor(options: DeviceLifecycleOptions) {
    this.#options = options;
    this.#pods = options.pods ?? podInformer(options.store);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** Wires the controller to its work queue and starts the liveness clock. */
  attach(enqueue: (key: string) => void): void {
    this.#enqueue = enqueue;
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
    this.#ticker.unref();
  }

  keysFor(event: WatchEvent): string[] {
    if (event.type === 'DELETED') {
      this.#live.delete(event.object.metadata.name);
      this.#written.delete(event.object.metadata.name);
    }
    return [];
  }

  async initialKeys(): Promise<string[]> {
    const { items } = await this.#options.store.list('Device');
    const now = this.#now();
    for (const device of items) {
      const status = device.status;
      const wasReady = status?.state === 'Ready';
      // A device Ready when the hub stopped gets a full grace period to show it still is.
      const lastSeenMs = wasReady ? now : Date.parse(status?.lastSeen ?? '') || 0;
      this.#live.set(device.metadata.name, {
        bdSeq: status?.bdSeq ?? 0,
        lastSeenMs,
        connected: wasReady,
        gracefulStop: status?.message === 'agent stopped',
      });
      if (status) this.#written.set(device.metadata.name, status.state);
    }
    return items.map((d) => d.metadata.name);
  }

  live(name: string): DeviceLive | undefined {
    const live = this.#live.get(name);
    if (!live) return undefined;
    const view: DeviceLive = { lastSeen: new Date(live.lastSeenMs).toISOString() };
    if (live.usage) view.usage = live.usage;
    if (live.runningPods !== undefined) view.podCount = live.runningPods;
    if (live.observedGeneration !== undefined) view.observedGeneration = live.observedGeneration;
    return view;
  }

  onBirth(device: string, birth: BirthMessage): void {
    const live = this.#live.get(device);
    this.#live.set(device, {
      bdSeq: birth.bdSeq,
      lastSeenMs: this.#now(),
      connected: true,
      gracefulStop: false,
      birth,
      ...(live?.usage ? { usage: live.usage } : {}),
      ...(live?.observedGeneration !== undefined ? { observedGeneration: live.observedGeneration } : {}),
    });
    this.#enqueue(device);
  }

  /** Returns false for the death of a session that is not the current one. */
  onDeath(device: string, death: DeathMessage): boolean {
    const live = this.#live.get(device);
    if (!live || live.bdSeq !== death.bdSeq) {
      this.ignored++;
      return false;
    }
    live.connected = false;
    live.gracefulStop = death.graceful;
    this.#enqueue(device);
    return true;
  }

  onHeartbeat(device: string, heartbeat: HeartbeatMessage): void {
    let live = this.#live.get(device);
    if (!live) {
      // A device the hub has not seen born (a hub restarted against an external broker):
      // track it; the reconcile enrols nothing without a birth, but a known device recovers.
      live = { bdSeq: heartbeat.bdSeq, lastSeenMs: 0, connected: true, gracefulStop: false };
      this.#live.set(device, live);
    }
    // A late heartbeat of a session already declared dead proves nothing about the link.
    if (!live.connected && heartbeat.bdSeq === live.bdSeq) return;
    live.connected = true;
    live.bdSeq = heartbeat.bdSeq;
    live.lastSeenMs = this.#now();
    live.usage = usageOf(heartbeat);
    live.runningPods = heartbeat.runningPods;
    if (this.#written.get(device) !== 'Ready') this.#enqueue(device);
  }

  /**
   * A status report tells how many pods run, sooner than the next heartbeat, and which
   * desired state the device has applied: kept in memory, as usage is, not written per report.
   */
  onStatusReport(device: string, report: { running: number; observedGeneration: number }): void {
    const live = this.#live.get(device);
    if (!live) return;
    live.runningPods = report.running;
    live.observedGeneration = report.observedGeneration;
  }

  /** Any message from the device shows it is alive. */
  onContact(device: string, bdSeq?: number): void {
    const live = this.#live.get(device);
    if (!live || !live.connected) return;
    if (bdSeq !== undefined && bdSeq !== live.bdSeq) return;
    live.lastSeenMs = this.#now();
  }

  async reconcile(name: string): Promise<void> {
    const { store, thresholds, events } = this.#options;
    const live = this.#live.get(name);
    if (!live) return;
    const stored = await store.get('Device', undefined, name);
    const birth = live.birth;
    if (!stored && !birth) {
      this.ignored++;
      return;
    }
    const now = this.#now();
    const { state, message } = livenessState(live, now, thresholds);
    const base: Device = stored ?? {
      apiVersion: 'flotilla.io/v1',
      kind: 'Device',
      metadata: { name, labels: { ...birth?.labels } },
      spec: {},
    };
    const status: DeviceStatus = { ...base.status, state, message, bdSeq: live.bdSeq, lastSeen: new Date(live.lastSeenMs).toISOString() };
    // The eviction controller counts a pod's toleration from here; it survives a hub restart.
    if (state !== 'Offline') delete status.offlineSince;
    else if (base.status?.state !== 'Offline' || base.status.offlineSince === undefined) status.offlineSince = new Date(now).toISOString();
    const labels = { ...base.metadata.labels };
    if (birth?.info) {
      status.info = deviceInfoOf(birth.info);
      if (birth.info.arch) labels[ARCH_LABEL] = birth.info.arch;
    }
    if (birth?.capacity) {
      status.capacity = { cpu: String(birth.capacity.cpuMillis / 1000), memory: String(birth.capacity.memoryBytes), pods: birth.capacity.pods };
    }
    const previous = stored?.status?.state;
    const changed =
      !stored ||
      birth !== undefined ||
      previous !== state ||
      stored.status?.message !== message ||
      stored.status?.bdSeq !== live.bdSeq ||
      stored.status?.offlineSince !== status.offlineSince;
    if (!changed) {
      this.#written.set(name, state);
      return;
    }
    const prepared = this.#options.conditions?.withConditions({ ...base, metadata: { ...base.metadata, labels }, status });
    const next: Device = prepared?.device ?? { ...base, metadata: { ...base.metadata, labels }, status };
    const written = stored ? await store.update(next) : await store.create(next);
    prepared?.written(written);
    if (live.birth === birth) delete live.birth;
    this.#written.set(name, state);
    const involved = referenceTo(written);
    if (!stored) events.record(involved, 'Normal', 'Registered', `device ${name} joined the fleet`);
    if (previous === 'Ready' && state !== 'Ready') await this.#markPodsNotReady(name, message);
    if (previous !== state) {
      // A device back from NotReady or Offline is told apart from one Ready for the first time
      // (new, or enrolled and never yet heard from).
      const back = state === 'Ready' && previous !== undefined && stored?.status?.lastSeen !== undefined;
      events.record(involved, state === 'Ready' ? 'Normal' : 'Warning', back ? BACK_ONLINE_REASON : state, back ? `device is back (was ${previous}): ${message}` : `device is ${state}: ${message}`);
      this.#options.log.info({ device: name, state, message }, 'device state changed');
    }
    this.#options.onDeviceChanged?.(written);
  }

  /** Pods on a device that went away are not Ready: their Deployments must not count them. */
  async #markPodsNotReady(device: string, why: string): Promise<void> {
    await this.#pods.start();
    for (const pod of this.#pods.byIndex('device', device)) {
      try {
        await this.#options.store.update({ ...pod, status: podStatusOnLostDevice(pod.status, `device ${device} is not ready: ${why}`) });
      } catch (error) {
        // A pod changed or deleted meanwhile: the device's next report or the next transition sets it.
        if (!hasCode(error, 'Conflict') && !hasCode(error, 'NotFound')) throw error;
      }
    }
  }

  #tick(): void {
    const now = this.#now();
    for (const [name, live] of this.#live) {
      const { state } = livenessState(live, now, this.#options.thresholds);
      if (this.#written.get(name) !== state) this.#enqueue(name);
    }
  }

  stop(): void {
    clearInterval(this.#ticker);
    this.#pods.stop();
  }
}
