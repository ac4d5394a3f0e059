/**
 * What the device knows first-hand about its pods and the hub cannot see while the link is
 * down, told as events: a container exited (with its exit code), waits out a back-off,
 * started or restarted (execute.ts tells those), a pod whose containers were gone when the
 * agent started was restored from local state. Each exit is told once, even across agent
 * restarts: the finish time of the last one told is kept in the container's local record.
 */
import type { DesiredPodMessage, DeviceEventMessage } from '../../shared/proto/codec.js';
import { LABEL_SPEC_HASH, type ContainerRecord } from '../runtime/runtime.js';
import type { LocalState } from '../state/local-state.js';
import { containerKey, containerNameOfKey, groupByKey, podUidOfKey, specHash } from './containers.js';
import type { ContainerEventReporter } from './execute.js';
import type { Step } from './plan.js';

/** An event about a pod, as the device tells it; the outbox numbers it. */
export type PodEvent = Omit<DeviceEventMessage, 'sequence'>;

export type PodEventListener = (event: PodEvent) => void;

/** Exits told in this pass, by container key. */
export type ToldExits = Map<string, { exitCode: number; finishedAt: number }>;

export class PodEventLog {
  readonly #listener: PodEventListener;
  /** Pods remembered from local state, by uid, until the first pass after start is done. */
  #restorable: Set<string> | undefined;

  constructor(listener: PodEventListener, rememberedPods: readonly DesiredPodMessage[]) {
    this.#listener = listener;
    this.#restorable = new Set(rememberedPods.map((pod) => pod.uid));
  }

  tell(pod: DesiredPodMessage, type: 'Normal' | 'Warning', reason: string, message: string, atMs: number = Date.now()): void {
    this.#listener({ namespace: pod.namespace, name: pod.name, uid: pod.uid, type, reason, message, atMs });
  }

  /** Tells each exit of a current container not told yet, at the time the engine says it ended. */
  exits(pods: readonly DesiredPodMessage[], containers: readonly ContainerRecord[], state: LocalState): ToldExits {
    const told: ToldExits = new Map();
    const byKey = groupByKey(containers);
    for (const pod of pods) {
      for (const container of pod.containers) {
        const key = containerKey(pod.uid, container.name);
        const hash = specHash(pod, container);
        // The container that speaks for the pod, as in its status: a running one first.
        const candidates = (byKey.get(key) ?? []).filter((record) => record.labels[LABEL_SPEC_HASH] === hash);
        const record = candidates.find((r) => r.state === 'running') ?? candidates[0];
        if (record === undefined || (record.state !== 'exited' && record.state !== 'dead')) continue;
        const finishedAt = record.finishedAt;
        if (finishedAt === undefined || state.document.containers[key]?.exitReportedAt === finishedAt) continue;
        const exitCode = record.exitCode ?? 0;
        const reason = record.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
        this.tell(pod, exitCode === 0 ? 'Normal' : 'Warning', reason, `container ${container.name} exited with code ${exitCode}`, finishedAt);
        state.updateContainer(key, { exitReportedAt: finishedAt });
        told.set(key, { exitCode, finishedAt });
      }
    }
    return told;
  }

  /** A container whose exit was just told and whose restart must wait: tells the back-off, once per exit. */
  backOffs(steps: readonly Step[], exits: ToldExits, pods: readonly DesiredPodMessage[]): void {
    for (const step of steps) {
      if (step.action !== 'wait') continue;
      const exit = exits.get(step.key);
      const pod = podOfKey(pods, step.key);
      if (exit === undefined || pod === undefined) continue;
      const seconds = Math.ceil((step.until - exit.finishedAt) / 1000);
      this.tell(pod, 'Warning', 'BackOff', `back-off ${seconds}s restarting failed container ${containerNameOfKey(step.key)} (exit code ${exit.exitCode})`);
    }
  }

  /**
   * In the first pass after the agent started, pods from local state whose containers are
   * gone (a reboot, or an engine reset) are being created again: told once per pod, before
   * their containers start.
   */
  restoring(steps: readonly Step[], pods: readonly DesiredPodMessage[]): void {
    const restorable = this.#restorable;
    if (restorable === undefined) return;
    const created = new Map<string, string[]>();
    for (const step of steps) {
      if (step.action !== 'create' || !restorable.has(step.pod.uid)) continue;
      created.set(step.pod.uid, [...(created.get(step.pod.uid) ?? []), step.container.name]);
    }
    for (const [uid, names] of created) {
      restorable.delete(uid);
      const pod = pods.find((p) => p.uid === uid);
      if (pod === undefined) continue;
      const what = names.length === 1 ? `container ${names[0]} was` : `containers ${names.join(', ')} were`;
      this.tell(pod, 'Normal', 'Restored', `${what} gone when the agent started; restoring from the device's local state`);
    }
  }

  /** Events execute.ts tells about a container, sent as events about its pod. */
  reporter(pods: readonly DesiredPodMessage[]): ContainerEventReporter {
    return (key, type, reason, message) => {
      const pod = podOfKey(pods, key);
      if (pod !== undefined) this.tell(pod, type, reason, message);
    };
  }

  /** A pass got through: only the first one after start restores. */
  passDone(): void {
    this.#restorable = undefined;
  }
}

function podOfKey(pods: readonly DesiredPodMessage[], key: string): DesiredPodMessage | undefined {
  const uid = podUidOfKey(key);
  return pods.find((pod) => pod.uid === uid);
}
