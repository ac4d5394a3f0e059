import t from 'tap';
import { planDaemonSet, type DeviceSlot, type PlanInput } from '../../../../hub/controllers/daemonset/plan.js';
import type { Placement } from '../../../../hub/controllers/daemonset/placement.js';
import type { Pod } from '../../../../shared/objects.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const RUN: Placement = { shouldRun: true, shouldContinueRunning: true };
const OFF: Placement = { shouldRun: false, shouldContinueRunning: false, reason: 'labels do not match selector role=camera' };
const STAY: Placement = { shouldRun: false, shouldContinueRunning: true, reason: 'device has the taint a:NoSchedule' };

let made = 0;
/** A pod of template `hash` on `device`; Ready `readyFor` seconds ago, or not Ready when undefined. */
function pod(device: string, hash: string, readyFor?: number, createdSecondsAgo = 1000 - made): Pod {
  made++;
  const ready = readyFor !== undefined;
  const since = new Date(NOW - (readyFor ?? 0) * 1000).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${device}-${hash}-${made}`, namespace: 'default', labels: { 'pod-template-hash': hash }, creationTimestamp: new Date(NOW - createdSecondsAgo * 1000).toISOString() },
    spec: { nodeName: device, containers: [{ name: 'main', image: `img:${hash}` }] },
    status: {
      phase: ready ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since }],
      containerStatuses: [{ name: 'main', image: `img:${hash}`, ready, restartCount: 0, state: ready ? { running: {} } : { waiting: { reason: 'ContainerCreating' } } }],
    },
  };
}

function slot(device: string, pods: Pod[], placement: Placement = RUN, pending = false): DeviceSlot {
  return { device, placement, pending, pods };
}

function input(slots: DeviceSlot[], extra: Partial<PlanInput> = {}): PlanInput {
  return { slots, hash: 'new', strategy: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1, minReadySeconds: 0, now: NOW, ...extra };
}

/** Five devices running the old template, Ready for a minute. */
function oldFleet(n = 5): DeviceSlot[] {
  return Array.from({ length: n }, (_, i) => slot(`d${i + 1}`, [pod(`d${i + 1}`, 'old', 60)]));
}

t.test('without surge, replaces as many available old pods as maxUnavailable allows, deleting each as its new one is made', async (t) => {
  const plan = planDaemonSet(input(oldFleet(), { maxUnavailable: 2 }));
  t.same(plan.create.map((c) => [c.device, c.replaces?.spec.nodeName]), [['d1', 'd1'], ['d2', 'd2']]);
  t.same(plan.delete.map((d) => [d.pod.spec.nodeName, d.reason]), [['d1', 'replaced'], ['d2', 'replaced']]);
  t.match(plan.counts, { desired: 5, current: 5, updated: 2, ready: 3, available: 3 });
});

t.test('a share of the devices is rounded up, and both budgets 0 still replace one device at a time', async (t) => {
  t.equal(planDaemonSet(input(oldFleet(), { maxUnavailable: '30%' })).create.length, 2, '30% of 5 is 1.5: 2');
  t.equal(planDaemonSet(input(oldFleet(), { maxUnavailable: 0, maxSurge: 0 })).create.length, 1);
});

t.test('new pods that are not available yet use up the budget', async (t) => {
  const slots = oldFleet();
  slots[0] = slot('d1', [pod('d1', 'new')]);
  t.same(planDaemonSet(input(slots)).create, [], 'd1 is still starting: nothing more');
  slots[0] = slot('d1', [pod('d1', 'new', 5)]);
  t.equal(planDaemonSet(input(slots, { minReadySeconds: 10 })).create.length, 0, 'Ready for 5 s of the 10 it needs');
  t.equal(planDaemonSet(input(slots, { minReadySeconds: 10 })).nextCheckAt, NOW + 5_000, 'and the pass comes back when it will be available');
  t.equal(planDaemonSet(input(slots, { minReadySeconds: 2 })).create.length, 1, 'available: the next device goes');
});

t.test('an old pod that is not available is replaced at once, outside the budget', async (t) => {
  const slots = oldFleet();
  slots[3] = slot('d4', [pod('d4', 'old')]);
  slots[4] = slot('d5', [pod('d5', 'old')]);
  const plan = planDaemonSet(input(slots, { maxUnavailable: 1 }));
  t.same(plan.create.map((c) => c.device).sort(), ['d1', 'd4', 'd5']);
});

t.test("an Offline device's pods are pending: neither replaced nor counted against the budget", async (t) => {
  const slots = oldFleet(3);
  slots[0] = slot('d1', [pod('d1', 'old')], RUN, true);
  slots[1] = slot('d2', [pod('d2', 'new')], RUN, true);
  const plan = planDaemonSet(input(slots, { maxUnavailable: 1 }));
  t.same(plan.create.map((c) => c.device), ['d3'], 'the one online device goes; the away ones neither go nor hold it up');
  t.match(plan.counts, { desired: 3, pending: 2, updated: 2 });
});

t.test('with surge, the new pod starts beside the old one, which goes when the new one is available', async (t) => {
  let plan = planDaemonSet(input(oldFleet(3), { maxSurge: 1, maxUnavailable: 0 }));
  t.same(plan.create, [{ device: 'd1' }], 'no old pod deleted to make room');
  t.same(plan.delete, []);
  const slots = oldFleet(3);
  slots[0] = slot('d1', [pod('d1', 'old', 60), pod('d1', 'new')]);
  plan = planDaemonSet(input(slots, { maxSurge: 1, maxUnavailable: 0 }));
  t.same([plan.create, plan.delete], [[], []], 'the surge is in use while the new pod starts');
  slots[0] = slot('d1', [pod('d1', 'old', 60), pod('d1', 'new', 1)]);
  plan = planDaemonSet(input(slots, { maxSurge: 1, maxUnavailable: 0 }));
  t.same(plan.delete.map((d) => [d.pod.spec.nodeName, d.reason]), [['d1', 'superseded']]);
  t.same(plan.create, [{ device: 'd2' }], 'and the next device surges');
});

t.test('duplicates go: without surge all but the oldest pod, with surge all but the oldest of each template', async (t) => {
  const oldest = pod('d1', 'old', 60, 5000);
  const extra = [pod('d1', 'old', 60, 10), pod('d1', 'new', 60, 20), pod('d1', 'new', 60, 30)];
  let plan = planDaemonSet(input([slot('d1', [...extra, oldest])], { strategy: 'OnDelete' }));
  t.same(plan.delete.map((d) => [d.pod.metadata.name, d.reason]).sort(), extra.map((p) => [p.metadata.name, 'duplicate']).sort());
  plan = planDaemonSet(input([slot('d1', [...extra, oldest])], { maxSurge: 1, maxUnavailable: 0 }));
  const gone = new Set(plan.delete.map((d) => d.pod.metadata.name));
  t.notOk(gone.has(extra[2]?.metadata.name ?? ''), 'the oldest new pod stays');
  t.ok(gone.has(extra[1]?.metadata.name ?? '') && gone.has(extra[0]?.metadata.name ?? ''), 'the younger new and old ones go');
});

t.test('a device that must not run the pod loses every pod; one under a new NoSchedule taint keeps one and counts as misscheduled', async (t) => {
  const plan = planDaemonSet(input([slot('gone', [pod('gone', 'new', 60), pod('gone', 'old', 60)], OFF), slot('tainted', [pod('tainted', 'new', 60), pod('tainted', 'new', 60)], STAY)]));
  t.same(plan.delete.map((d) => [d.pod.spec.nodeName, d.reason]), [['gone', 'misscheduled'], ['gone', 'misscheduled'], ['tainted', 'duplicate']]);
  t.match(plan.counts, { desired: 0, current: 0, misscheduled: 1 });
});

t.test("a staged rollout's cap stops replacements, and a device that joins after it is reached gets the earlier template", async (t) => {
  const slots = [...oldFleet(4), slot('joined', [])];
  const plan = planDaemonSet(input(slots, { maxUnavailable: 4, updatedCap: 2, canPlaceOld: true }));
  t.same(plan.create.map((c) => [c.device, c.old === true]), [['joined', false], ['d1', false]], 'the joining device takes one of the two, one old pod is replaced');
  const full = planDaemonSet(input([...oldFleet(4).map((s, i) => (i < 2 ? slot(s.device, [pod(s.device, 'new', 60)]) : s)), slot('joined', [])], { maxUnavailable: 4, updatedCap: 2, canPlaceOld: true }));
  t.same(full.create.map((c) => [c.device, c.old === true]), [['joined', true]], 'at the cap a joining device gets the earlier template');
});

t.test('a pod the scheduler says does not fit is not made, and the old pod it would replace stays', async (t) => {
  const plan = planDaemonSet(input([...oldFleet(2), slot('new-1', [])], { maxUnavailable: 2, fits: (device) => (device === 'd1' || device === 'new-1' ? 'insufficient cpu' : undefined) }));
  t.same(plan.create.map((c) => c.device), ['d2']);
  t.same(plan.delete.map((d) => d.pod.spec.nodeName), ['d2'], "d1's old pod is kept");
  t.same(plan.unplaced, [{ device: 'new-1', reason: 'insufficient cpu' }, { device: 'd1', reason: 'insufficient cpu' }]);
});
