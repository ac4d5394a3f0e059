/**
 * A hub data directory holding what a running fleet leaves in the store: Devices that are
 * Ready, Deployments, and one Running pod of a Deployment bound to every device, each just as
 * the controllers would have written it. Written straight into the store, so a benchmark of a
 * hub with 10,000 devices takes seconds to set up instead of the minutes a fleet takes to join.
 */
import { templateHash, TEMPLATE_HASH_LABEL } from '../../hub/controllers/deployment/index.js';
import { openStore, type Store } from '../../hub/store/index.js';
import { ARCH_LABEL } from '../../shared/labels.js';
import type { AnyObject, Deployment, Device, Pod } from '../../shared/objects.js';

/** Pods per Deployment; the devices are shared out among as many Deployments as that makes. */
const REPLICAS_PER_DEPLOYMENT = 100;
/** Writes in flight while filling: the store commits them in a few batches. */
const FILL_BATCH = 500;
const SITES = 20;

export interface FilledStore {
  devices: number;
  deployments: number;
  pods: number;
}

/** Fills the (new) store in `dataDir` with `devices` devices and a pod on each; closes it. */
export async function fillStore(dataDir: string, devices: number): Promise<FilledStore> {
  const store = await openStore(undefined, { dataDir, sync: false });
  try {
    const seen = new Date().toISOString();
    const names = Array.from({ length: devices }, (_, i) => `device-${String(i).padStart(String(devices - 1).length, '0')}`);
    await createAll(store, names.map((name, i) => readyDevice(name, i, seen)));
    const deployments: Deployment[] = [];
    for (let first = 0; first < devices; first += REPLICAS_PER_DEPLOYMENT) {
      const replicas = Math.min(REPLICAS_PER_DEPLOYMENT, devices - first);
      deployments.push(await store.create(deployment(`app-${deployments.length}`, replicas)));
    }
    const pods = deployments.flatMap((owner, d) =>
      Array.from({ length: owner.spec.replicas ?? 0 }, (_, r) => runningPod(owner, r, names[d * REPLICAS_PER_DEPLOYMENT + r] ?? '', seen)),
    );
    await createAll(store, pods);
    return { devices, deployments: deployments.length, pods: pods.length };
  } finally {
    await store.close();
  }
}

async function createAll(store: Store, objects: readonly AnyObject[]): Promise<void> {
  for (let i = 0; i < objects.length; i += FILL_BATCH) {
    await Promise.all(objects.slice(i, i + FILL_BATCH).map((object) => store.create(object)));
  }
}

function readyDevice(name: string, i: number, seen: string): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name, labels: { site: `site-${i % SITES}`, role: 'camera', [ARCH_LABEL]: 'arm64' } },
    spec: {},
    status: {
      state: 'Ready',
      message: 'heartbeats on time',
      lastSeen: seen,
      bdSeq: 1,
      info: { arch: 'arm64', os: 'linux', kernel: '6.1.0', hostname: name, runtime: 'hollow', runtimeVersion: '1', agentVersion: '0.1.0' },
      capacity: { cpu: '4', memory: '4294967296', pods: 110 },
    },
  };
}

function deployment(name: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: 'main',
              image: 'registry.local/reader:1.4',
              command: ['sleep', 'infinity'],
              imagePullPolicy: 'IfNotPresent',
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** A pod as the Deployment controller creates it and the scheduler and its device leave it. */
function runningPod(owner: Deployment, index: number, device: string, seen: string): Pod {
  const { metadata, spec } = owner;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${metadata.name}-${index}`,
      namespace: 'default',
      labels: { ...spec.template.metadata?.labels, [TEMPLATE_HASH_LABEL]: templateHash(owner) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: metadata.name, uid: metadata.uid ?? '', controller: true }],
    },
    spec: { ...spec.template.spec, nodeName: device },
    status: {
      phase: 'Running',
      startTime: seen,
      observedGeneration: 1,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: seen },
        { type: 'Ready', status: 'True', lastTransitionTime: seen },
      ],
      containerStatuses: [
        { name: 'main', image: 'registry.local/reader:1.4', ready: true, restartCount: 0, containerID: `hollow://${device}-${index}`, state: { running: { startedAt: seen } } },
      ],
    },
  };
}
