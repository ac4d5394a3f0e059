import t from 'tap';
import { evictionMessage, formatDuration, planEvictions } from '../../../../hub/controllers/eviction/plan.js';
import type { Device, OwnerReference, Pod, PodPhase, Toleration } from '../../../../shared/objects.js';

const WENT_OFFLINE = Date.parse('2026-01-01T12:00:00.000Z');
const SECOND = 1000;

function device(state: 'Ready' | 'NotReady' | 'Offline', offlineSince?: number): Device {
  return {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-7' },
    status: { state, ...(offlineSince === undefined ? {} : { offlineSince: new Date(offlineSince).toISOString() }) },
  };
}

function pod(name: string, options: { owner?: string; tolerations?: Toleration[]; phase?: PodPhase } = {}): Pod {
  const ownerReferences: OwnerReference[] | undefined =
    options.owner === undefined ? undefined : [{ apiVersion: 'apps/v1', kind: options.owner, name: 'web', uid: 'u1', controller: true }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(ownerReferences ? { ownerReferences } : {}) },
    spec: { nodeName: 'cam-7', containers: [{ name: 'main', image: 'busybox:1' }], ...(options.tolerations ? { tolerations: options.tolerations } : {}) },
    status: { phase: options.phase ?? 'Running' },
  };
}

const names = (pods: { pod: Pod }[]): string[] => pods.map(({ pod }) => pod.metadata.name);

t.test("a Deployment's pod is evicted once the device has been Offline for its default 300 s, not a moment before", async (t) => {
  const pods = [pod('web-1', { owner: 'Deployment' })];
  const before = planEvictions({ device: device('Offline', WENT_OFFLINE), pods, now: WENT_OFFLINE + 299 * SECOND });
  t.same(before.evict, []);
  t.equal(before.nextAt, WENT_OFFLINE + 300 * SECOND, 'asks to look again when the toleration runs out');
  const after = planEvictions({ device: device('Offline', WENT_OFFLINE), pods, now: WENT_OFFLINE + 300 * SECOND });
  t.same(names(after.evict), ['web-1']);
  t.equal(after.evict[0]?.offlineForMs, 300 * SECOND);
  t.equal(after.evict[0]?.toleratedSeconds, 300);
  t.equal(after.nextAt, undefined, 'nothing left to wait for');
});

t.test("each pod leaves after its own toleration, and a toleration without seconds keeps it for ever", async (t) => {
  const unreachable = (tolerationSeconds?: number): Toleration[] => [
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(tolerationSeconds === undefined ? {} : { tolerationSeconds }) },
  ];
  const pods = [
    pod('quick', { owner: 'Deployment', tolerations: unreachable(10) }),
    pod('patient', { owner: 'Deployment', tolerations: unreachable(3600) }),
    pod('stays', { owner: 'Deployment', tolerations: unreachable() }),
  ];
  const plan = planEvictions({ device: device('Offline', WENT_OFFLINE), pods, now: WENT_OFFLINE + 60 * SECOND });
  t.same(names(plan.evict), ['quick']);
  t.same(plan.keep.map(({ pod, reason }) => `${pod.metadata.name}:${reason}`), ['patient:tolerated', 'stays:tolerated']);
  t.equal(plan.nextAt, WENT_OFFLINE + 3600 * SECOND, 'the next one due is the patient pod; the one that stays for ever is never due');
});

t.test('DaemonSet pods, bare pods and pods of owners the hub does not manage are never evicted', async (t) => {
  const pods = [
    pod('agent-x', { owner: 'DaemonSet' }),
    pod('bare'),
    pod('replica', { owner: 'ReplicaSet' }),
    pod('done', { owner: 'Deployment', phase: 'Succeeded' }),
    pod('web-1', { owner: 'Deployment' }),
  ];
  const plan = planEvictions({ device: device('Offline', WENT_OFFLINE), pods, now: WENT_OFFLINE + 24 * 3600 * SECOND });
  t.same(names(plan.evict), ['web-1']);
  t.same(
    plan.keep.map(({ pod, reason }) => `${pod.metadata.name}:${reason}`),
    ['agent-x:daemon-set', 'bare:no-controller', 'replica:no-controller', 'done:finished'],
  );
  t.equal(plan.nextAt, undefined, 'none of them will ever be due');
});

t.test('a DaemonSet pod stays even when it does not tolerate the taint at all', async (t) => {
  const plan = planEvictions({
    device: device('Offline', WENT_OFFLINE),
    pods: [pod('agent-x', { owner: 'DaemonSet', tolerations: [{ key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }] })],
    now: WENT_OFFLINE + 3600 * SECOND,
  });
  t.same(plan.evict, []);
});

t.test('nothing is evicted from a device that is Ready or NotReady, or Offline without a time', async (t) => {
  const pods = [pod('web-1', { owner: 'Deployment', tolerations: [{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }] })];
  const later = WENT_OFFLINE + 3600 * SECOND;
  for (const state of ['Ready', 'NotReady'] as const) {
    t.same(planEvictions({ device: device(state, WENT_OFFLINE), pods, now: later }).evict, [], `${state}, even with an old offlineSince`);
  }
  t.same(planEvictions({ device: device('Offline'), pods, now: later }).evict, [], 'Offline with no offlineSince');
});

t.test('no pod is evicted before the hub has given devices time to come back after its start', async (t) => {
  const pods = [pod('web-1', { owner: 'Deployment' })];
  const now = WENT_OFFLINE + 3600 * SECOND;
  const held = planEvictions({ device: device('Offline', WENT_OFFLINE), pods, now, notBefore: now + 90 * SECOND });
  t.same(held.evict, [], 'long past its toleration, but the hub has just started');
  t.equal(held.nextAt, now + 90 * SECOND);
  t.same(names(planEvictions({ device: device('Offline', WENT_OFFLINE), pods, now: now + 90 * SECOND, notBefore: now + 90 * SECOND }).evict), ['web-1']);
});

t.test('the Evicted message names the device, how long it was offline and the toleration that ran out', async (t) => {
  const message = evictionMessage('cam-7', { pod: pod('web-1'), offlineForMs: 312 * SECOND, toleratedSeconds: 300 });
  t.equal(message, 'evicted from device cam-7, Offline for 5m12s: longer than the pod tolerates flotilla.io/unreachable:NoExecute (300s)');
  t.equal(formatDuration(45 * SECOND), '45s');
  t.equal(formatDuration(300 * SECOND), '5m');
  t.equal(formatDuration((2 * 3600 + 3 * 60 + 9) * SECOND), '2h3m');
});
