/** Devices and pods for the scheduler's tests, with only what each test cares about spelled out. */
import { CycleContext, Status, type FilterPlugin, type PreFilterResult, type ScorePlugin } from '../../../hub/scheduler/framework.js';
import { snapshotFleet, type DeviceSnapshot } from '../../../hub/scheduler/snapshot.js';
import type { Device, DeviceState, Labels, Pod, ResourceList, Taint, Toleration } from '../../../shared/objects.js';

export interface DeviceOptions {
  labels?: Labels;
  state?: DeviceState;
  cordoned?: boolean;
  /** null: the device has not reported capacity yet. */
  capacity?: { cpu?: string; memory?: string; pods?: number } | null;
  taints?: Taint[];
  /** What the device's agent reported of its platform; absent: nothing reported. */
  platform?: { arch: string; os: string };
}

export function device(name: string, options: DeviceOptions = {}): Device {
  const { labels = {}, state = 'Ready', cordoned = false, capacity = {}, taints, platform } = options;
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name, labels },
    spec: { unschedulable: cordoned, ...(taints === undefined ? {} : { taints }) },
    status: {
      state,
      ...(platform === undefined
        ? {}
        : {
            info: { ...platform, kernel: '6.1', hostname: name, runtime: 'podman', runtimeVersion: '4.3', agentVersion: '0.1.0' },
          }),
      ...(capacity === null ? {} : { capacity: { cpu: capacity.cpu ?? '4', memory: capacity.memory ?? '8Gi', pods: capacity.pods ?? 110 } }),
    },
  };
}

export interface PodOptions {
  namespace?: string;
  nodeName?: string;
  nodeSelector?: Labels;
  deviceSelector?: string;
  requests?: ResourceList;
  limits?: ResourceList;
  /** uid of the owning Deployment. */
  owner?: string;
  annotations?: Record<string, string>;
  tolerations?: Toleration[];
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

export function pod(name: string, options: PodOptions = {}): Pod {
  const resources = {
    ...(options.requests === undefined ? {} : { requests: options.requests }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
      ...(options.owner === undefined
        ? {}
        : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: options.owner, controller: true }] }),
    },
    spec: {
      containers: [{ name: 'main', image: 'busybox', resources }],
      ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }),
      ...(options.nodeSelector === undefined ? {} : { nodeSelector: options.nodeSelector }),
      ...(options.deviceSelector === undefined ? {} : { deviceSelector: options.deviceSelector }),
      ...(options.tolerations === undefined ? {} : { tolerations: options.tolerations }),
    },
    ...(options.phase === undefined ? {} : { status: { phase: options.phase } }),
  };
}

/**
 * What a filter plugin answers for the pod on the device, as the scheduler would ask it: a
 * fresh cycle, pre-filter first. `others` are pods already bound (by nodeName) in the fleet.
 */
export function filterOn(plugin: FilterPlugin, p: Pod, d: Device, others: Pod[] = []): Status {
  const fleet = snapshotFleet([d], others);
  const ctx = new CycleContext(p, fleet);
  const early = plugin.preFilter?.(ctx);
  // Skip and a list of devices both let the pod past; the filter still answers for the device.
  if (early instanceof Status && early.code !== 'Skip' && !early.isSuccess()) return early;
  return plugin.filter(ctx, p, fleet.device(d.metadata.name) as DeviceSnapshot);
}

/**
 * What a filter plugin's pre-filter answers for the pod over these devices, with device
 * indexes turned into names (in fleet order) so a test reads as the fleet it built.
 */
export function preFilterOn(plugin: FilterPlugin, p: Pod, devices: Device[]): Status | { devices: string[]; exact: boolean } {
  const fleet = snapshotFleet(devices, []);
  const answer = plugin.preFilter?.(new CycleContext(p, fleet));
  if (answer === undefined) throw new Error(`${plugin.name} has no pre-filter`);
  if (answer instanceof Status) return answer;
  const { deviceIndexes, exact } = answer as PreFilterResult;
  return { devices: deviceIndexes.map((i) => fleet.devices[i]?.name ?? `#${i}`), exact };
}

/** A score plugin's scores for the pod on each device, normalized when the plugin normalizes. */
export function scoresOf(plugin: ScorePlugin, p: Pod, devices: Device[], others: Pod[] = []): Map<string, number> {
  const fleet = snapshotFleet(devices, others);
  const ctx = new CycleContext(p, fleet);
  const scores = fleet.devices.map((d) => ({ device: d.name, score: plugin.score(ctx, p, d) }));
  plugin.normalize?.(scores);
  return new Map(scores.map(({ device, score }) => [device, score]));
}
