import t from 'tap';
import { FleetCounts, isActiveRollout } from '../../../hub/dispatch/fleet-counts.js';
import type { Deployment, Device, DeviceState, Pod, PodPhase, RolloutStatus } from '../../../shared/objects.js';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');

function device(name: string, state: DeviceState, labels: Record<string, string> = {}, unschedulable = false): Device {
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name, labels }, spec: { unschedulable }, status: { state } };
}

function pod(name: string, phase: PodPhase, nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
    status: { phase },
  };
}

function deployment(name: string, rollout?: Partial<RolloutStatus>): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
    status: {
      replicas: 4,
      updatedReplicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      ...(rollout
        ? { rollout: { revision: 2, phase: 'Progressing', wave: 1, waves: 3, target: 4, updated: 1, ready: 0, failed: 0, pending: 0, ...rollout } }
        : {}),
    },
  };
}

t.test('counts devices by state, by the values of the grouping labels, and cordoned ones, as they change', async (t) => {
  const counts = new FleetCounts(['site', 'role']);
  counts.deviceChanged('a', device('a', 'Ready', { site: 'plant-3', role: 'camera' }));
  counts.deviceChanged('b', device('b', 'Ready', { site: 'plant-3' }, true));
  counts.deviceChanged('c', device('c', 'Offline', { site: 'plant-4' }));
  counts.deviceChanged('d', device('d', 'NotReady'));
  let summary = counts.summary(NOW);
  t.same(summary.devices, { total: 4, byState: { Ready: 2, NotReady: 1, Offline: 1 }, cordoned: 1 });
  t.same(summary.groups, {
    site: { 'plant-3': { Ready: 2, NotReady: 0, Offline: 0 }, 'plant-4': { Ready: 0, NotReady: 0, Offline: 1 } },
    role: { camera: { Ready: 1, NotReady: 0, Offline: 0 } },
  });

  t.ok(counts.deviceChanged('a', device('a', 'NotReady', { site: 'plant-4', role: 'camera' })), 'a state and site change moves the counts');
  t.ok(counts.deviceChanged('c', undefined), 'a removed device leaves them');
  summary = counts.summary(NOW);
  t.same(summary.devices.byState, { Ready: 1, NotReady: 2, Offline: 0 });
  t.same(summary.groups['site'], { 'plant-3': { Ready: 1, NotReady: 0, Offline: 0 }, 'plant-4': { Ready: 0, NotReady: 1, Offline: 0 } }, 'an emptied group is gone');
  t.equal(summary.updatedAt, '2026-03-01T10:00:00.000Z');
});

t.test('a device write that changes nothing counted (a heartbeat-time status write) does not move the counts', async (t) => {
  const counts = new FleetCounts();
  counts.deviceChanged('a', device('a', 'Ready', { site: 'x' }));
  const same = { ...device('a', 'Ready', { site: 'x', other: 'label' }), status: { state: 'Ready' as const, message: 'heartbeats on time', bdSeq: 4 } };
  t.notOk(counts.deviceChanged('a', same));
});

t.test('counts pods by phase for the fleet and per device, following bindings and phase changes', async (t) => {
  const counts = new FleetCounts();
  t.same(counts.podChanged(undefined, pod('p1', 'Pending')), { changed: true, devices: [] }, 'an unbound pod counts for the fleet only');
  t.same(counts.podChanged(pod('p1', 'Pending'), pod('p1', 'Pending', 'cam-1')), { changed: true, devices: ['cam-1'] }, 'binding moves it onto its device');
  t.same(counts.podChanged(pod('p1', 'Pending', 'cam-1'), pod('p1', 'Running', 'cam-1')), { changed: true, devices: ['cam-1'] });
  t.same(counts.podChanged(pod('p1', 'Running', 'cam-1'), pod('p1', 'Running', 'cam-1')), { changed: false, devices: [] }, 'a status report that keeps the phase moves nothing');
  counts.podChanged(undefined, pod('p2', 'Failed', 'cam-1'));
  t.same(counts.devicePods('cam-1'), { total: 2, byPhase: { Pending: 0, Running: 1, Succeeded: 0, Failed: 1, Unknown: 0 } });
  t.same(counts.podsByPhase(), { Pending: 0, Running: 1, Succeeded: 0, Failed: 1, Unknown: 0 });
  t.same(counts.podChanged(pod('p2', 'Failed', 'cam-1'), undefined), { changed: true, devices: ['cam-1'] });
  t.same(counts.podChanged(pod('p1', 'Running', 'cam-1'), undefined), { changed: true, devices: ['cam-1'] });
  t.same(counts.devicePods('cam-1'), { total: 0, byPhase: { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 } });
  t.equal(counts.summary(NOW).pods.total, 0);
});

t.test('lists rollouts not done and counts every rollout by phase', async (t) => {
  const counts = new FleetCounts();
  t.ok(counts.workloadChanged(deployment('web', { phase: 'Progressing' }), false));
  t.ok(counts.workloadChanged(deployment('api', { phase: 'Complete' }), false));
  t.notOk(counts.workloadChanged(deployment('plain'), false), 'a workload without a rollout status is not one');
  let summary = counts.summary(NOW);
  t.same(summary.rollouts.byPhase, { Progressing: 1, Paused: 0, Complete: 1, Failed: 0, RolledBack: 0 });
  t.same(summary.rollouts.active, [
    { kind: 'Deployment', namespace: 'shop', name: 'web', revision: 2, phase: 'Progressing', wave: 1, waves: 3, target: 4, updated: 1, ready: 0, failed: 0, pending: 0 },
  ]);
  t.notOk(counts.workloadChanged(deployment('web', { phase: 'Progressing' }), false), 'the same status again changes nothing');
  t.ok(counts.workloadChanged(deployment('web', { phase: 'Failed', failed: 2, message: 'failure threshold reached' }), false));
  summary = counts.summary(NOW);
  t.match(summary.rollouts.active, [{ name: 'web', phase: 'Failed', failed: 2, message: 'failure threshold reached' }], 'a failed rollout stays listed');
  t.ok(counts.workloadChanged(deployment('web'), true));
  t.same(counts.summary(NOW).rollouts.active, [], 'a deleted workload leaves the list');
  t.equal([...counts.rollouts()].length, 1);
});

t.test('names at most 50 active rollouts and counts the rest', async (t) => {
  const counts = new FleetCounts();
  for (let i = 0; i < 53; i++) counts.workloadChanged(deployment(`w${String(i).padStart(2, '0')}`, { phase: 'Paused' }), false);
  const { rollouts } = counts.summary(NOW);
  t.equal(rollouts.active.length, 50);
  t.equal(rollouts.omitted, 3);
  t.equal(rollouts.active[0]?.name, 'w00', 'in order of namespace and name');
});

t.test('a rollout is active while it progresses, waits or has stopped on failures', async (t) => {
  t.same(
    (['Progressing', 'Paused', 'Complete', 'Failed', 'RolledBack'] as const).filter(isActiveRollout),
    ['Progressing', 'Paused', 'Failed'],
  );
});
