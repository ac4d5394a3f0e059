/**
 * The Deployment controller: keeps `replicas` pods of the Deployment's template, replacing
 * pods of an older template as rollout.ts allows, deleting the pods of a deleted Deployment,
 * and writing the Deployment's status.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hasCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { referenceTo, type Deployment, type Pod } from '../../../shared/objects.js';
import type { Store, WatchEvent } from '../../store/store.js';
import type { Controller } from '../controller.js';
import type { EventSink } from '../events.js';
import { deploymentKey, isFinished, ownerDeploymentName, podInformer, type PodInformer } from '../pods.js';
import { isPodReady, planRollout } from './rollout.js';

export { deploymentKey };

export const TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Stable across key order, so the same template always gives the same hash. */
export function templateHash(deployment: Deployment): string {
  return createHash('sha256').update(canonicalJson(deployment.spec.template)).digest('hex').slice(0, 8);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Names tried for a new pod before its creation is given up as failed. */
const NAME_ATTEMPTS = 5;

/** Kubernetes' alphabet for generated names: no vowels (no words), no look-alikes (0/o, 1/l). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters of SUFFIX_ALPHABET: 27⁵, about 14 million names per template. */
function randomSuffix(): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const byte of bytes) suffix += SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length];
  return suffix;
}

/** "pod a", or "3 pods: a, b, c", or "1000 pods: a, b, c, d, e and 995 more". */
function describePods(names: readonly string[]): string {
  if (names.length === 1) return `pod ${names[0]}`;
  const shown = names.slice(0, 5).join(', ');
  return `${names.length} pods: ${shown}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  readonly watches = ['Deployment', 'Pod'] as const;
  readonly #store: Store;
  readonly #events: EventSink;
  readonly #log: Logger;
  readonly #pods: PodInformer;

  /** `pods`: the hub's shared pod cache; one of its own otherwise. */
  constructor(options: { store: Store; events: EventSink; log: Logger; pods?: PodInformer }) {
    this.#store = options.store;
    this.#events = options.events;
    this.#log = options.log;
    this.#pods = options.pods ?? podInformer(options.store);
  }

  keysFor(event: WatchEvent): string[] {
    const object = event.object;
    if (object.kind === 'Deployment') return [deploymentKey(object.metadata.namespace, object.metadata.name)];
    if (object.kind === 'Pod') {
      const owner = ownerDeploymentName(object);
      return owner ? [deploymentKey(object.metadata.namespace, owner)] : [];
    }
    return [];
  }

  async initialKeys(): Promise<string[]> {
    await this.#pods.start();
    const { items } = await this.#store.list('Deployment');
    const keys = new Set(items.map((d) => deploymentKey(d.metadata.namespace, d.metadata.name)));
    // Pods whose Deployment was deleted while the hub was down are collected too.
    for (const owner of this.#pods.indexValues('owner').keys()) keys.add(owner);
    return [...keys];
  }

  stop(): void {
    this.#pods.stop();
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const [namespace = 'default', name = ''] = key.split('/');
    await this.#pods.start();
    const deployment = await this.#store.get('Deployment', namespace, name);
    const owned = this.#pods.byIndex('owner', deploymentKey(namespace, name));

    if (!deployment) {
      await this.#deletePods(owned);
      return;
    }
    const uid = deployment.metadata.uid;
    const hash = templateHash(deployment);
    // One pass over the pods, as this runs on every status change of every pod.
    const strays: Pod[] = [];
    const finished: Pod[] = [];
    const current: Pod[] = [];
    const old: Pod[] = [];
    for (const pod of owned) {
      // A pod of an earlier Deployment of the same name goes too.
      if (!pod.metadata.ownerReferences?.some((o) => o.uid === uid)) strays.push(pod);
      // A finished pod of a Deployment is replaced, as a crashed ReplicaSet pod would be.
      else if (isFinished(pod)) finished.push(pod);
      else if (pod.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash) current.push(pod);
      else old.push(pod);
    }

    const strategy = deployment.spec.strategy;
    const plan = planRollout({
      replicas: deployment.spec.replicas ?? 1,
      strategy: strategy?.type ?? 'RollingUpdate',
      maxSurge: strategy?.rollingUpdate?.maxSurge ?? 1,
      maxUnavailable: strategy?.rollingUpdate?.maxUnavailable ?? 0,
      current,
      old,
    });
    await this.#deletePods([...strays, ...finished, ...plan.delete]);
    await this.#createPods(deployment, hash, plan.create);

    const deleted = new Set(plan.delete);
    const remaining = [...current, ...old].filter((p) => !deleted.has(p));
    const ready = remaining.filter(isPodReady).length;
    await this.#writeStatus(deployment, {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: remaining.length + plan.create,
      updatedReplicas: current.filter((p) => !deleted.has(p)).length + plan.create,
      readyReplicas: ready,
      availableReplicas: ready,
    });
  }

  /**
   * All at once, so the store commits them in a few batches; one event names them. Every
   * write is settled before the reconcile ends, so a retry never counts pods still in flight.
   */
  async #createPods(deployment: Deployment, hash: string, count: number): Promise<void> {
    if (count === 0) return;
    const results = await Promise.allSettled(Array.from({ length: count }, () => this.#createPod(deployment, hash)));
    const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (created.length > 0) {
      this.#events.record(referenceTo(deployment), 'Normal', 'SuccessfulCreate', `created ${describePods(created)}`);
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Creates one pod under a random name, as Kubernetes' generateName, trying another name if it is taken. */
  async #createPod(deployment: Deployment, hash: string): Promise<string> {
    const { metadata, spec } = deployment;
    for (let attempt = 1; ; attempt++) {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${metadata.name}-${hash}-${randomSuffix()}`,
          namespace: metadata.namespace ?? 'default',
          labels: { ...spec.template.metadata?.labels, [TEMPLATE_HASH_LABEL]: hash },
          ...(spec.template.metadata?.annotations ? { annotations: { ...spec.template.metadata.annotations } } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: metadata.name, uid: metadata.uid ?? '', controller: true }],
        },
        spec: spec.template.spec,
        status: { phase: 'Pending' },
      };
      try {
        return (await this.#store.create(pod)).metadata.name;
      } catch (error) {
        if (!hasCode(error, 'AlreadyExists') || attempt >= NAME_ATTEMPTS) throw error;
      }
    }
  }

  async #deletePods(pods: readonly Pod[]): Promise<void> {
    if (pods.length === 0) return;
    const deleted = await Promise.all(
      pods.map(async (pod) => {
        try {
          const { resourceVersion } = pod.metadata;
          await this.#store.delete('Pod', pod.metadata.namespace, pod.metadata.name, resourceVersion ? { resourceVersion } : {});
          return pod;
        } catch (error) {
          if (hasCode(error, 'NotFound')) return undefined;
          throw error;
        }
      }),
    );
    const byOwner = new Map<string, string[]>();
    for (const pod of deleted) {
      const owner = pod && ownerDeploymentName(pod);
      if (!pod || !owner) continue;
      const key = deploymentKey(pod.metadata.namespace, owner);
      let names = byOwner.get(key);
      if (names === undefined) byOwner.set(key, (names = []));
      names.push(pod.metadata.name);
    }
    for (const [key, names] of byOwner) {
      const [namespace = 'default', name = ''] = key.split('/');
      this.#events.record({ kind: 'Deployment', name, namespace }, 'Normal', 'SuccessfulDelete', `deleted ${describePods(names)}`);
    }
    this.#log.debug({ pods: deleted.length }, 'pods deleted');
  }

  async #writeStatus(deployment: Deployment, status: NonNullable<Deployment['status']>): Promise<void> {
    if (JSON.stringify(deployment.status) === JSON.stringify(status)) return;
    await this.#store.update({ ...deployment, status });
  }
}
