/**
 * The DaemonSet controller: one pod of the DaemonSet's template on every device that should
 * run it (placement.ts), created already bound to its device; pods of a device that stops
 * matching, or is removed, deleted; a changed template rolled out device by device (plan.ts)
 * at the pace the staged rollout engine allows (controllers/rollout); the pods and revisions
 * of a deleted DaemonSet collected; the status written.
 *
 * Keys are `namespace/name`. A pass reads the device cache and the DaemonSet's own pods (an
 * index kept beside the shared pod cache), never every pod of the fleet, and remembers per
 * template what it worked out per device object and per pod object, so a pass over 10,000
 * devices where little changed costs tens of milliseconds; passes that only pod reports call
 * for are spaced (MIN_PACED_INTERVAL_MS), so a rollout's flood of reports costs a few passes
 * a second rather than one per report.
 */
import { hasCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { referenceTo, type ControllerRevision, type DaemonSet, type DaemonSetStatus, type Device, type Pod, type PodTemplate } from '../../../shared/objects.js';
import type { SchedulerConfig } from '../../scheduler/config.js';
import type { Store, WatchEvent } from '../../store/store.js';
import type { Controller } from '../controller.js';
import type { EventSink } from '../events.js';
import { Informer } from '../informer.js';
import { isFinished, podInformer, type PodInformer } from '../pods.js';
import { resumedWave, rolledBackFrom, ROLLED_BACK_FROM_ANNOTATION } from '../rollout/annotations.js';
import { readySince, rolloutPod } from '../rollout/pod-health.js';
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
  templateHash,
  TEMPLATE_HASH_LABEL,
  type RevisionInformer,
} from '../rollout/revisions.js';
import { DaemonScheduling } from './fit.js';
import { daemonTolerations, isPendingDevice, placementOn, type DaemonSelection, type Placement } from './placement.js';
import { isCurrent, planDaemonSet, type DaemonPlan, type DeleteReason, type DeviceSlot } from './plan.js';
import { daemonSetKey, DaemonPodIndex, ownerDaemonSetName } from './pod-index.js';
import { daemonPod, describePods } from './pods.js';
import { daemonStrategy } from './rollout.js';

export { daemonSetKey };

/** Names tried for a new pod before its creation is given up as failed. */
const NAME_ATTEMPTS = 5;

/** Devices the scheduler's filters keep a pod off are tried again this often, besides on every device change. */
export const RETRY_UNPLACED_MS = 10_000;

/** The least time between two passes of a DaemonSet that only its pods' reports called for. */
export const MIN_PACED_INTERVAL_MS = 200;

/** Devices named one by one in a FailedPlacement event. */
const NAMED_DEVICES = 5;

/** A device that is gone, or was never known: nothing of the DaemonSet may stay there. */
const GONE: Placement = Object.freeze({ shouldRun: false, shouldContinueRunning: false, reason: 'device is not in the fleet' });

/** What a DaemonSet's template means for devices, worked out once per template. */
interface TemplateView {
  uid: string | undefined;
  generation: number | undefined;
  hash: string;
  /** A pod of the template, for the scheduler's filters to judge. */
  probe: Pod;
  selection: DaemonSelection;
  /** By device object: the store hands out a new object on every change, so an answer never goes stale. */
  placements: WeakMap<Device, Placement>;
  /** The devices that should run the pod, as of a state of the device cache (its epoch). */
  selected?: { epoch: number; devices: SelectedDevice[] };
}

interface SelectedDevice {
  name: string;
  placement: Placement;
  pending: boolean;
}

const NO_PODS: readonly Pod[] = Object.freeze([]);

export interface DaemonSetControllerOptions {
  store: Store;
  events: EventSink;
  log: Logger;
  /** The hub's shared pod cache; one of its own otherwise. */
  pods?: PodInformer;
  /** The hub's device cache; one of its own otherwise. */
  devices?: Informer<'Device'>;
  /** A cache of the revisions; one of its own otherwise. */
  revisions?: RevisionInformer;
  /** The hub's scheduler settings: daemon pods must pass the same filters (less those about the device's state). */
  scheduler?: SchedulerConfig;
  now?: () => number;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  readonly watches = ['DaemonSet', 'Pod', 'Device'] as const;
  readonly #options: DaemonSetControllerOptions;
  readonly #pods: PodInformer;
  readonly #devices: Informer<'Device'>;
  readonly #revisions: RevisionInformer;
  readonly #daemonSets: Informer<'DaemonSet'>;
  readonly #index: DaemonPodIndex;
  readonly #scheduling: DaemonScheduling;
  readonly #owned: { pods: boolean; devices: boolean; revisions: boolean };
  readonly #views = new Map<string, TemplateView>();
  /**
   * By DaemonSet key, what this controller last wrote into it (its status): the watch event
   * of that write needs no pass. Told before the write, as the store tells watchers within it.
   */
  readonly #written = new Map<string, string>();
  /** Grows with every change of the device cache: what was worked out for an older one is stale. */
  #deviceEpoch = 0;
  /** By device, what of it can change where DaemonSets run (see placementSignature). */
  readonly #deviceSignatures = new Map<string, string>();
  /**
   * Keys queued by pod reports only, which wait for MIN_PACED_INTERVAL_MS after the key's last
   * pass: while a rollout replaces thousands of pods, each reporting, passes would otherwise
   * run back to back; spaced, one pass takes in every report that came meanwhile.
   */
  readonly #paced = new Set<string>();
  /** Keys queued by a change of the DaemonSet or a device: they do not wait. */
  readonly #urgent = new Set<string>();
  /** When each key's last pass ended (epoch ms). */
  readonly #lastPass = new Map<string, number>();
  /** When each pod became Ready (null: it is not), by pod object: a pass reads every pod's, most unchanged. */
  readonly #readiness = new WeakMap<Pod, number | null>();
  /** How the rollout engine reads each pod, by pod object, for the template hash and device state it was read with. */
  readonly #judged = new WeakMap<Pod, { updated: boolean; offline: boolean; view: RolloutPod }>();

  constructor(options: DaemonSetControllerOptions) {
    this.#options = options;
    this.#owned = { pods: options.pods === undefined, devices: options.devices === undefined, revisions: options.revisions === undefined };
    this.#pods = options.pods ?? podInformer(options.store);
    this.#devices = options.devices ?? new Informer(options.store, 'Device', {});
    this.#revisions = options.revisions ?? revisionInformer(options.store);
    this.#daemonSets = new Informer(options.store, 'DaemonSet', {});
    this.#index = new DaemonPodIndex(this.#pods);
    this.#scheduling = new DaemonScheduling(options.scheduler);
    this.#devices.onChange(() => {
      this.#deviceEpoch++;
    });
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  keysFor(event: WatchEvent): string[] {
    const object = event.object;
    switch (object.kind) {
      case 'DaemonSet': {
        const key = daemonSetKey(object.metadata.namespace, object.metadata.name);
        if (event.type === 'MODIFIED' && this.#written.get(key) === writtenFingerprint(object)) return [];
        this.#urgent.add(key);
        return [key];
      }
      case 'Pod': {
        const owner = ownerDaemonSetName(object);
        if (owner === undefined) return [];
        const key = daemonSetKey(object.metadata.namespace, owner);
        this.#paced.add(key);
        return [key];
      }
      case 'Device': {
        // Most device writes (NotReady and back, a status message) change nothing a DaemonSet
        // goes by; one that does concerns every DaemonSet, and DaemonSets are few.
        const name = object.metadata.name;
        const signature = event.type === 'DELETED' ? undefined : placementSignature(object);
        if (signature === this.#deviceSignatures.get(name)) return [];
        if (signature === undefined) this.#deviceSignatures.delete(name);
        else this.#deviceSignatures.set(name, signature);
        const keys = [...this.#daemonSets.list()].map((ds) => daemonSetKey(ds.metadata.namespace, ds.metadata.name));
        for (const key of keys) this.#urgent.add(key);
        return keys;
      }
      default:
        return [];
    }
  }

  async #start(): Promise<void> {
    await Promise.all([this.#index.start(), this.#devices.start(), this.#revisions.start(), this.#daemonSets.start()]);
  }

  async initialKeys(): Promise<string[]> {
    await this.#start();
    for (const device of this.#devices.list()) this.#deviceSignatures.set(device.metadata.name, placementSignature(device));
    const keys = new Set([...this.#daemonSets.list()].map((ds) => daemonSetKey(ds.metadata.namespace, ds.metadata.name)));
    // Pods and revisions of DaemonSets deleted while the hub was down are collected too.
    for (const owner of this.#index.owners()) keys.add(owner);
    for (const owner of this.#revisions.indexValues('owner').keys()) {
      const [kind, namespace, name] = owner.split('/');
      if (kind === 'DaemonSet' && namespace !== undefined && name !== undefined) keys.add(daemonSetKey(namespace, name));
    }
    return [...keys];
  }

  stop(): void {
    this.#daemonSets.stop();
    if (this.#owned.pods) this.#pods.stop();
    if (this.#owned.devices) this.#devices.stop();
    if (this.#owned.revisions) this.#revisions.stop();
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    if (this.#paced.has(key) && !this.#urgent.has(key)) {
      const wait = (this.#lastPass.get(key) ?? -Infinity) + MIN_PACED_INTERVAL_MS - Date.now();
      if (wait > 0) return { requeueAfterMs: wait };
    }
    this.#paced.delete(key);
    this.#urgent.delete(key);
    try {
      return await this.#pass(key);
    } finally {
      this.#lastPass.set(key, Date.now());
    }
  }

  async #pass(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const [namespace = 'default', name = ''] = key.split('/');
    await this.#start();
    const owned = this.#index.podsOf(key);
    const daemonSet = await this.#options.store.get('DaemonSet', namespace, name);
    if (daemonSet === undefined) {
      this.#views.delete(key);
      await this.#deletePods(key, owned.map((pod) => ({ pod, reason: 'misscheduled' as const })));
      await deleteRevisions(this.#options.store, this.#revisions.byIndex('owner', ownerKey('DaemonSet', namespace, name)));
      return;
    }

    const view = this.#viewOf(key, daemonSet);
    const now = this.#now();
    const { slots, strays } = this.#slots(daemonSet, view, owned);
    await this.#deletePods(key, strays.map((pod) => ({ pod, reason: 'misscheduled' as const })));

    const revision = await ensureRevision(this.#options.store, daemonSet, daemonSet.spec.template, view.hash, cachedRevisions(this.#revisions, daemonSet));
    const strategy = daemonStrategy(daemonSet.spec.updateStrategy);
    const target = slots.reduce((n, slot) => n + (slot.placement.shouldRun ? 1 : 0), 0);
    const decision = this.#decide(daemonSet, revision.current, revision.revisions, target, slots, view.hash, now);
    if (decision.rollbackTo !== undefined) {
      const rolledBack = await this.#rollBack(daemonSet, revision.current, revision.revisions, decision);
      if (rolledBack) return;
    }

    const previous = previousRevision(revision.revisions, revision.current);
    const plan = planDaemonSet({
      slots,
      hash: view.hash,
      strategy: strategy.type,
      maxSurge: strategy.maxSurge,
      maxUnavailable: strategy.maxUnavailable,
      minReadySeconds: daemonSet.spec.minReadySeconds ?? 0,
      now,
      updatedCap: decision.updatedCap,
      canPlaceOld: previous !== undefined,
      readySince: (pod) => this.#readySince(pod),
      fits: (device) => this.#fits(view.probe, device, key),
    });
    await this.#deletePods(key, plan.delete);
    await this.#createPods(daemonSet, daemonSet.spec.template, view.hash, plan.create.filter((c) => c.old !== true).map((c) => c.device));
    if (previous !== undefined) {
      const joined = plan.create.filter((c) => c.old === true).map((c) => c.device);
      await this.#createPods(daemonSet, previous.data.template, revisionHash(previous), joined);
    }
    if (plan.unplaced.length > 0) this.#reportUnplaced(daemonSet, plan);

    this.#record(daemonSet, decision);
    const inUse = new Set(owned.map((pod) => pod.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '').filter((hash) => hash !== ''));
    await pruneRevisions(this.#options.store, revision.revisions, {
      limit: daemonSet.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT,
      current: revision.current,
      inUse,
    });
    await this.#writeStatus(daemonSet, statusOf(daemonSet, plan, decision));

    const waits = [decision.requeueAfterMs, plan.nextCheckAt === undefined ? undefined : plan.nextCheckAt - now, plan.unplaced.length > 0 ? RETRY_UNPLACED_MS : undefined];
    const due = Math.min(...waits.filter((ms): ms is number => ms !== undefined));
    if (Number.isFinite(due)) return { requeueAfterMs: Math.max(0, due) };
  }

  /** The template's view, worked out again only when the DaemonSet's spec (its generation) changed. */
  #viewOf(key: string, daemonSet: DaemonSet): TemplateView {
    const { uid, generation } = daemonSet.metadata;
    const known = this.#views.get(key);
    if (known !== undefined && known.uid === uid && known.generation === generation) return known;
    const hash = templateHash(daemonSet.spec.template);
    // The pod as the scheduler's filters judge it; its nodeName is set per device.
    const probe = daemonPod(daemonSet, daemonSet.spec.template, hash, '', new Date(0), 'probe');
    const view: TemplateView = {
      uid,
      generation,
      hash,
      probe,
      selection: {
        mismatch: (device) => this.#scheduling.selects(onDevice(probe, device.metadata.name), device),
        tolerations: daemonTolerations(daemonSet.spec.template.spec.tolerations),
      },
      placements: new WeakMap(),
    };
    this.#views.set(key, view);
    return view;
  }

  /**
   * Every device the DaemonSet has to think about, with its pods: the devices that should run
   * it and the devices its pods are on. Pods that are not the DaemonSet's to keep (of an
   * earlier DaemonSet of the same name, finished, or unbound) come back as strays.
   */
  #slots(daemonSet: DaemonSet, view: TemplateView, owned: readonly Pod[]): { slots: DeviceSlot[]; strays: Pod[] } {
    const uid = daemonSet.metadata.uid;
    const strays: Pod[] = [];
    const byDevice = new Map<string, Pod[]>();
    for (const pod of owned) {
      const device = pod.spec.nodeName;
      // A finished daemon pod is replaced, as Kubernetes replaces a failed one.
      if (device === undefined || isFinished(pod) || !pod.metadata.ownerReferences?.some((o) => o.uid === uid)) {
        strays.push(pod);
        continue;
      }
      const pods = byDevice.get(device);
      if (pods === undefined) byDevice.set(device, [pod]);
      else pods.push(pod);
    }
    const slots: DeviceSlot[] = [];
    for (const { name, placement, pending } of this.#selected(view)) {
      const pods = byDevice.get(name);
      if (pods !== undefined) byDevice.delete(name);
      slots.push({ device: name, placement, pending, pods: pods ?? NO_PODS });
    }
    // Pods on devices that should not run the DaemonSet (any more), or are gone.
    for (const [name, pods] of byDevice) {
      const device = this.#devices.get(undefined, name);
      const placement = device === undefined ? GONE : placementOf(view, device);
      slots.push({ device: name, placement, pending: device !== undefined && isPendingDevice(device), pods });
    }
    return { slots, strays };
  }

  /** The devices that should run the pod, worked out again only when a device changed. */
  #selected(view: TemplateView): readonly SelectedDevice[] {
    if (view.selected?.epoch === this.#deviceEpoch) return view.selected.devices;
    const devices: SelectedDevice[] = [];
    for (const device of this.#devices.list()) {
      const placement = placementOf(view, device);
      if (placement.shouldRun) devices.push({ name: device.metadata.name, placement, pending: isPendingDevice(device) });
    }
    view.selected = { epoch: this.#deviceEpoch, devices };
    return devices;
  }

  #readySince(pod: Pod): number | undefined {
    let since = this.#readiness.get(pod);
    if (since === undefined) {
      since = readySince(pod) ?? null;
      this.#readiness.set(pod, since);
    }
    return since ?? undefined;
  }

  /** The rollout engine's reading of a pod, made again only when the pod, the template or its device's state changed. */
  #judge(pod: Pod, updated: boolean, offline: boolean): RolloutPod {
    const known = this.#judged.get(pod);
    if (known !== undefined && known.updated === updated && known.offline === offline) return known.view;
    const view = rolloutPod(pod, updated, offline);
    this.#judged.set(pod, { updated, offline, view });
    return view;
  }

  /** The staged rollout engine's decision for the pass. */
  #decide(
    daemonSet: DaemonSet,
    current: ControllerRevision,
    revisions: readonly ControllerRevision[],
    target: number,
    slots: readonly DeviceSlot[],
    hash: string,
    now: number,
  ): RolloutDecision {
    const pods: RolloutPod[] = [];
    for (const slot of slots) {
      if (!slot.placement.shouldRun) continue;
      for (const pod of slot.pods) pods.push(this.#judge(pod, isCurrent(pod, hash), slot.pending));
    }
    const previous = previousRevision(revisions, current);
    const from = rolledBackFrom(daemonSet);
    const resumed = resumedWave(daemonSet);
    return decideRollout({
      revision: current.revision,
      ...(previous === undefined ? {} : { previousRevision: previous.revision }),
      target,
      strategy: daemonStrategy(daemonSet.spec.updateStrategy).staged,
      spec: daemonSet.spec,
      pods,
      ...(daemonSet.status?.rollout === undefined ? {} : { previous: daemonSet.status.rollout }),
      now,
      ...(resumed === undefined ? {} : { resumed }),
      // The annotation outlives the rollback only until the template is the failed one again.
      ...(from === undefined || from === current.revision ? {} : { rollbackFrom: from }),
    });
  }

  /**
   * Puts the template of the revision the engine rolls back to into the DaemonSet, marked with
   * the revision that failed, as the Deployment controller does: the next pass rolls it out
   * as a rollback. Returns false when that revision is gone.
   */
  async #rollBack(daemonSet: DaemonSet, failed: ControllerRevision, revisions: readonly ControllerRevision[], decision: RolloutDecision): Promise<boolean> {
    const target = revisions.find((revision) => revision.revision === decision.rollbackTo);
    if (target === undefined) return false;
    const annotations = { ...daemonSet.metadata.annotations, [ROLLED_BACK_FROM_ANNOTATION]: String(failed.revision) };
    await this.#options.store.update<DaemonSet>({
      ...daemonSet,
      metadata: { ...daemonSet.metadata, annotations },
      spec: { ...daemonSet.spec, template: structuredClone(target.data.template) },
      status: { ...emptyStatus(), ...daemonSet.status, rollout: decision.status },
    });
    this.#record(daemonSet, decision);
    this.#options.log.info({ daemonSet: daemonSetKey(daemonSet.metadata.namespace, daemonSet.metadata.name), from: failed.revision, to: target.revision }, 'rollout failed; rolled back');
    return true;
  }

  #record(daemonSet: DaemonSet, decision: RolloutDecision): void {
    for (const event of decision.events) this.#options.events.record(referenceTo(daemonSet), event.type, event.reason, event.message);
  }

  /** Whether a new pod fits on the device beside the pods that stay there (none of this DaemonSet's). */
  #fits(probe: Pod, deviceName: string, key: string): string | undefined {
    const device = this.#devices.get(undefined, deviceName);
    if (device === undefined) return 'device is not in the fleet';
    const others = this.#pods.byIndex('device', deviceName).filter((pod) => ownerDaemonSetKey(pod) !== key && !isFinished(pod));
    return this.#scheduling.fits(onDevice(probe, deviceName), device, others);
  }

  #reportUnplaced(daemonSet: DaemonSet, plan: DaemonPlan): void {
    const shown = plan.unplaced.slice(0, NAMED_DEVICES).map((u) => `${u.device}: ${u.reason}`);
    const more = plan.unplaced.length > shown.length ? ` and ${plan.unplaced.length - shown.length} more` : '';
    const devices = plan.unplaced.length === 1 ? '1 device' : `${plan.unplaced.length} devices`;
    this.#options.events.record(referenceTo(daemonSet), 'Warning', 'FailedPlacement', `pod does not fit on ${devices}: ${shown.join('; ')}${more}`);
  }

  /**
   * All at once, so the store commits them in a few batches; one event names them. Every
   * write is settled before the pass ends, so a retry never counts pods still in flight.
   */
  async #createPods(daemonSet: DaemonSet, template: PodTemplate, hash: string, devices: readonly string[]): Promise<void> {
    if (devices.length === 0) return;
    const now = new Date(this.#now());
    const results = await Promise.allSettled(devices.map((device) => this.#createPod(daemonSet, template, hash, device, now)));
    const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (created.length > 0) {
      this.#options.events.record(referenceTo(daemonSet), 'Normal', 'SuccessfulCreate', `created ${describePods(created)}`);
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #createPod(daemonSet: DaemonSet, template: PodTemplate, hash: string, device: string, now: Date): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#options.store.create(daemonPod(daemonSet, template, hash, device, now))).metadata.name;
      } catch (error) {
        if (!hasCode(error, 'AlreadyExists') || attempt >= NAME_ATTEMPTS) throw error;
      }
    }
  }

  async #deletePods(key: string, doomed: readonly { pod: Pod; reason: DeleteReason }[]): Promise<void> {
    if (doomed.length === 0) return;
    const results = await Promise.allSettled(
      doomed.map(async ({ pod }) => {
        const { resourceVersion } = pod.metadata;
        try {
          await this.#options.store.delete('Pod', pod.metadata.namespace, pod.metadata.name, resourceVersion ? { resourceVersion } : {});
          return pod.metadata.name;
        } catch (error) {
          // Gone already, or changed meanwhile: the change brings the DaemonSet back here.
          if (hasCode(error, 'NotFound') || hasCode(error, 'Conflict')) return undefined;
          throw error;
        }
      }),
    );
    const deleted = results.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
    if (deleted.length > 0) {
      const [namespace = 'default', name = ''] = key.split('/');
      this.#options.events.record({ kind: 'DaemonSet', name, namespace }, 'Normal', 'SuccessfulDelete', `deleted ${describePods(deleted)}`);
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #writeStatus(daemonSet: DaemonSet, status: DaemonSetStatus): Promise<void> {
    if (JSON.stringify(daemonSet.status) === JSON.stringify(status)) return;
    const next: DaemonSet = { ...daemonSet, status };
    const key = daemonSetKey(daemonSet.metadata.namespace, daemonSet.metadata.name);
    this.#written.set(key, writtenFingerprint(next));
    try {
      await this.#options.store.update(next);
    } catch (error) {
      this.#written.delete(key);
      throw error;
    }
  }
}

/** What a write of this controller leaves in a DaemonSet: anything else that changes in it calls for a pass. */
function writtenFingerprint(daemonSet: DaemonSet): string {
  const { generation, labels, annotations } = daemonSet.metadata;
  return JSON.stringify([generation, labels, annotations, daemonSet.status]);
}

/**
 * What of a device the DaemonSets go by: its labels, taints and cordon, whether it is
 * Offline (pending), the capacity its pods must fit, and the platform it reports.
 */
function placementSignature(device: Device): string {
  const { status } = device;
  const platform = status?.info === undefined ? undefined : [status.info.arch, status.info.os];
  return JSON.stringify([device.metadata.labels, device.spec, isPendingDevice(device), status?.capacity, platform]);
}

/** Where the DaemonSet stands on a device, remembered per device object. */
function placementOf(view: TemplateView, device: Device): Placement {
  let placement = view.placements.get(device);
  if (placement === undefined) {
    placement = placementOn(device, view.selection);
    view.placements.set(device, placement);
  }
  return placement;
}

function onDevice(pod: Pod, device: string): Pod {
  return { ...pod, spec: { ...pod.spec, nodeName: device } };
}

function ownerDaemonSetKey(pod: Pod): string | undefined {
  const owner = ownerDaemonSetName(pod);
  return owner === undefined ? undefined : daemonSetKey(pod.metadata.namespace, owner);
}

function emptyStatus(): DaemonSetStatus {
  return {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
  };
}

function statusOf(daemonSet: DaemonSet, plan: DaemonPlan, decision: RolloutDecision): DaemonSetStatus {
  const { counts } = plan;
  return {
    observedGeneration: daemonSet.metadata.generation ?? 1,
    desiredNumberScheduled: counts.desired,
    currentNumberScheduled: counts.current,
    numberMisscheduled: counts.misscheduled,
    numberReady: counts.ready,
    updatedNumberScheduled: counts.updated,
    numberAvailable: counts.available,
    rollout: decision.status,
  };
}
