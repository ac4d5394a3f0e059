/**
 * How a desired container maps onto an engine container: its name, labels and spec hash.
 * The labels are how the agent finds its own containers again after a restart.
 */
import { createHash } from 'node:crypto';
import type { DesiredContainerMessage, DesiredPodMessage } from '../../shared/proto/codec.js';
import {
  LABEL_CONTAINER,
  LABEL_DEVICE,
  LABEL_GRACE_SECONDS,
  LABEL_HOST_PORTS,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  LABEL_SPEC_HASH,
  type ContainerCreateSpec,
  type ContainerRecord,
} from '../runtime/runtime.js';

/** Key of a pod's container in the agent's memory: stable for the pod's lifetime. */
export function containerKey(podUid: string, containerName: string): string {
  return `${podUid}/${containerName}`;
}

/** The container's name in a key. */
export function containerNameOfKey(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

/** The pod's uid in a key. */
export function podUidOfKey(key: string): string {
  return key.slice(0, key.indexOf('/'));
}

export function keyOfRecord(record: ContainerRecord): string | undefined {
  const uid = record.labels[LABEL_POD_UID];
  const name = record.labels[LABEL_CONTAINER];
  return uid && name ? containerKey(uid, name) : undefined;
}

/** The engine's containers by pod container key; containers without pod labels are left out. */
export function groupByKey(records: readonly ContainerRecord[]): Map<string, ContainerRecord[]> {
  const byKey = new Map<string, ContainerRecord[]>();
  for (const record of records) {
    const key = keyOfRecord(record);
    if (key === undefined) continue;
    const list = byKey.get(key);
    if (list) list.push(record);
    else byKey.set(key, [record]);
  }
  return byKey;
}

export function specHash(pod: DesiredPodMessage, container: DesiredContainerMessage): string {
  const canonical = JSON.stringify([
    pod.uid,
    container.name,
    container.image,
    container.command,
    container.args,
    container.env.map((e) => [e.name, e.value]),
    container.ports.map((p) => [p.containerPort, p.hostPort, p.protocol]),
    container.cpuMillis,
    container.memoryBytes,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** The host ports a container binds, as `port/protocol`. */
export function hostPortsOf(container: DesiredContainerMessage): string[] {
  return container.ports.filter((p) => p.hostPort > 0).map((p) => `${p.hostPort}/${p.protocol.toLowerCase() === 'udp' ? 'udp' : 'tcp'}`);
}

/** What names a container in the engine whichever pod incarnation it belongs to: a successor with the same one must wait. */
export function engineIdentity(namespace: string, podName: string, container: string): string {
  return `${namespace}/${podName}/${container}`;
}

export function createSpec(device: string, pod: DesiredPodMessage, container: DesiredContainerMessage): ContainerCreateSpec {
  const spec: ContainerCreateSpec = {
    // Engine names allow [a-zA-Z0-9_.-]; "_" cannot occur in the DNS labels joined here.
    name: `${device}_${pod.namespace}_${pod.name}_${container.name}`,
    image: container.image,
    env: container.env.map((e) => ({ name: e.name, value: e.value })),
    ports: container.ports.map((p) => ({
      containerPort: p.containerPort,
      hostPort: p.hostPort,
      protocol: p.protocol.toLowerCase() === 'udp' ? 'udp' : 'tcp',
    })),
    cpuMillis: container.cpuMillis,
    memoryBytes: container.memoryBytes,
    labels: {
      [LABEL_DEVICE]: device,
      [LABEL_POD_NAMESPACE]: pod.namespace,
      [LABEL_POD_NAME]: pod.name,
      [LABEL_POD_UID]: pod.uid,
      [LABEL_CONTAINER]: container.name,
      [LABEL_SPEC_HASH]: specHash(pod, container),
      [LABEL_GRACE_SECONDS]: String(pod.terminationGracePeriodSeconds),
      [LABEL_HOST_PORTS]: hostPortsOf(container).join(','),
    },
  };
  if (container.command.length > 0) spec.entrypoint = container.command;
  if (container.args.length > 0) spec.cmd = container.args;
  return spec;
}
