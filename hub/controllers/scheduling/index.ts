/**
 * Binds pending pods to devices. One key, "pending", stands for all unbound pods: a pass
 * schedules every pending pod against the fleet snapshot (assuming each binding as it goes).
 *
 * Like kube-scheduler's cache, the snapshot lives on between passes: it is built from the pod
 * and device caches, then kept current pod by pod as pods change, so a pass costs what its
 * pending pods cost, not a read of the whole fleet. A device change (rare: a state, labels)
 * has the next pass build it anew, as device positions and label indexes depend on the set.
 *
 * Bindings are written a chunk at a time without waiting for each: the store commits a chunk
 * in one batch while the next chunk is being scheduled. A pod is counted on its device as soon
 * as it is placed, so the pods after it see the room it takes, and taken back out if its write
 * fails; until then the pods after it may only have been placed more cautiously than needed.
 */
import { hasCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { referenceTo, type Pod, type PodCondition } from '../../../shared/objects.js';
import { assume, createScheduler, forget, ownerUidOf, snapshotFleet, type FleetSnapshot, type Scheduler, type ScheduleResult } from '../../scheduler/schedule.js';
import type { SchedulerConfig } from '../../scheduler/config.js';
import type { Store, WatchEvent } from '../../store/store.js';
import type { Controller } from '../controller.js';
import type { EventSink } from '../events.js';
import { Informer } from '../informer.js';
import { isFinished, isPending, PENDING, podInformer, type PodInformer } from '../pods.js';

export const PENDING_KEY = PENDING;

/** Pods that fit nowhere are tried again this often, besides on every device change. */
const RETRY_UNSCHEDULABLE_MS = 10_000;

/** Pods scheduled before their writes are awaited: enough for the store to batch them well. */
export const BIND_CHUNK = 256;

/** Devices named one by one in a PodScheduled message; the summary line counts them all. */
export const DIAGNOSIS_LINES = 20;

/**
 * The PodScheduled message, for `describe pod`: the summary, then a line per device for the
 * first few. A message naming all of 10,000 devices would be stored with every pending pod.
 */
export function unschedulableMessage(result: Extract<ScheduleResult, { bound: false }>): string {
  const shown = result.diagnosis.slice(0, DIAGNOSIS_LINES).map((d) => `  ${d.device}: ${d.reasons.join('; ')}`);
  const more = result.diagnosis.length - shown.length;
  return [result.message, ...shown, ...(more > 0 ? [`  … and ${more} more devices`] : [])].join('\n');
}

/**
 * What the scheduler judges a pod by: pods alike in it (one template's) fare alike. The owner
 * and the annotations count too: a workload's limit of pods per device is its own.
 */
function schedulingSignature(pod: Pod): string {
  return JSON.stringify([pod.metadata.namespace, ownerUidOf(pod), pod.metadata.labels, pod.metadata.annotations, pod.spec]);
}

export class SchedulingController implements Controller {
  readonly name = 'scheduler';
  readonly watches = ['Pod', 'Device'] as const;
  readonly #store: Store;
  readonly #events: EventSink;
  readonly #log: Logger;
  readonly #scheduler: Scheduler;
  readonly #pods: PodInformer;
  readonly #devices: Informer<'Device'>;
  /** The fleet with every bound, unfinished pod counted; undefined when it must be built anew. */
  #fleet: FleetSnapshot | undefined;

  readonly #onBound: ((pod: Pod, device: string) => void) | undefined;

  /** `pods`: the hub's shared pod cache; one of its own otherwise. `onBound`: told of each binding that landed. */
  constructor(options: { store: Store; events: EventSink; log: Logger; config?: SchedulerConfig; pods?: PodInformer; onBound?: (pod: Pod, device: string) => void }) {
    this.#onBound = options.onBound;
    this.#store = options.store;
    this.#events = options.events;
    this.#log = options.log;
    this.#scheduler = createScheduler(options.config ?? {});
    this.#pods = options.pods ?? podInformer(options.store);
    this.#devices = new Informer(options.store, 'Device', {});
    this.#pods.onChange((event, previous) => {
      if (this.#fleet === undefined) return;
      // Most changes are a running pod's status report: same device, same spec, still counted.
      if (event.type === 'MODIFIED' && previous !== undefined && countsAlike(previous, event.object)) return;
      if (previous !== undefined) forget(this.#fleet, previous);
      if (event.type !== 'DELETED') this.#count(this.#fleet, event.object);
    });
    this.#devices.onChange(() => {
      this.#fleet = undefined;
    });
  }

  keysFor(event: WatchEvent): string[] {
    const object = event.object;
    if (object.kind === 'Device') return [PENDING_KEY];
    if (object.kind !== 'Pod') return [];
    // A new pending pod needs a device; a bound pod that went away frees room for others.
    if (event.type !== 'DELETED' && isPending(object)) return [PENDING_KEY];
    if (event.type === 'DELETED' && object.spec.nodeName) return [PENDING_KEY];
    return [];
  }

  async initialKeys(): Promise<string[]> {
    return [PENDING_KEY];
  }

  stop(): void {
    this.#pods.stop();
    this.#devices.stop();
  }

  /** Counts a bound, unfinished pod on its device, if the snapshot has that device. */
  #count(fleet: FleetSnapshot, pod: Pod): void {
    const device = pod.spec.nodeName;
    if (device !== undefined && !isFinished(pod) && fleet.device(device) !== undefined) assume(fleet, pod, device);
  }

  /** Takes back a binding that did not land, and counts the pod as the cache now has it. */
  #recount(fleet: FleetSnapshot, pod: Pod): void {
    forget(fleet, pod);
    const cached = this.#pods.get(pod.metadata.namespace, pod.metadata.name);
    if (cached !== undefined) this.#count(fleet, cached);
  }

  async reconcile(): Promise<{ requeueAfterMs?: number } | void> {
    await Promise.all([this.#pods.start(), this.#devices.start()]);
    const pending = this.#pods.byIndex('pending', PENDING);
    if (pending.length === 0) return;
    const fleet = (this.#fleet ??= snapshotFleet([...this.#devices.list()], [...this.#pods.list()]));
    pending.sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0),
    );

    let unschedulable = 0;
    const failures: unknown[] = [];
    // A pass only adds pods to devices, which no filter takes as a reason to let more in: a
    // pod that fit nowhere, its like will not fit either, and is told so without the search
    // through every device (which, for 10,000 pods that cannot fit, is 10,000 × the fleet).
    const fitNowhere = new Map<string, Extract<ScheduleResult, { bound: false }>>();
    // The writes of the chunk before this one, committed while this one is being scheduled.
    let landing: Promise<unknown> = Promise.resolve();
    for (let from = 0; from < pending.length && failures.length === 0; from += BIND_CHUNK) {
      const writes: Promise<void>[] = [];
      for (const pod of pending.slice(from, from + BIND_CHUNK)) {
        const signature = fitNowhere.size > 0 ? schedulingSignature(pod) : undefined;
        const result = (signature !== undefined && fitNowhere.get(signature)) || this.#scheduler.schedule(pod, fleet);
        if (!result.bound && result.reason === 'Unschedulable') fitNowhere.set(signature ?? schedulingSignature(pod), result);
        let write: Promise<unknown>;
        if (result.bound) {
          assume(fleet, pod, result.device);
          // Counted now, for the pods after it; taken back if the write does not land.
          write = this.#bind(pod, result.device).then(
            (bound) => {
              if (!bound) this.#recount(fleet, pod);
            },
            (error: unknown) => {
              this.#recount(fleet, pod);
              throw error;
            },
          );
        } else {
          unschedulable++;
          write = this.#markUnschedulable(pod, result);
        }
        writes.push(write.then(noop, (error: unknown) => void failures.push(error)));
      }
      await landing;
      landing = Promise.all(writes);
    }
    await landing;
    // The first store failure other than a lost race; the key is retried with backoff.
    if (failures.length > 0) throw failures[0];
    if (unschedulable > 0) return { requeueAfterMs: RETRY_UNSCHEDULABLE_MS };
  }

  async #bind(pod: Pod, device: string): Promise<boolean> {
    const condition: PodCondition = { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date().toISOString() };
    const bound: Pod = {
      ...pod,
      spec: { ...pod.spec, nodeName: device },
      status: { ...pod.status, phase: 'Pending', conditions: withCondition(pod.status?.conditions, condition) },
    };
    try {
      await this.#store.update(bound);
    } catch (error) {
      // Changed or deleted meanwhile: the watch brings it back if it still needs a device.
      if (hasCode(error, 'Conflict') || hasCode(error, 'NotFound')) return false;
      throw error;
    }
    this.#onBound?.(pod, device);
    this.#events.record(referenceTo(pod), 'Normal', 'Scheduled', `assigned ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} to ${device}`);
    this.#log.debug({ pod: pod.metadata.name, device }, 'pod bound');
    return true;
  }

  async #markUnschedulable(pod: Pod, result: Extract<ScheduleResult, { bound: false }>): Promise<void> {
    const message = unschedulableMessage(result);
    const previous = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (previous?.status === 'False' && previous.message === message) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason: result.reason,
      message,
      lastTransitionTime: new Date().toISOString(),
    };
    try {
      await this.#store.update({ ...pod, status: { ...pod.status, phase: 'Pending', conditions: withCondition(pod.status?.conditions, condition) } });
    } catch (error) {
      if (hasCode(error, 'Conflict') || hasCode(error, 'NotFound')) return;
      throw error;
    }
    this.#events.record(referenceTo(pod), 'Warning', 'FailedScheduling', result.message);
  }
}

function noop(): void {}

/** Whether the snapshot counts both versions of a pod the same: device, requests (spec) and being unfinished. */
function countsAlike(before: Pod, after: Pod): boolean {
  return (
    before.spec.nodeName === after.spec.nodeName &&
    before.metadata.generation === after.metadata.generation &&
    isFinished(before) === isFinished(after)
  );
}

export function withCondition(conditions: readonly PodCondition[] | undefined, condition: PodCondition): PodCondition[] {
  return [...(conditions ?? []).filter((c) => c.type !== condition.type), condition];
}
