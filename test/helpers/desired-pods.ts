/**
 * Pods as the hub sends them to a device (DesiredPodMessage) and the engine containers the
 * agent makes for them, for tests of planning, status and the hub's conversion.
 *
 * The defaults are what the hub sends for a pod that asks for nothing: restart policy
 * Always, pull policy IfNotPresent, no limits and a 10 s grace period.
 */
import { createSpec } from '../../agent/reconciler/containers.js';
import type { ContainerRecord } from '../../agent/runtime/runtime.js';
import type { DesiredContainerMessage, DesiredPodMessage } from '../../shared/proto/codec.js';
import { TEST_IMAGE } from './podman.js';

export { TEST_IMAGE };

/** The device the agent under test runs as. */
export const DEVICE = 'pi-1';
/** "Now" for every test that reads the clock: engine start and finish times are set relative to it. */
export const NOW = 1_700_000_000_000;
export const BACKOFF = { baseMs: 10_000, maxMs: 300_000 };

export function desiredContainer(name = 'app', overrides: Partial<DesiredContainerMessage> = {}): DesiredContainerMessage {
  return {
    name,
    image: TEST_IMAGE,
    command: [],
    args: [],
    env: [],
    ports: [],
    cpuMillis: 0,
    memoryBytes: 0,
    imagePullPolicy: 'IfNotPresent',
    ...overrides,
  };
}

/** A pod in namespace default with uid `uid-<name>` and one container, `app`. */
export function desiredPod(name: string, overrides: Partial<DesiredPodMessage> = {}): DesiredPodMessage {
  return {
    namespace: 'default',
    name,
    uid: `uid-${name}`,
    restartPolicy: 'Always',
    containers: [desiredContainer()],
    terminationGracePeriodSeconds: 10,
    ...overrides,
  };
}

let nextId = 0;

/** An engine container as the agent created it for this pod's container, running for a minute. */
export function engineContainer(pod: DesiredPodMessage, container: DesiredContainerMessage, overrides: Partial<ContainerRecord> = {}): ContainerRecord {
  const spec = createSpec(DEVICE, pod, container);
  return {
    id: `c${++nextId}`,
    name: spec.name,
    image: spec.image,
    labels: spec.labels,
    state: 'running',
    startedAt: NOW - 60_000,
    ...overrides,
  };
}

/** The engine container of the pod's first container, exited a second ago with this code. */
export function exitedContainer(pod: DesiredPodMessage, exitCode: number, overrides: Partial<ContainerRecord> = {}): ContainerRecord {
  return engineContainer(pod, pod.containers[0]!, { state: 'exited', exitCode, startedAt: NOW - 2_000, finishedAt: NOW - 1_000, ...overrides });
}
