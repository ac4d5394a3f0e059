/** Devices and pods for the scheduler's tests, with only what each test cares about spelled out. */
import { CycleContext, type FilterPlugin, type ScorePlugin, type Status } from '../../../hub/scheduler/framework.js';
import { snapshotFleet, type DeviceSnapshot } from '../../../hub/scheduler/snapshot.js';
import type { Device, DeviceState, Labels, Pod, ResourceList } from '../../../shared/objects.js';

export interface DeviceOptions {
  labels?: Labels;
  state?: DeviceState;
  cordoned?: boolean;
  /** null: the device has not reported capacity yet. */
  capacity?: { cpu?: string; memory?: string; pods?: number } | null;
}

export function device(name: string, options: DeviceOptions = {}): Device {
  const { labels = {}, state = 'Ready', cordoned = false, capacity = {} } = options;
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name, labels },
    spec: { unschedulable: cordoned },
    status: {
      state,
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
      ...(options.owner === undefined
        ? {}
        : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: options.owner, controller: true }] }),
    },
    spec: {
      containers: [{ name: 'main', image: 'busybox', resources }],
      ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }),
      ...(options.nodeSelector === undefined ? {} : { nodeSelector: options.nodeSelector }),
      ...(options.deviceSelector === undefined ? {} : { deviceSelector: options.deviceSelector }),
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
  if (early !== undefined && !early.isSuccess()) return early;
  return plugin.filter(ctx, p, fleet.device(d.metadata.name) as DeviceSnapshot);
}

/** A score plugin's scores for the pod on each device, normalized when the plugin normalizes. */
export function scoresOf(plugin: ScorePlugin, p: Pod, devices: Device[], others: Pod[] = []): Map<string, number> {
  const fleet = snapshotFleet(devices, others);
  const ctx = new CycleContext(p, fleet);
  const scores = fleet.devices.map((d) => ({ device: d.name, score: plugin.score(ctx, p, d) }));
  plugin.normalize?.(scores);
  return new Map(scores.map(({ device, score }) => [device, score]));
}
