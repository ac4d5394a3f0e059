/**
 * The pods every controller reads, cached once for all of them, by the questions they ask:
 * which pods wait for a device, which a Deployment owns, which run on a device.
 */
import type { Pod } from '../../shared/objects.js';
import type { Store } from '../store/store.js';
import { Informer } from './informer.js';

export type PodIndex = 'pending' | 'owner' | 'device';
export type PodInformer = Informer<'Pod', PodIndex>;

/** The one value of the `pending` index. */
export const PENDING = 'pending';

/** Not yet bound to a device, and not finished. */
export function isPending(pod: Pod): boolean {
  return !pod.spec.nodeName && (pod.status?.phase ?? 'Pending') === 'Pending';
}

export function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The name of the Deployment that controls the pod, if one does. */
export function ownerDeploymentName(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'Deployment' && o.controller)?.name;
}

/** `namespace/name` of a Deployment: its work-queue key and its value in the `owner` index. */
export function deploymentKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? 'default'}/${name}`;
}

export function podInformer(store: Store): PodInformer {
  return new Informer(store, 'Pod', {
    pending: (pod) => (isPending(pod) ? [PENDING] : []),
    owner: (pod) => {
      const owner = ownerDeploymentName(pod);
      return owner === undefined ? [] : [deploymentKey(pod.metadata.namespace, owner)];
    },
    device: (pod) => (pod.spec.nodeName === undefined ? [] : [pod.spec.nodeName]),
  });
}
