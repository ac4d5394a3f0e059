import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { DaemonSetController, MIN_PACED_INTERVAL_MS } from '../../../../hub/controllers/daemonset/index.js';
import { planEvictions } from '../../../../hub/controllers/eviction/plan.js';
import type { EventSink } from '../../../../hub/controllers/events.js';
import { podStatusOnLostDevice } from '../../../../hub/dispatch/pod-status.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';
import type { Store } from '../../../../hub/store/store.js';
import type { DaemonSet, DaemonSetSpec, Device, Labels, Pod, Taint } from '../../../../shared/objects.js';

const silent = pino({ level: 'silent' });
const KEY = 'default/agent';
const HASH_LABEL = 'pod-template-hash';

async function storeFor(t: Test): Promise<Store> {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  return store;
}

function recorder(): { sink: EventSink; messages: string[] } {
  const messages: string[] = [];
  return { messages, sink: { record: (_involved, _type, reason, message) => void messages.push(`${reason}: ${message}`) } };
}

function device(name: string, labels: Labels, options: { state?: 'Ready' | 'NotReady' | 'Offline'; cpu?: string; unschedulable?: boolean; taints?: Taint[]; arch?: string } = {}): Device {
  const state = options.state ?? 'Ready';
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name, labels },
    spec: { ...(options.unschedulable ? { unschedulable: true } : {}), ...(options.taints ? { taints: options.taints } : {}) },
    status: {
      state,
      capacity: { cpu: options.cpu ?? '4', memory: '4Gi', pods: 110 },
      info: { arch: options.arch ?? 'arm64', os: 'linux', kernel: '6.1', hostname: name, runtime: 'podman', runtimeVersion: '4.3', agentVersion: '0.1.0' },
      ...(state === 'Offline' ? { offlineSince: new Date(Date.now() - 3_600_000).toISOString() } : {}),
    },
  };
}

function daemonSet(spec: Partial<DaemonSetSpec> = {}, image = 'registry.local/agent:1.0', deviceSelector = 'role=camera'): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { deviceSelector, containers: [{ name: 'main', image, resources: { requests: { cpu: '100m' } } }] },
      },
      ...spec,
    },
  };
}

interface Harness {
  store: Store;
  controller: DaemonSetController;
  messages: string[];
  /** Pods of the DaemonSet by device. */
  pods(): Promise<Map<string, Pod[]>>;
  /** Reports every pod on these devices (all when none given) Ready since `since`, as an agent's status would. */
  ready(devices?: string[], since?: number): Promise<void>;
  reconcile(): Promise<{ requeueAfterMs?: number } | void>;
  status(): Promise<NonNullable<DaemonSet['status']>>;
  changeTemplate(image: string): Promise<void>;
}

async function harness(t: Test, devices: Device[], ds: DaemonSet, now: () => number = Date.now): Promise<Harness> {
  const store = await storeFor(t);
  for (const d of devices) await store.create(d);
  await store.create(ds);
  const recorded = recorder();
  const controller = new DaemonSetController({ store, events: recorded.sink, log: silent, now });
  t.teardown(() => controller.stop());
  const pods = async () => {
    const byDevice = new Map<string, Pod[]>();
    for (const pod of (await store.list('Pod')).items) {
      const list = byDevice.get(pod.spec.nodeName ?? '') ?? [];
      list.push(pod);
      byDevice.set(pod.spec.nodeName ?? '', list);
    }
    return byDevice;
  };
  return {
    store,
    controller,
    messages: recorded.messages,
    pods,
    async ready(only, since = now() - 60_000) {
      for (const pod of (await store.list('Pod')).items) {
        if (only !== undefined && !only.includes(pod.spec.nodeName ?? '')) continue;
        if (pod.status?.phase === 'Running') continue;
        await store.update(runningPod(pod, since));
      }
    },
    reconcile: () => controller.reconcile(KEY),
    async status() {
      const stored = await store.get('DaemonSet', 'default', 'agent');
      return stored?.status as NonNullable<DaemonSet['status']>;
    },
    async changeTemplate(image) {
      const stored = (await store.get('DaemonSet', 'default', 'agent')) as DaemonSet;
      const template = stored.spec.template;
      await store.update({ ...stored, spec: { ...stored.spec, template: { ...template, spec: { ...template.spec, containers: [{ name: 'main', image }] } } } });
    },
  };
}

function runningPod(pod: Pod, since: number): Pod {
  const at = new Date(since).toISOString();
  return {
    ...pod,
    status: {
      phase: 'Running',
      conditions: [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'Ready'), { type: 'Ready', status: 'True', lastTransitionTime: at }],
      containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, image: c.image, ready: true, restartCount: 0, state: { running: { startedAt: at } } })),
      startTime: at,
    },
  };
}

function imageOf(pod: Pod | undefined): string | undefined {
  return pod?.spec.containers[0]?.image;
}

async function relabel(store: Store, name: string, labels: Labels): Promise<void> {
  const stored = (await store.get('Device', undefined, name)) as Device;
  await store.update({ ...stored, metadata: { ...stored.metadata, labels } });
}

const cameras = (n: number, options: Parameters<typeof device>[2] = {}) =>
  Array.from({ length: n }, (_, i) => device(`cam-${i + 1}`, { role: 'camera' }, options));

t.test('creates one pod on every matching device, already bound, owned by the DaemonSet, with its template hash and the unreachable toleration', async (t) => {
  const h = await harness(t, [...cameras(2), device('sensor-1', { role: 'sensor' })], daemonSet());
  await h.reconcile();
  const pods = await h.pods();
  t.same([...pods.keys()].sort(), ['cam-1', 'cam-2'], 'one pod per camera, none on the sensor');
  const stored = (await h.store.get('DaemonSet', 'default', 'agent')) as DaemonSet;
  for (const [deviceName, [pod]] of pods) {
    t.equal(pods.get(deviceName)?.length, 1);
    t.match(pod?.metadata.name, /^agent-[0-9a-f]{8}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    t.match(pod?.metadata.ownerReferences, [{ kind: 'DaemonSet', name: 'agent', uid: stored.metadata.uid, controller: true }]);
    t.equal(pod?.metadata.labels?.['app'], 'agent');
    t.match(pod?.metadata.labels?.[HASH_LABEL], /^[0-9a-f]{8}$/);
    t.match(pod?.spec.tolerations, [{ key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    t.match(pod?.status?.conditions, [{ type: 'PodScheduled', status: 'True' }]);
  }
  t.match(await h.status(), { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0, updatedNumberScheduled: 2, numberReady: 0, observedGeneration: 1 });
  t.match(h.messages, [/^SuccessfulCreate: created 2 pods: agent-/]);
  const revisions = (await h.store.list('ControllerRevision')).items;
  t.equal(revisions.length, 1, 'the template is revision 1');
  t.equal(revisions[0]?.metadata.name, `agent-${[...pods.values()][0]?.[0]?.metadata.labels?.[HASH_LABEL]}`);
});

t.test('a device that joins or gains the label gets the pod; one that loses the label or is removed loses it', async (t) => {
  const h = await harness(t, [...cameras(2), device('sensor-1', { role: 'sensor' })], daemonSet());
  await h.reconcile();
  await h.store.create(device('cam-3', { role: 'camera' }));
  await relabel(h.store, 'sensor-1', { role: 'camera' });
  await h.reconcile();
  t.same([...(await h.pods()).keys()].sort(), ['cam-1', 'cam-2', 'cam-3', 'sensor-1'], 'the new device and the relabelled one have pods');

  await relabel(h.store, 'cam-1', { role: 'gateway' });
  await h.store.delete('Device', undefined, 'cam-2');
  await h.reconcile();
  t.same([...(await h.pods()).keys()].sort(), ['cam-3', 'sensor-1'], 'the unlabelled and the removed device lost theirs');
  t.match(await h.status(), { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0 });
  t.ok(h.messages.some((m) => /^SuccessfulDelete: deleted 2 pods/.test(m)));
});

t.test('keeps exactly one pod per device: of duplicates the oldest stays', async (t) => {
  const h = await harness(t, cameras(1), daemonSet());
  await h.reconcile();
  const [first] = (await h.pods()).get('cam-1') ?? [];
  // Two more, as two hubs racing (or a restore from a backup) might leave them.
  for (const name of ['agent-dup-1', 'agent-dup-2']) {
    await sleep(5);
    await h.store.create({ ...(first as Pod), metadata: { ...(first as Pod).metadata, name, resourceVersion: undefined } as Pod['metadata'] });
  }
  t.equal((await h.pods()).get('cam-1')?.length, 3);
  await h.reconcile();
  const left = (await h.pods()).get('cam-1') ?? [];
  t.same(left.map((p) => p.metadata.name), [first?.metadata.name], 'the oldest is kept');
});

t.test('a pod asking for an architecture runs only on devices that report it, and the others are not counted', async (t) => {
  const h = await harness(t, [device('cam-arm', { role: 'camera' }), device('cam-x86', { role: 'camera' }, { arch: 'x86_64' })], daemonSet({}, 'registry.local/agent:1.0', 'role=camera,kubernetes.io/arch=amd64'));
  await h.reconcile();
  t.same([...(await h.pods()).keys()], ['cam-x86'], 'x86_64, as its engine says, is amd64');
  t.match(await h.status(), { desiredNumberScheduled: 1, currentNumberScheduled: 1 });
  t.notOk(h.messages.some((m) => m.startsWith('FailedPlacement')), 'a device of another platform is no failure, just not one of its devices');
});

t.test('a cordoned device gets and keeps its pod, as daemon pods tolerate a cordon in Kubernetes', async (t) => {
  const h = await harness(t, [device('cam-1', { role: 'camera' }, { unschedulable: true })], daemonSet());
  await h.reconcile();
  t.equal((await h.pods()).get('cam-1')?.length, 1);
});

t.test('taints: NoSchedule keeps a new pod off but lets one there stay; NoExecute removes it; a tolerated taint is no obstacle', async (t) => {
  const noSchedule: Taint = { key: 'dedicated', value: 'lab', effect: 'NoSchedule' };
  const noExecute: Taint = { key: 'broken', effect: 'NoExecute' };
  const h = await harness(t, [...cameras(2), device('cam-9', { role: 'camera' }, { taints: [noSchedule] })], daemonSet());
  await h.reconcile();
  t.same([...(await h.pods()).keys()].sort(), ['cam-1', 'cam-2'], 'nothing placed on the device tainted NoSchedule');
  for (const [name, taints] of [['cam-1', [noSchedule]], ['cam-2', [noExecute]]] as const) {
    const stored = (await h.store.get('Device', undefined, name)) as Device;
    await h.store.update({ ...stored, spec: { ...stored.spec, taints: [...taints] } });
  }
  await h.reconcile();
  t.same([...(await h.pods()).keys()], ['cam-1'], 'the pod under NoSchedule stays, the one under NoExecute goes');
  t.match(await h.status(), { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 1 });

  const tolerant = daemonSet();
  tolerant.spec.template.spec.tolerations = [{ key: 'broken', operator: 'Exists' }];
  const stored = (await h.store.get('DaemonSet', 'default', 'agent')) as DaemonSet;
  await h.store.update({ ...stored, spec: tolerant.spec });
  await h.reconcile();
  t.ok((await h.pods()).has('cam-2'), 'a pod that tolerates the taint goes back');
});

t.test('a pod that does not fit on its device is not created, says why in a FailedPlacement Warning, and is tried again', async (t) => {
  const h = await harness(t, [device('cam-1', { role: 'camera' }), device('cam-2', { role: 'camera' }, { cpu: '50m' })], daemonSet());
  const result = await h.reconcile();
  t.same([...(await h.pods()).keys()], ['cam-1']);
  t.ok(h.messages.some((m) => /^FailedPlacement: pod does not fit on 1 device: cam-2: insufficient cpu/.test(m)), h.messages.join('\n'));
  t.ok(result && typeof result.requeueAfterMs === 'number' && result.requeueAfterMs > 0, 'looked at again later');
  t.match(await h.status(), { desiredNumberScheduled: 2, currentNumberScheduled: 1 });
});

t.test('a changed template is rolled out one device at a time with the default maxUnavailable of 1', async (t) => {
  const h = await harness(t, cameras(4), daemonSet());
  await h.reconcile();
  await h.ready();
  await h.changeTemplate('registry.local/agent:2.0');
  const images = async () => [...(await h.pods()).values()].map((pods) => pods.map(imageOf).join('+')).sort();
  for (let step = 1; step <= 4; step++) {
    await h.reconcile();
    const now = await images();
    t.equal(now.filter((image) => image === 'registry.local/agent:2.0').length, step, `step ${step}: ${step} devices updated`);
    t.equal(now.length, 4, 'never two pods on a device, never a device without one counted twice');
    await h.reconcile();
    t.equal((await images()).filter((image) => image === 'registry.local/agent:2.0').length, step, 'no further while the new pod is not ready');
    await h.ready();
  }
  await h.reconcile();
  t.match(await h.status(), { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberReady: 4, numberAvailable: 4, rollout: { phase: 'Complete', revision: 2 } });
});

t.test('maxUnavailable as a share of the devices replaces that many at once, rounded up', async (t) => {
  const h = await harness(t, cameras(5), daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '30%' } } }));
  await h.reconcile();
  await h.ready();
  await h.changeTemplate('registry.local/agent:2.0');
  await h.reconcile();
  const updated = [...(await h.pods()).values()].flat().filter((p) => imageOf(p) === 'registry.local/agent:2.0');
  t.equal(updated.length, 2, '30% of 5 devices is 1.5, rounded up to 2');
});

t.test('with maxSurge the new pod starts beside the old one, which goes once the new one is available', async (t) => {
  const h = await harness(t, cameras(2), daemonSet({ updateStrategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
  await h.reconcile();
  await h.ready();
  await h.changeTemplate('registry.local/agent:2.0');
  await h.reconcile();
  const surged = [...(await h.pods()).entries()].filter(([, pods]) => pods.length === 2);
  t.equal(surged.length, 1, 'one device runs both for a while');
  const [deviceName] = surged[0] ?? [];
  t.same(surged[0]?.[1].map(imageOf).sort(), ['registry.local/agent:1.0', 'registry.local/agent:2.0']);
  await h.reconcile();
  t.equal((await h.pods()).get(deviceName ?? '')?.length, 2, 'the old one stays while the new one is not ready');
  await h.ready();
  await h.reconcile();
  const after = await h.pods();
  t.same(after.get(deviceName ?? '')?.map(imageOf), ['registry.local/agent:2.0'], 'then the old one goes');
  t.equal([...after.values()].filter((pods) => pods.length === 2).length, 1, 'and the next device surges');
});

t.test("an Offline device's pod is pending: it holds nothing up, is not replaced while away, and is updated when the device returns", async (t) => {
  const h = await harness(t, [...cameras(2), device('cam-off', { role: 'camera' })], daemonSet());
  await h.reconcile();
  await h.ready();
  const stored = (await h.store.get('Device', undefined, 'cam-off')) as Device;
  await h.store.update({ ...stored, status: { ...stored.status, state: 'Offline', offlineSince: new Date().toISOString() } });
  // As the device lifecycle controller marks the pods of a device that went away.
  const [away] = (await h.pods()).get('cam-off') ?? [];
  await h.store.update({ ...(away as Pod), status: podStatusOnLostDevice(away?.status, 'device cam-off is not ready') });
  await h.changeTemplate('registry.local/agent:2.0');
  for (let step = 0; step < 4; step++) {
    await h.reconcile();
    await h.ready();
  }
  const pods = await h.pods();
  t.same(pods.get('cam-off')?.map(imageOf), ['registry.local/agent:1.0'], 'the away device keeps its old pod');
  t.same([pods.get('cam-1'), pods.get('cam-2')].map((p) => p?.map(imageOf).join()), ['registry.local/agent:2.0', 'registry.local/agent:2.0']);
  t.match(await h.status(), { desiredNumberScheduled: 3, updatedNumberScheduled: 2, rollout: { phase: 'Complete', pending: 1 } });

  const back = (await h.store.get('Device', undefined, 'cam-off')) as Device;
  const { offlineSince: _gone, ...returned } = back.status ?? { state: 'Ready' };
  await h.store.update({ ...back, status: { ...returned, state: 'Ready' } });
  await h.reconcile();
  t.same((await h.pods()).get('cam-off')?.map(imageOf), ['registry.local/agent:2.0'], 'updated once back');
});

t.test('daemon pods are never evicted from a device that is Offline, however long', async (t) => {
  const h = await harness(t, cameras(1), daemonSet());
  await h.reconcile();
  const [pod] = (await h.pods()).get('cam-1') ?? [];
  const offline = device('cam-1', { role: 'camera' }, { state: 'Offline' });
  const plan = planEvictions({ device: offline, pods: [pod as Pod], now: Date.now() + 86_400_000 });
  t.same(plan.evict, []);
  t.match(plan.keep, [{ reason: 'daemon-set' }]);
  await h.store.update({ ...((await h.store.get('Device', undefined, 'cam-1')) as Device), status: offline.status });
  await h.reconcile();
  t.same((await h.pods()).get('cam-1')?.map((p) => p.metadata.name), [pod?.metadata.name], 'nor moved by its own controller');
});

t.test('OnDelete replaces nothing by itself: a deleted pod comes back with the new template', async (t) => {
  const h = await harness(t, cameras(2), daemonSet({ updateStrategy: { type: 'OnDelete' } }));
  await h.reconcile();
  await h.ready();
  await h.changeTemplate('registry.local/agent:2.0');
  await h.reconcile();
  t.same([...(await h.pods()).values()].flat().map(imageOf), ['registry.local/agent:1.0', 'registry.local/agent:1.0']);
  const [pod] = (await h.pods()).get('cam-1') ?? [];
  await h.store.delete('Pod', 'default', pod?.metadata.name ?? '');
  await h.reconcile();
  t.same((await h.pods()).get('cam-1')?.map(imageOf), ['registry.local/agent:2.0']);
  t.same((await h.pods()).get('cam-2')?.map(imageOf), ['registry.local/agent:1.0']);
});

t.test('waves: a canary device first, then the rest once it has been available', async (t) => {
  const h = await harness(t, cameras(10), daemonSet({ updateStrategy: { rollingUpdate: { maxUnavailable: '100%' }, waves: [{ size: 1 }, { size: '50%' }, { size: '100%' }] } }));
  await h.reconcile();
  await h.ready();
  await h.changeTemplate('registry.local/agent:2.0');
  const updated = async () => [...(await h.pods()).values()].flat().filter((p) => imageOf(p) === 'registry.local/agent:2.0').length;
  await h.reconcile();
  t.equal(await updated(), 1, 'wave 1: one canary, though maxUnavailable would allow all');
  t.match(await h.status(), { rollout: { phase: 'Progressing', wave: 1, waves: 3 } });
  await h.reconcile();
  t.equal(await updated(), 1, 'the canary must be available first');
  await h.ready();
  await h.reconcile();
  t.equal(await updated(), 5, 'wave 2: half');
  await h.ready();
  await h.reconcile();
  t.equal(await updated(), 10, 'wave 3: all');
  await h.ready();
  await h.reconcile();
  t.match(await h.status(), { updatedNumberScheduled: 10, rollout: { phase: 'Complete', wave: 3 } });
});

t.test('deleting the DaemonSet deletes its pods and revisions, also when it happened while the hub was down', async (t) => {
  const h = await harness(t, cameras(3), daemonSet());
  await h.reconcile();
  await h.store.delete('DaemonSet', 'default', 'agent');
  const restarted = new DaemonSetController({ store: h.store, events: recorder().sink, log: silent });
  t.teardown(() => restarted.stop());
  t.same(await restarted.initialKeys(), [KEY], 'its pods bring the deleted DaemonSet back to look at');
  await restarted.reconcile(KEY);
  t.same((await h.store.list('Pod')).items, []);
  t.same((await h.store.list('ControllerRevision')).items, []);
});

t.test('a pod of an earlier DaemonSet of the same name is replaced by one of the new', async (t) => {
  const h = await harness(t, cameras(1), daemonSet());
  await h.reconcile();
  const [old] = (await h.pods()).get('cam-1') ?? [];
  await h.store.delete('DaemonSet', 'default', 'agent');
  await h.store.create(daemonSet());
  await h.reconcile();
  const [now] = (await h.pods()).get('cam-1') ?? [];
  t.not(now?.metadata.name, old?.metadata.name);
  t.equal((await h.pods()).get('cam-1')?.length, 1);
});

t.test('its own status writes set off no pass, nor a device write it does not go by; a change of the DaemonSet, its pods or what it goes by on a device does', async (t) => {
  const h = await harness(t, cameras(1), daemonSet());
  await h.controller.initialKeys();
  const seen: string[] = [];
  const unwatch = h.store.watch({}, (event) => seen.push(`${event.object.kind} ${event.type}: ${h.controller.keysFor(event).join(',') || 'none'}`));
  t.teardown(unwatch);
  await h.reconcile();
  t.same(seen, ['ControllerRevision ADDED: none', `Pod ADDED: ${KEY}`, 'DaemonSet MODIFIED: none'], 'its revision and status writes call for nothing; the pod it made does');
  seen.length = 0;
  const [pod] = (await h.pods()).get('cam-1') ?? [];
  await h.store.update({ ...(pod as Pod), status: { phase: 'Running' } });
  await relabel(h.store, 'cam-1', { role: 'camera', site: 'a' });
  await h.changeTemplate('registry.local/agent:2.0');
  const stored = (await h.store.get('DaemonSet', 'default', 'agent')) as DaemonSet;
  await h.store.update({ ...stored, metadata: { ...stored.metadata, annotations: { note: 'x' } } });
  const cam = (await h.store.get('Device', undefined, 'cam-1')) as Device;
  await h.store.update({ ...cam, status: { ...cam.status, state: 'NotReady', message: 'no heartbeat for 30s' } });
  t.same(seen, [`Pod MODIFIED: ${KEY}`, `Device MODIFIED: ${KEY}`, `DaemonSet MODIFIED: ${KEY}`, `DaemonSet MODIFIED: ${KEY}`, 'Device MODIFIED: none']);
});

t.test("reports of its pods are taken in together: a pass only they call for waits a moment after the last, one for the DaemonSet does not", async (t) => {
  const h = await harness(t, cameras(1), daemonSet());
  await h.controller.initialKeys();
  await h.reconcile();
  const [pod] = (await h.pods()).get('cam-1') ?? [];
  const report = () => h.controller.keysFor({ type: 'MODIFIED', object: { ...(pod as Pod), status: { phase: 'Running' } } });
  // A pass that waits does nothing but ask to be called again within the interval.
  const waited = (result: { requeueAfterMs?: number } | void) => result?.requeueAfterMs !== undefined && result.requeueAfterMs <= MIN_PACED_INTERVAL_MS;
  t.same(report(), [KEY]);
  const paced = await h.reconcile();
  t.ok(waited(paced) && (paced?.requeueAfterMs ?? 0) > 0, `waits ${JSON.stringify(paced)}`);
  await sleep(MIN_PACED_INTERVAL_MS + 20);
  t.notOk(waited(await h.reconcile()), 'then it runs');
  report();
  const stored = (await h.store.get('DaemonSet', 'default', 'agent')) as DaemonSet;
  h.controller.keysFor({ type: 'MODIFIED', object: { ...stored, metadata: { ...stored.metadata, generation: 2 } } });
  t.notOk(waited(await h.reconcile()), 'a change of the DaemonSet itself is looked at at once');
});

t.test('over 10,000 devices, a pass where nothing changed writes nothing', async (t) => {
  const store = await storeFor(t);
  const devices = Array.from({ length: 10_000 }, (_, i) => device(`d-${String(i).padStart(5, '0')}`, { role: i % 2 === 0 ? 'camera' : 'sensor', site: `s-${i % 20}` }));
  for (let i = 0; i < devices.length; i += 500) await Promise.all(devices.slice(i, i + 500).map((d) => store.create(d)));
  await store.create(daemonSet());
  const controller = new DaemonSetController({ store, events: recorder().sink, log: silent });
  t.teardown(() => controller.stop());
  let started = performance.now();
  await controller.reconcile(KEY);
  const first = performance.now() - started;
  t.equal((await store.list('Pod')).items.length, 5_000);
  // The pass after the one that created the pods writes the status they make.
  await controller.reconcile(KEY);
  const before = store.currentResourceVersion();
  const passes: number[] = [];
  for (let i = 0; i < 5; i++) {
    started = performance.now();
    await controller.reconcile(KEY);
    passes.push(performance.now() - started);
  }
  const steady = Math.min(...passes);
  t.comment(`first pass ${Math.round(first)} ms (5,000 pods created), then ${passes.map(Math.round).join(', ')} ms`);
  t.equal(store.currentResourceVersion(), before, 'no pod created, deleted or rewritten, and no status written again');
  // How long a pass takes is the daemonset-rollout benchmark's figure, not a pass/fail here.
  t.comment(`fastest pass with nothing to do: ${Math.round(steady)} ms`);
});
