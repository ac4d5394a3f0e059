/**
 * The reconciler's planner: desired pods + the engine's containers + what the agent
 * remembers → the steps that converge them. Pure, so every decision is unit-tested without
 * an engine; executing the steps is execute.ts's job.
 */
import type { DesiredContainerMessage, DesiredPodMessage } from '../../shared/proto/codec.js';
import { backoffDelay } from '../../shared/backoff.js';
import { LABEL_CONTAINER, LABEL_GRACE_SECONDS, LABEL_HOST_PORTS, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_SPEC_HASH, type ContainerRecord } from '../runtime/runtime.js';
import type { ContainerMemory } from '../state/local-state.js';
import { containerKey, engineIdentity, groupByKey, hostPortsOf, specHash } from './containers.js';

export type Step =
  /** Pull if needed, create and start a container for a desired one that has none. */
  | { action: 'create'; key: string; pod: DesiredPodMessage; container: DesiredContainerMessage }
  /** Start an existing container again: a restart under the pod's restart policy, after `backOffMs` of back-off if any. */
  | { action: 'restart'; key: string; id: string; backOffMs?: number }
  /** Start a container that was created but never started (an interrupted create). */
  | { action: 'start'; key: string; id: string }
  /**
   * Stop and remove a container: not desired any more, outdated, or a duplicate. `blocking`:
   * another step of the plan needs its engine name or a host port it binds, so it must be
   * gone first; a removal nothing waits for may take its grace period beside the others.
   */
  | { action: 'remove'; id: string; name: string; graceSeconds: number; reason: 'not desired' | 'spec changed' | 'duplicate'; blocking: boolean }
  /** A crashed container waits out its back-off; the reconciler wakes at `until`. */
  | { action: 'wait'; key: string; until: number };

export interface PlanInput {
  pods: readonly DesiredPodMessage[];
  containers: readonly ContainerRecord[];
  memory: (key: string) => Readonly<ContainerMemory> | undefined;
  now: number;
  backoff: { baseMs: number; maxMs: number };
}

/** For containers that carry no grace period of their own (made by an older agent). */
const DEFAULT_GRACE_SECONDS = 10;

function graceOf(record: ContainerRecord): number {
  const label = Number(record.labels[LABEL_GRACE_SECONDS]);
  return Number.isInteger(label) && label >= 0 ? label : DEFAULT_GRACE_SECONDS;
}

/** Whether the restart policy asks for a restart after this exit. */
export function wantsRestart(restartPolicy: string, exitCode: number | undefined): boolean {
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return exitCode !== 0;
  return true;
}

/**
 * When an exited container may start again: at once the first time, then after a delay that
 * doubles per restart up to the maximum (as the kubelet's CrashLoopBackOff). A container that
 * ran longer than twice the maximum before it exited starts at once again.
 */
export function restartAt(record: ContainerRecord, memory: Readonly<ContainerMemory> | undefined, backoff: PlanInput['backoff']): number {
  const finishedAt = record.finishedAt ?? 0;
  const restarts = memory?.restartCount ?? 0;
  const ranFor = record.startedAt !== undefined ? finishedAt - record.startedAt : 0;
  if (restarts === 0 || ranFor > 2 * backoff.maxMs) return finishedAt;
  return finishedAt + backoffDelay(restarts - 1, backoff);
}

export function plan(input: PlanInput): Step[] {
  const removals: Step[] = [];
  const others: Step[] = [];
  const byKey = groupByKey(input.containers);

  const desiredKeys = new Set<string>();
  const needs = new Claims();
  for (const pod of input.pods) {
    // The hub always sends the pod's grace period; 0 means kill at once.
    const grace = pod.terminationGracePeriodSeconds;
    for (const container of pod.containers) {
      const key = containerKey(pod.uid, container.name);
      desiredKeys.add(key);
      const hash = specHash(pod, container);
      const candidates = byKey.get(key) ?? [];
      const current = candidates.filter((record) => record.labels[LABEL_SPEC_HASH] === hash);
      for (const stale of candidates.filter((record) => record.labels[LABEL_SPEC_HASH] !== hash)) {
        removals.push({ action: 'remove', id: stale.id, name: stale.name, graceSeconds: grace, reason: 'spec changed', blocking: true });
      }
      // Keep the running one (or the newest); anything else is a leftover of an interrupted step.
      current.sort((a, b) => rank(b) - rank(a));
      const [keep, ...duplicates] = current;
      for (const duplicate of duplicates) {
        removals.push({ action: 'remove', id: duplicate.id, name: duplicate.name, graceSeconds: grace, reason: 'duplicate', blocking: true });
      }
      if (keep === undefined) {
        others.push({ action: 'create', key, pod, container });
        needs.claim(pod, container);
        continue;
      }
      if (keep.state === 'created') {
        others.push({ action: 'start', key, id: keep.id });
        needs.claim(pod, container);
        continue;
      }
      if (keep.state !== 'exited' && keep.state !== 'dead') continue;
      if (!wantsRestart(pod.restartPolicy, keep.exitCode)) continue;
      const at = restartAt(keep, input.memory(key), input.backoff);
      const backOffMs = at - (keep.finishedAt ?? 0);
      if (at <= input.now) {
        others.push({ action: 'restart', key, id: keep.id, ...(backOffMs > 0 ? { backOffMs } : {}) });
        needs.claim(pod, container);
      } else others.push({ action: 'wait', key, until: at });
    }
  }

  for (const [key, records] of byKey) {
    if (desiredKeys.has(key)) continue;
    for (const record of records) {
      removals.push({ action: 'remove', id: record.id, name: record.name, graceSeconds: graceOf(record), reason: 'not desired', blocking: needs.heldBy(record) });
    }
  }
  // Removals first: a replaced container frees its name and host ports for its successor.
  return [...removals, ...others];
}

/** The engine names and host ports the containers this plan starts will take. */
class Claims {
  readonly #identities = new Set<string>();
  readonly #hostPorts = new Set<string>();

  claim(pod: DesiredPodMessage, container: DesiredContainerMessage): void {
    this.#identities.add(engineIdentity(pod.namespace, pod.name, container.name));
    for (const port of hostPortsOf(container)) this.#hostPorts.add(port);
  }

  /** Whether the container holds something claimed; one made before host ports were labelled may hold any. */
  heldBy(record: ContainerRecord): boolean {
    const { labels } = record;
    const identity = engineIdentity(labels[LABEL_POD_NAMESPACE] ?? '', labels[LABEL_POD_NAME] ?? '', labels[LABEL_CONTAINER] ?? '');
    if (this.#identities.has(identity)) return true;
    const ports = labels[LABEL_HOST_PORTS];
    if (ports === undefined) return this.#hostPorts.size > 0;
    return ports !== '' && ports.split(',').some((port) => this.#hostPorts.has(port));
  }
}

function rank(record: ContainerRecord): number {
  const running = record.state === 'running' ? 1e15 : 0;
  return running + (record.startedAt ?? 0);
}
