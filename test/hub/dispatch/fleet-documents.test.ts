import t from 'tap';
import { deviceHealth, fleetEvent } from '../../../hub/dispatch/fleet-documents.js';
import type { Device, FlotillaEvent } from '../../../shared/objects.js';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');
const NO_PODS = { total: 0, byPhase: { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 } };

const stored: Device = {
  apiVersion: 'flotilla.io/v1',
  kind: 'Device',
  metadata: { name: 'cam-7', labels: { site: 'plant-3' } },
  spec: { unschedulable: true },
  status: {
    state: 'Offline',
    message: 'no contact for more than 90s',
    lastSeen: '2026-03-01T09:58:00.000Z',
    offlineSince: '2026-03-01T09:59:30.000Z',
    bdSeq: 4,
    observedGeneration: 10,
  },
};

t.test("a device's document has its state, labels, cordon, session, generations and pods, with the hub's live figures over the stored ones", async (t) => {
  const usage = { cpuPercent: 12.5, memoryUsedBytes: 100, memoryTotalBytes: 400 };
  const health = deviceHealth(
    stored,
    { usage, lastSeen: '2026-03-01T09:59:00.000Z', podCount: 2, observedGeneration: 12, desiredGeneration: 14 },
    { total: 3, byPhase: { ...NO_PODS.byPhase, Running: 2, Pending: 1 } },
    NOW,
  );
  t.same(health, {
    schema: 'flotilla.fleet.device/v1',
    name: 'cam-7',
    state: 'Offline',
    message: 'no contact for more than 90s',
    labels: { site: 'plant-3' },
    cordoned: true,
    pods: { total: 3, byPhase: { Pending: 1, Running: 2, Succeeded: 0, Failed: 0, Unknown: 0 }, running: 2 },
    usage,
    lastSeen: '2026-03-01T09:59:00.000Z',
    offlineSince: '2026-03-01T09:59:30.000Z',
    bdSeq: 4,
    desiredGeneration: 14,
    observedGeneration: 12,
    updatedAt: '2026-03-01T10:00:00.000Z',
  });
});

t.test('without live figures (a hub just started) the stored ones stand, and what is unknown is left out', async (t) => {
  const health = deviceHealth(stored, undefined, NO_PODS, NOW);
  t.equal(health.lastSeen, '2026-03-01T09:58:00.000Z');
  t.equal(health.observedGeneration, 10);
  t.notOk('usage' in health);
  t.notOk('desiredGeneration' in health);
  t.notOk('running' in health.pods);
  const bare = deviceHealth({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'new' } }, undefined, NO_PODS, NOW);
  t.equal(bare.state, 'NotReady', 'a device with no status yet is not Ready');
  t.same(bare.labels, {});
});

t.test("a device's conditions are carried in the Kubernetes shape, and anything malformed in them is left out", async (t) => {
  const withConditions = {
    ...stored,
    status: {
      ...stored.status,
      conditions: [
        { type: 'MemoryPressure', status: 'True', reason: 'MemoryLow', message: 'memory 93% used', lastTransitionTime: '2026-03-01T09:00:00.000Z', extra: 1 },
        { type: 'DiskPressure', status: 'False' },
        { type: 'Broken', status: 'maybe' },
      ],
    },
  } as Device;
  t.same(deviceHealth(withConditions, undefined, NO_PODS, NOW).conditions, [
    { type: 'MemoryPressure', status: 'True', reason: 'MemoryLow', message: 'memory 93% used', lastTransitionTime: '2026-03-01T09:00:00.000Z' },
    { type: 'DiskPressure', status: 'False' },
  ]);
  t.notOk('conditions' in deviceHealth(stored, undefined, NO_PODS, NOW), 'none when the device has none');
});

function event(involved: FlotillaEvent['involvedObject'], source = 'hub'): FlotillaEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.name}.0123456789`, namespace: involved.namespace ?? 'default' },
    involvedObject: involved,
    type: 'Warning',
    reason: 'Offline',
    message: 'device is Offline: no contact for more than 90s',
    count: 2,
    firstTimestamp: '2026-03-01T09:00:00.000Z',
    lastTimestamp: '2026-03-01T10:00:00.000Z',
    source,
  };
}

t.test('an event on the events topic names its object, and the device it happened on', async (t) => {
  const noPods = () => undefined;
  t.same(fleetEvent(event({ kind: 'Device', name: 'cam-7', uid: 'u1' }), noPods), {
    schema: 'flotilla.fleet.event/v1',
    id: 'cam-7.0123456789',
    time: '2026-03-01T10:00:00.000Z',
    firstTime: '2026-03-01T09:00:00.000Z',
    count: 2,
    type: 'Warning',
    reason: 'Offline',
    message: 'device is Offline: no contact for more than 90s',
    object: { kind: 'Device', name: 'cam-7' },
    device: 'cam-7',
    source: 'hub',
  });
  t.equal(fleetEvent(event({ kind: 'Pod', name: 'web-1', namespace: 'shop' }, 'agent/cam-2'), noPods).device, 'cam-2', "a device's own report names it");
  t.equal(
    fleetEvent(event({ kind: 'Pod', name: 'web-1', namespace: 'shop' }), (namespace, name) => (namespace === 'shop' && name === 'web-1' ? 'cam-3' : undefined)).device,
    'cam-3',
    "the hub's events about a pod name the device it is bound to",
  );
  const deployment = fleetEvent(event({ kind: 'Deployment', name: 'web', namespace: 'shop' }), noPods);
  t.notOk('device' in deployment, 'a workload happens on no one device');
  t.same(deployment.object, { kind: 'Deployment', name: 'web', namespace: 'shop' });
});
