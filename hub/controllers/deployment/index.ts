/**
 * The Deployment controller: keeps `replicas` pods of the Deployment's template, replacing
 * pods of an older template as rollout.ts allows and the staged rollout engine
 * (../rollout/progress.ts) lets through, deleting the pods of a deleted Deployment, and
 * writing the Deployment's status with where its rollout stands.
 *
 * Every distinct template is a ControllerRevision (../rollout/revisions.ts). When the engine
 * says the rollout failed and must go back, the controller writes the previous revision's
 * template into the Deployment, as `kubectl rollout undo` does, and marks it with the
 * `flotilla.io/rolled-back-from` annotation, so the old template goes out as a rollback.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { hasCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { referenceTo, type ControllerRevision, type Deployment, type DeploymentStatus, type Pod, type PodTemplate } from '../../../shared/objects.js';
import { DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE } from '../../../shared/validation.js';
import type { Store, WatchEvent } from '../../store/store.js';
import type { Controller } from '../controller.js';
import type { EventSink } from '../events.js';
import { Informer } from '../informer.js';
import { deploymentKey, isFinished, ownerDeploymentName, podInformer, type PodInformer } from '../pods.js';
import { resumedWave, rolledBackFrom, ROLLED_BACK_FROM_ANNOTATION } from '../rollout/annotations.js';
import { scaledValue } from '../rollout/int-or-percent.js';
import { rolloutPod, readySince } from '../rollout/pod-health.js';
import { decideRollout, type RolloutDecision, type RolloutPod } from '../rollout/progress.js';
import {
  cachedRevisions,
  DEFAULT_REVISION_HISTORY_LIMIT,
  deleteRevisions,
  ensureRevision,
  ownerKey,
  previousRevision,
  pruneRevisions,
  revisionHash,
  revisionInformer,
  templateHash as hashOfTemplate,
  TEMPLATE_HASH_LABEL,
  type RevisionInformer,
} from '../rollout/revisions.js';
import { planRollout } from './rollout.js';

export { deploymentKey, TEMPLATE_HASH_LABEL };

/** The hash of the Deployment's current template, which its pods carry as `pod-template-hash`. */
export function templateHash(deployment: Deployment): string {
  return hashOfTemplate(deployment.spec.template);
}

/** Names tried for a new pod before its creation is given up as failed. */
const NAME_ATTEMPTS = 5;

/** A timed wake-up comes this much after the time it waits for, so the time has surely passed. */
const REQUEUE_SLACK_MS = 50;

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

export interface DeploymentControllerOptions {
  store: Store;
  events: EventSink;
  log: Logger;
  /** The hub's shared pod cache; one of its own otherwise. */
  pods?: PodInformer;
  /** The hub's device cache (which devices are Offline); one of its own otherwise. */
  devices?: Informer<'Device'>;
  now?: () => number;
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  readonly watches = ['Deployment', 'Pod', 'Device'] as const;
  readonly #store: Store;
  readonly #events: EventSink;
  readonly #log: Logger;
  readonly #pods: PodInformer;
  readonly #devices: Informer<'Device'>;
  readonly #ownsDevices: boolean;
  readonly #revisions: RevisionInformer;
  readonly #now: () => number;
  /** Whether each device was Offline at its last change: its pods' Deployments look again when that flips. */
  readonly #offline = new Map<string, boolean>();

  constructor(options: DeploymentControllerOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#log = options.log;
    this.#pods = options.pods ?? podInformer(options.store);
    this.#ownsDevices = options.devices === undefined;
    this.#devices = options.devices ?? new Informer(options.store, 'Device', {});
    this.#revisions = revisionInformer(options.store);
    this.#now = options.now ?? Date.now;
  }

  keysFor(event: WatchEvent): string[] {
    const object = event.object;
    if (object.kind === 'Deployment') return [deploymentKey(object.metadata.namespace, object.metadata.name)];
    if (object.kind === 'Pod') {
      const owner = ownerDeploymentName(object);
      return owner ? [deploymentKey(object.metadata.namespace, owner)] : [];
    }
    if (object.kind === 'Device') {
      // A device going Offline or coming back moves its pods between pending and not.
      const name = object.metadata.name;
      const offline = event.type !== 'DELETED' && object.status?.state === 'Offline';
      const was = this.#offline.get(name) ?? false;
      if (event.type === 'DELETED') this.#offline.delete(name);
      else this.#offline.set(name, offline);
      if (offline === was) return [];
      const keys = new Set<string>();
      for (const pod of this.#pods.byIndex('device', name)) {
        const owner = ownerDeploymentName(pod);
        if (owner) keys.add(deploymentKey(pod.metadata.namespace, owner));
      }
      return [...keys];
    }
    return [];
  }

  async initialKeys(): Promise<string[]> {
    await this.#started();
    for (const device of this.#devices.list()) this.#offline.set(device.metadata.name, device.status?.state === 'Offline');
    const { items } = await this.#store.list('Deployment');
    const keys = new Set(items.map((d) => deploymentKey(d.metadata.namespace, d.metadata.name)));
    // Pods and revisions whose Deployment was deleted while the hub was down are collected too.
    for (const owner of this.#pods.indexValues('owner').keys()) keys.add(owner);
    for (const owner of this.#revisions.indexValues('owner').keys()) {
      const [kind, namespace, name] = owner.split('/');
      if (kind === 'Deployment' && namespace !== undefined && name !== undefined) keys.add(deploymentKey(namespace, name));
    }
    return [...keys];
  }

  stop(): void {
    this.#pods.stop();
    this.#revisions.stop();
    if (this.#ownsDevices) this.#devices.stop();
  }

  async #started(): Promise<void> {
    await Promise.all([this.#pods.start(), this.#devices.start(), this.#revisions.start()]);
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const [namespace = 'default', name = ''] = key.split('/');
    await this.#started();
    const deployment = await this.#store.get('Deployment', namespace, name);
    const owned = this.#pods.byIndex('owner', deploymentKey(namespace, name));

    if (!deployment) {
      await this.#deletePods(owned);
      await deleteRevisions(this.#store, this.#revisions.byIndex('owner', ownerKey('Deployment', namespace, name)));
      return;
    }
    const uid = deployment.metadata.uid;
    const hash = templateHash(deployment);
    const { current: revision, revisions } = await ensureRevision(
      this.#store,
      deployment,
      deployment.spec.template,
      hash,
      cachedRevisions(this.#revisions, deployment),
    );
    // One pass over the pods, as this runs on every status change of every pod.
    const strays: Pod[] = [];
    const finished: Pod[] = [];
    const current: Pod[] = [];
    const old: Pod[] = [];
    const judged: RolloutPod[] = [];
    for (const pod of owned) {
      // A pod of an earlier Deployment of the same name goes too.
      if (!pod.metadata.ownerReferences?.some((o) => o.uid === uid)) {
        strays.push(pod);
        continue;
      }
      const updated = pod.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash;
      // A finished pod of a Deployment is replaced, as a crashed ReplicaSet pod would be; its
      // failure still counts once against the rollout.
      if (isFinished(pod)) finished.push(pod);
      else if (updated) current.push(pod);
      else old.push(pod);
      if (updated || !isFinished(pod)) judged.push(rolloutPod(pod, updated, this.#isOffline(pod)));
    }

    const spec = deployment.spec;
    const replicas = spec.replicas ?? 1;
    const strategy = spec.strategy ?? {};
    const previous = previousRevision(revisions, revision);
    const now = this.#now();
    const returnedFrom = rolledBackFrom(deployment);
    const resumed = resumedWave(deployment);
    const decision = decideRollout({
      revision: revision.revision,
      ...(previous === undefined ? {} : { previousRevision: previous.revision }),
      target: replicas,
      strategy,
      spec,
      pods: judged,
      ...(deployment.status?.rollout === undefined ? {} : { previous: deployment.status.rollout }),
      now,
      ...(resumed === undefined ? {} : { resumed }),
      ...(returnedFrom === undefined || returnedFrom === revision.revision ? {} : { rollbackFrom: returnedFrom }),
    });

    if (decision.rollbackTo !== undefined) {
      const target = revisions.find((r) => r.revision === decision.rollbackTo);
      if (target !== undefined) {
        await this.#rollBack(deployment, revision, target, decision);
        return;
      }
    }

    const minReadyMs = (spec.minReadySeconds ?? 0) * 1000;
    const isAvailable = (pod: Pod): boolean => {
      const since = readySince(pod);
      return since !== undefined && now - since >= minReadyMs;
    };
    const plan = planRollout({
      replicas,
      strategy: strategy.type ?? 'RollingUpdate',
      maxSurge: scaledValue(strategy.rollingUpdate?.maxSurge ?? DEFAULT_MAX_SURGE, replicas, true),
      maxUnavailable: scaledValue(strategy.rollingUpdate?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, replicas, false),
      current,
      old,
      updatedCap: decision.updatedCap,
      canReplaceOld: previous !== undefined,
      isAvailable,
    });
    await this.#deletePods([...strays, ...finished, ...plan.delete]);
    await this.#createPods(deployment, hash, spec.template, plan.create);
    if (previous !== undefined && plan.createOld > 0) {
      await this.#createPods(deployment, revisionHash(previous), previous.data.template, plan.createOld);
    }

    const deleted = new Set(plan.delete);
    const remaining = [...current, ...old].filter((p) => !deleted.has(p));
    const inUse = new Set([hash, ...remaining.map((p) => p.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '')]);
    await pruneRevisions(this.#store, revisions, { limit: spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT, current: revision, inUse });

    let ready = 0;
    let available = 0;
    for (const pod of remaining) {
      if (readySince(pod) === undefined) continue;
      ready++;
      if (isAvailable(pod)) available++;
    }
    const updatedReplicas = current.filter((p) => !deleted.has(p)).length + plan.create;
    const written = await this.#writeStatus(deployment, {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: remaining.length + plan.create + plan.createOld,
      updatedReplicas,
      readyReplicas: ready,
      availableReplicas: available,
      // The engine counted the pods before this pass; what it made and removed counts too.
      rollout: { ...decision.status, updated: updatedReplicas },
    });
    if (written) this.#record(deployment, decision);
    if (decision.requeueAfterMs !== undefined) return { requeueAfterMs: decision.requeueAfterMs + REQUEUE_SLACK_MS };
  }

  #isOffline(pod: Pod): boolean {
    const device = pod.spec.nodeName;
    return device !== undefined && this.#devices.get(undefined, device)?.status?.state === 'Offline';
  }

  /**
   * Writes the previous revision's template back, with the status that says why, in one
   * write: the template change starts the rollback; the next reconcile rolls it out.
   */
  async #rollBack(deployment: Deployment, failed: ControllerRevision, target: ControllerRevision, decision: RolloutDecision): Promise<void> {
    const annotations = { ...deployment.metadata.annotations, [ROLLED_BACK_FROM_ANNOTATION]: String(failed.revision) };
    await this.#store.update<Deployment>({
      ...deployment,
      metadata: { ...deployment.metadata, annotations },
      spec: { ...deployment.spec, template: structuredClone(target.data.template) },
      status: { ...emptyStatus(), ...deployment.status, rollout: decision.status },
    });
    this.#record(deployment, decision);
    this.#log.info({ deployment: `${deployment.metadata.namespace ?? 'default'}/${deployment.metadata.name}`, from: failed.revision, to: target.revision }, 'rollout failed; rolled back');
  }

  #record(deployment: Deployment, decision: RolloutDecision): void {
    for (const event of decision.events) this.#events.record(referenceTo(deployment), event.type, event.reason, event.message);
  }

  /**
   * All at once, so the store commits them in a few batches; one event names them. Every
   * write is settled before the reconcile ends, so a retry never counts pods still in flight.
   */
  async #createPods(deployment: Deployment, hash: string, template: PodTemplate, count: number): Promise<void> {
    if (count === 0) return;
    const results = await Promise.allSettled(Array.from({ length: count }, () => this.#createPod(deployment, hash, template)));
    const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (created.length > 0) {
      this.#events.record(referenceTo(deployment), 'Normal', 'SuccessfulCreate', `created ${describePods(created)}`);
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Creates one pod under a random name, as Kubernetes' generateName, trying another name if it is taken. */
  async #createPod(deployment: Deployment, hash: string, template: PodTemplate): Promise<string> {
    const { metadata } = deployment;
    for (let attempt = 1; ; attempt++) {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${metadata.name}-${hash}-${randomSuffix()}`,
          namespace: metadata.namespace ?? 'default',
          labels: { ...template.metadata?.labels, [TEMPLATE_HASH_LABEL]: hash },
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: metadata.name, uid: metadata.uid ?? '', controller: true }],
        },
        spec: template.spec,
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

  /** Whether a write was needed (and done): an unchanged status is not written again. */
  async #writeStatus(deployment: Deployment, status: DeploymentStatus): Promise<boolean> {
    // Key order differs between a status read back and one built anew; the content decides.
    if (isDeepStrictEqual(deployment.status, status)) return false;
    await this.#store.update({ ...deployment, status });
    return true;
  }
}

function emptyStatus(): DeploymentStatus {
  return { replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0 };
}
