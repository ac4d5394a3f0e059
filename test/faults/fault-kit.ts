/**
 * What every fault scenario measures, the same way: a snapshot of the fleet taken from both
 * sides (each container as Podman has it, each pod as `flotilla get pods -o json` shows it,
 * and every stored object), a diff of two snapshots that names unexpected restarts, lost
 * objects and duplicates, and the time a scenario took to recover, printed as one line:
 *
 *   recovery <scenario>: <seconds> s, lost <n>, duplicates <n>, unexpected restarts <n>
 *
 * A restart is seen from both sides: the engine (another container ID, or the same container
 * started again) and the hub (a higher restart count). A container restarted by its agent
 * keeps its ID, so only its start time gives it away.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { LABEL_CONTAINER, LABEL_DEVICE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../../agent/runtime/runtime.js';
import { KINDS, type Kind } from '../../shared/objects.js';
import { api, getJson, type HubProcess } from '../helpers/fleet.js';

const run = promisify(execFile);

/** One container of a device, as Podman has it. */
export interface EngineContainer {
  id: string;
  device: string;
  /** `namespace/name` of the pod it runs for. */
  pod: string;
  podUid: string;
  container: string;
  running: boolean;
  /** Changes whenever the container starts again, whoever started it. */
  startedAt: string;
  /** Restarts the engine made by its own restart policy (the agent's show in startedAt). */
  engineRestarts: number;
}

/** One pod as the hub shows it. */
export interface HubPod {
  /** `namespace/name`. */
  pod: string;
  uid: string;
  device: string | undefined;
  phase: string | undefined;
  /** `namespace/name` of the Deployment that owns it, if one does. */
  owner: string | undefined;
  containers: { name: string; id: string; restartCount: number }[];
}

export interface FleetSnapshot {
  /** The devices whose containers were looked at. */
  devices: string[];
  containers: EngineContainer[];
  pods: HubPod[];
  /** `Kind namespace/name` (or `Kind name`) of every stored object but Pods and Events. */
  objects: string[];
  /** `namespace/name` → the replicas the Deployment asks for. */
  replicas: Record<string, number>;
}

/** What a scenario's fault is allowed to do; anything else it did counts against it. */
export interface Expected {
  /** Pods (`namespace/name`) whose containers may start again or be replaced: the fault's own victims. */
  restarts?: Iterable<string>;
  /** Pods (`namespace/name`) and objects (`Kind namespace/name`) that may be gone afterwards. */
  gone?: Iterable<string>;
}

export interface FleetDiff {
  lost: string[];
  duplicates: string[];
  unexpectedRestarts: string[];
  /** Stopped containers of pods the hub no longer places on their device: not duplicates, but litter. */
  leftovers: string[];
}

/** What `flotilla get pods -o json` gives; typed for the fields read here. */
interface PodJson {
  metadata: { name: string; namespace?: string; uid?: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { nodeName?: string };
  status?: { phase?: string; containerStatuses?: { name: string; containerID?: string; restartCount: number }[] };
}

interface PodmanInspect {
  Id: string;
  RestartCount?: number;
  State: { Status: string; Running: boolean; StartedAt: string };
  Config: { Labels: Record<string, string> | null };
}

function podKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? 'default'}/${name}`;
}

/** The containers of these devices, running or not, straight from Podman: works with the hub down. */
export async function engineContainers(devices: readonly string[]): Promise<EngineContainer[]> {
  const wanted = new Set(devices);
  const { stdout } = await run('podman', ['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${LABEL_DEVICE}`]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  // A container removed between the list and the inspect makes the inspect fail: look again.
  const inspected = await run('podman', ['container', 'inspect', ...ids]).catch(() => undefined);
  if (inspected === undefined) return engineContainers(devices);
  const found: EngineContainer[] = [];
  for (const c of JSON.parse(inspected.stdout) as PodmanInspect[]) {
    const labels = c.Config.Labels ?? {};
    const device = labels[LABEL_DEVICE] ?? '';
    if (!wanted.has(device)) continue;
    found.push({
      id: c.Id,
      device,
      pod: podKey(labels[LABEL_POD_NAMESPACE], labels[LABEL_POD_NAME] ?? ''),
      podUid: labels[LABEL_POD_UID] ?? '',
      container: labels[LABEL_CONTAINER] ?? '',
      running: c.State.Running,
      startedAt: c.State.StartedAt,
      engineRestarts: c.RestartCount ?? 0,
    });
  }
  return found;
}

/**
 * How a snapshot reads the pods: `cli` as a user sees them (`flotilla get pods -A -o json`),
 * `api` the same JSON straight from the API, cheap enough to poll (the CLI is a process start).
 */
export type PodSource = 'cli' | 'api';

/** Every pod as `flotilla get pods -o json` (or the API behind it) shows it. */
export async function hubPods(hub: HubProcess, source: PodSource = 'cli'): Promise<HubPod[]> {
  const list =
    source === 'cli' ? await getJson<{ items: PodJson[] }>(hub, ['pods', '--all-namespaces']) : await api<{ items: PodJson[] }>(hub, '/api/v1/pods');
  return list.items.map((p) => {
    const owner = p.metadata.ownerReferences?.find((o) => o.kind === 'Deployment');
    return {
      pod: podKey(p.metadata.namespace, p.metadata.name),
      uid: p.metadata.uid ?? '',
      device: p.spec.nodeName,
      phase: p.status?.phase,
      owner: owner ? podKey(p.metadata.namespace, owner.name) : undefined,
      containers: (p.status?.containerStatuses ?? []).map((s) => ({ name: s.name, id: s.containerID ?? '', restartCount: s.restartCount })),
    };
  });
}

/** Kinds whose objects a fault must never lose; Pods are followed one by one, Events come and go. */
const KEPT_KINDS = (Object.keys(KINDS) as Kind[]).filter((kind) => kind !== 'Pod' && kind !== 'Event');

async function storedObjects(hub: HubProcess): Promise<{ objects: string[]; replicas: Record<string, number> }> {
  const objects: string[] = [];
  const replicas: Record<string, number> = {};
  for (const kind of KEPT_KINDS) {
    const list = await api<{ items: { metadata: { name: string; namespace?: string }; spec?: { replicas?: number } }[] }>(hub, `/api/v1/${KINDS[kind].plural}`);
    for (const item of list.items) {
      const { name, namespace } = item.metadata;
      objects.push(KINDS[kind].namespaced ? `${kind} ${podKey(namespace, name)}` : `${kind} ${name}`);
      if (kind === 'Deployment') replicas[podKey(namespace, name)] = item.spec?.replicas ?? 1;
    }
  }
  return { objects: objects.sort(), replicas };
}

/** The fleet from both sides at one moment: the hub must be up. */
export async function snapshotFleet(hub: HubProcess, devices: readonly string[], source: PodSource = 'cli'): Promise<FleetSnapshot> {
  const [pods, stored, containers] = await Promise.all([hubPods(hub, source), storedObjects(hub), engineContainers(devices)]);
  return { devices: [...devices], containers, pods, ...stored };
}

function isFinished(pod: HubPod): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

/**
 * Compares the fleet after a fault with the fleet before it:
 * - lost: an object or a pod not owned by a Deployment that was there before and is gone;
 * - unexpected restarts: a container of a pod that is in both snapshots started again, was
 *   replaced, or has a higher restart count at the hub, and a Deployment's pod replaced by
 *   another; each counted once per container;
 * - duplicates (of `after` alone): a second running container for one pod's container, a
 *   running container of a pod the hub does not place on that device, and a Deployment with
 *   more unfinished pods than it asks for.
 */
export function diffFleet(before: FleetSnapshot, after: FleetSnapshot, expected: Expected = {}): FleetDiff {
  const mayRestart = new Set(expected.restarts ?? []);
  const mayGo = new Set(expected.gone ?? []);
  const lost: string[] = [];
  const unexpectedRestarts: string[] = [];

  const afterObjects = new Set(after.objects);
  for (const object of before.objects) {
    if (!afterObjects.has(object) && !mayGo.has(object)) lost.push(`${object} is gone`);
  }

  const afterPods = new Map(after.pods.map((p) => [p.uid, p]));
  const afterByName = new Map(after.pods.map((p) => [p.pod, p]));
  const engineBefore = byPodContainer(before.containers.filter((c) => c.running));
  const engineAfter = byPodContainer(after.containers.filter((c) => c.running));
  for (const pod of before.pods) {
    if (mayGo.has(pod.pod)) continue;
    const now = afterPods.get(pod.uid);
    if (now === undefined) {
      const successor = afterByName.get(pod.pod);
      if (pod.owner !== undefined || successor !== undefined) {
        if (!mayRestart.has(pod.pod)) unexpectedRestarts.push(`pod ${pod.pod} was replaced${successor ? ' by another of the same name' : ` (its Deployment ${pod.owner} made another)`}`);
      } else {
        lost.push(`pod ${pod.pod} is gone`);
      }
      continue;
    }
    if (mayRestart.has(pod.pod)) continue;
    const names = new Set([...pod.containers.map((c) => c.name), ...now.containers.map((c) => c.name)]);
    for (const name of names) {
      const why = restartEvidence(pod, now, name, engineBefore.get(`${pod.uid}/${name}`), engineAfter.get(`${pod.uid}/${name}`));
      if (why !== undefined) unexpectedRestarts.push(`container ${name} of pod ${pod.pod} ${why}`);
    }
  }
  return { lost, unexpectedRestarts, ...duplicatesIn(after) };
}

function byPodContainer(containers: readonly EngineContainer[]): Map<string, EngineContainer[]> {
  const map = new Map<string, EngineContainer[]>();
  for (const c of containers) {
    const key = `${c.podUid}/${c.container}`;
    map.set(key, [...(map.get(key) ?? []), c]);
  }
  return map;
}

function restartEvidence(before: HubPod, after: HubPod, name: string, engineBefore: EngineContainer[] | undefined, engineAfter: EngineContainer[] | undefined): string | undefined {
  const hubBefore = before.containers.find((c) => c.name === name)?.restartCount ?? 0;
  const hubAfter = after.containers.find((c) => c.name === name)?.restartCount ?? 0;
  if (hubAfter > hubBefore) return `restarted: the hub counts ${hubAfter - hubBefore} more restart(s)`;
  const was = engineBefore?.[0];
  if (was === undefined) return undefined;
  const is = engineAfter?.find((c) => c.id === was.id);
  if (is === undefined) {
    const other = engineAfter?.[0];
    return other ? `was replaced: container ${short(was.id)} became ${short(other.id)}` : `stopped: container ${short(was.id)} no longer runs`;
  }
  if (is.startedAt !== was.startedAt) return `restarted: container ${short(was.id)} started again at ${is.startedAt}`;
  if (is.engineRestarts > was.engineRestarts) return `restarted: the engine restarted container ${short(was.id)} ${is.engineRestarts - was.engineRestarts} time(s)`;
  return undefined;
}

function short(id: string): string {
  return id.slice(0, 12);
}

/** Duplicates and leftovers in one snapshot. */
export function duplicatesIn(snapshot: FleetSnapshot): Pick<FleetDiff, 'duplicates' | 'leftovers'> {
  const duplicates: string[] = [];
  const leftovers: string[] = [];
  const placed = new Set(snapshot.pods.filter((p) => p.device !== undefined).map((p) => `${p.uid}@${p.device}`));
  for (const [key, copies] of byPodContainer(snapshot.containers.filter((c) => c.running))) {
    if (copies.length > 1) {
      const first = copies[0] as EngineContainer;
      duplicates.push(`${copies.length} containers run for container ${first.container} of pod ${first.pod} (${key}): ${copies.map((c) => `${short(c.id)} on ${c.device}`).join(', ')}`);
    }
  }
  for (const c of snapshot.containers) {
    if (placed.has(`${c.podUid}@${c.device}`)) continue;
    const what = `container ${short(c.id)} of pod ${c.pod} on ${c.device}, where the hub does not place that pod`;
    if (c.running) duplicates.push(`${what} still runs`);
    else leftovers.push(`${what} is still there, stopped`);
  }
  const active = new Map<string, number>();
  for (const pod of snapshot.pods) if (pod.owner !== undefined && !isFinished(pod)) active.set(pod.owner, (active.get(pod.owner) ?? 0) + 1);
  for (const [deployment, count] of active) {
    const wanted = snapshot.replicas[deployment];
    if (wanted !== undefined && count > wanted) duplicates.push(`Deployment ${deployment} has ${count} pods for ${wanted} replicas`);
  }
  return { duplicates, leftovers };
}

/**
 * What still differs between the hub's view and the engine's, for pods placed on the given
 * devices: a pod the hub does not show Running on the container that runs it, or whose
 * container the engine does not run. Empty once status has caught up. Finished pods must be
 * finished on both sides.
 */
export function statusLag(snapshot: FleetSnapshot): string[] {
  const devices = new Set(snapshot.devices);
  const running = byPodContainer(snapshot.containers.filter((c) => c.running));
  const lag: string[] = [];
  for (const pod of snapshot.pods) {
    if (pod.device === undefined || !devices.has(pod.device)) continue;
    const finished = isFinished(pod);
    if (!finished && pod.phase !== 'Running') lag.push(`pod ${pod.pod} is ${pod.phase ?? 'without a phase'} at the hub`);
    for (const c of pod.containers) {
      const engine = running.get(`${pod.uid}/${c.name}`) ?? [];
      if (finished && engine.length > 0) lag.push(`pod ${pod.pod} is ${pod.phase} at the hub but its container ${c.name} runs`);
      if (!finished && !engine.some((e) => e.id === c.id)) {
        lag.push(`the hub says container ${c.name} of pod ${pod.pod} is ${short(c.id) || 'none'}; the engine runs ${engine.map((e) => short(e.id)).join(', ') || 'none'}`);
      }
    }
  }
  return lag;
}

/** The running container of a pod's container on the engine, by `namespace/name`. */
export function runningContainerOf(containers: readonly EngineContainer[], pod: string, container = 'main'): EngineContainer | undefined {
  return containers.find((c) => c.pod === pod && c.container === container && c.running);
}

/** What keeps a snapshot from being settled: the hub behind the engine, or containers that should not be there. */
export function unsettled(snapshot: FleetSnapshot): string[] {
  const { duplicates, leftovers } = duplicatesIn(snapshot);
  return [...statusLag(snapshot), ...duplicates, ...leftovers];
}

export interface Settled {
  snapshot: FleetSnapshot;
  /** Empty when the fleet settled in time; what still differed otherwise. */
  unsettled: string[];
  /** When (performance.now()) the fleet was first seen settled, or gave up. */
  at: number;
}

/**
 * Waits until the hub shows what the devices run and nothing runs or lingers that should
 * not (see `unsettled`). It gives up after `timeoutMs` with the last snapshot and what kept
 * it from settling, so a scenario still reports its figures when the product gets it wrong.
 * It polls through the API; the snapshot it returns is read with the CLI once settled.
 */
export async function settleFleet(hub: HubProcess, devices: readonly string[], timeoutMs = 60_000): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  let last: Settled | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      const polled = await snapshotFleet(hub, devices, 'api');
      const at = performance.now();
      if (unsettled(polled).length === 0) {
        const snapshot = await snapshotFleet(hub, devices, 'cli');
        last = { snapshot, unsettled: unsettled(snapshot), at };
        if (last.unsettled.length === 0) return last;
      } else {
        last = { snapshot: polled, unsettled: unsettled(polled), at };
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      if (last) return last;
      throw new Error(`no snapshot of the fleet within ${timeoutMs} ms: ${(lastError as Error | undefined)?.message ?? 'no answer'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** As `settleFleet`, failing when the fleet does not settle: for the snapshot a scenario starts from. */
export async function waitForSettledFleet(hub: HubProcess, devices: readonly string[], timeoutMs = 60_000): Promise<FleetSnapshot> {
  const settled = await settleFleet(hub, devices, timeoutMs);
  if (settled.unsettled.length > 0) throw new Error(`the fleet did not settle within ${timeoutMs} ms: ${settled.unsettled.join('; ')}`);
  return settled.snapshot;
}

/**
 * Seconds from the clock's start to now, or to `until` (a performance.now() value), to one
 * decimal: the recovery time of a scenario.
 */
export function startClock(): (until?: number) => number {
  const started = performance.now();
  return (until = performance.now()) => Math.round((until - started) / 100) / 10;
}

export function recoveryLine(scenario: string, seconds: number, diff: Pick<FleetDiff, 'lost' | 'duplicates' | 'unexpectedRestarts'>): string {
  return `recovery ${scenario}: ${seconds.toFixed(1)} s, lost ${diff.lost.length}, duplicates ${diff.duplicates.length}, unexpected restarts ${diff.unexpectedRestarts.length}`;
}

/**
 * Prints the scenario's figures and asserts that the fleet settled and the diff is clean,
 * each finding named in its assertion so a failure says what went wrong.
 */
export function reportRecovery(t: Test, scenario: string, seconds: number, diff: FleetDiff, settled: Settled): void {
  t.comment(recoveryLine(scenario, seconds, diff));
  t.same(settled.unsettled, [], 'the fleet settled: the hub shows what the devices run');
  t.same(diff.lost, [], 'no object was lost');
  t.same(diff.duplicates, [], 'nothing runs twice');
  t.same(diff.unexpectedRestarts, [], 'no container restarted that the fault did not kill');
  t.same(diff.leftovers, [], 'no stopped container is left behind');
}
