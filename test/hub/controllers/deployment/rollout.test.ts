import t from 'tap';
import { isPodReady, planRollout, type RolloutInput } from '../../../../hub/controllers/deployment/rollout.js';
import type { Pod } from '../../../../shared/objects.js';

interface PodOptions {
  ready?: boolean;
  /** undefined: not scheduled yet. */
  nodeName?: string | undefined;
  created?: string;
  phase?: 'Pending' | 'Running';
}

let serial = 0;
function pod(template: string, options: PodOptions = {}): Pod {
  serial++;
  const { ready = true, created = `2024-01-01T00:00:${String(serial % 60).padStart(2, '0')}Z` } = options;
  const nodeName = 'nodeName' in options ? options.nodeName : 'pi-1';
  const phase = options.phase ?? (ready ? 'Running' : 'Pending');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${template}-${serial}`, namespace: 'default', creationTimestamp: created, labels: { 'pod-template-hash': template } },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
    status: {
      phase,
      containerStatuses: [{ name: 'app', image: 'busybox', ready, restartCount: 0, state: ready ? { running: {} } : { waiting: { reason: 'ContainerCreating' } } }],
    },
  };
}

function pods(count: number, template: string, options: PodOptions = {}): Pod[] {
  return Array.from({ length: count }, () => pod(template, options));
}

function rolling(replicas: number, current: Pod[], old: Pod[], surge = 1, unavailable = 0): RolloutInput {
  return { replicas, strategy: 'RollingUpdate', maxSurge: surge, maxUnavailable: unavailable, current, old };
}

function names(list: readonly Pod[]): string[] {
  return list.map((p) => p.metadata.name);
}

t.test('scales up from nothing by creating every replica', async (t) => {
  t.same(planRollout(rolling(3, [], [])), { create: 3, createOld: 0, delete: [] });
  t.same(planRollout({ ...rolling(3, [], []), strategy: 'Recreate' }), { create: 3, createOld: 0, delete: [] });
});

t.test('does nothing when the current template already has its replicas', async (t) => {
  t.same(planRollout(rolling(3, pods(3, 'new'), [])), { create: 0, createOld: 0, delete: [] });
});

t.test('scales down to zero by deleting every pod', async (t) => {
  const current = pods(2, 'new');
  const plan = planRollout(rolling(0, current, []));
  t.equal(plan.create, 0);
  t.same(names(plan.delete).sort(), names(current).sort());
});

t.test('scales down by deleting unscheduled pods first, then unready ones, then the newest', async (t) => {
  const oldestReady = pod('new', { created: '2024-01-01T00:00:01Z' });
  const newestReady = pod('new', { created: '2024-01-01T00:00:09Z' });
  const unready = pod('new', { ready: false, created: '2024-01-01T00:00:02Z' });
  const unscheduled = pod('new', { ready: false, nodeName: undefined, created: '2024-01-01T00:00:00Z' });
  const current = [oldestReady, unready, newestReady, unscheduled];
  t.same(names(planRollout(rolling(3, current, [])).delete), names([unscheduled]));
  t.same(names(planRollout(rolling(2, current, [])).delete), names([unscheduled, unready]));
  t.same(names(planRollout(rolling(1, current, [])).delete), names([unscheduled, unready, newestReady]));
});

/**
 * Runs the rollout as the controller would: apply each plan, let new pods become ready one pass
 * later, and record what every pass did.
 */
function walk(replicas: number, oldCount: number, surge: number, unavailable: number) {
  let current: Pod[] = [];
  let old = pods(oldCount, 'old');
  const passes: { ready: number; total: number }[] = [];
  for (let pass = 0; pass < 50; pass++) {
    const plan = planRollout(rolling(replicas, current, old, surge, unavailable));
    old = old.filter((p) => !plan.delete.includes(p));
    current = current.filter((p) => !plan.delete.includes(p));
    current.push(...pods(plan.create, 'new', { ready: false }));
    const all = [...current, ...old];
    passes.push({ ready: all.filter(isPodReady).length, total: all.length });
    if (plan.create === 0 && plan.delete.length === 0 && old.length === 0 && current.every(isPodReady)) break;
    // New pods become ready before the next pass.
    current = current.map((p) => (isPodReady(p) ? p : pod('new')));
  }
  return { passes, current, old };
}

t.test('a rolling update with maxSurge 1 and maxUnavailable 0 replaces pods one at a time', async (t) => {
  let current: Pod[] = [];
  let old = pods(3, 'old');
  const step = (expectCreate: number, expectDeleteOld: number, what: string) => {
    const plan = planRollout(rolling(3, current, old));
    t.equal(plan.create, expectCreate, `${what}: create`);
    t.equal(plan.delete.length, expectDeleteOld, `${what}: delete`);
    t.ok(plan.delete.every((p) => old.includes(p)), `${what}: deletes only old pods`);
    old = old.filter((p) => !plan.delete.includes(p));
    current.push(...pods(plan.create, 'new', { ready: false }));
  };
  const becomeReady = () => {
    current = current.map((p) => (isPodReady(p) ? p : pod('new')));
  };
  for (let round = 1; round <= 3; round++) {
    step(1, 0, `round ${round}, surge`);
    step(0, 0, `round ${round}, waiting for the new pod`);
    becomeReady();
    step(0, 1, `round ${round}, new pod ready`);
  }
  t.equal(old.length, 0);
  t.equal(current.length, 3);
  t.same(planRollout(rolling(3, current, old)), { create: 0, createOld: 0, delete: [] }, 'done');
});

t.test('a rolling update never goes above replicas + maxSurge pods nor below replicas - maxUnavailable ready ones', async (t) => {
  const configs: [number, number, number][] = [
    [3, 1, 0],
    [3, 0, 1],
    [5, 2, 1],
    [4, 1, 2],
    [1, 1, 0],
  ];
  for (const [replicas, surge, unavailable] of configs) {
    const { passes, current, old } = walk(replicas, replicas, surge, unavailable);
    const what = `replicas ${replicas}, maxSurge ${surge}, maxUnavailable ${unavailable}`;
    t.ok(passes.every((p) => p.total <= replicas + surge), `${what}: at most ${replicas + surge} pods`);
    t.ok(passes.every((p) => p.ready >= replicas - unavailable), `${what}: at least ${replicas - unavailable} ready`);
    t.equal(old.length, 0, `${what}: every old pod replaced`);
    t.equal(current.length, replicas, `${what}: ends with the replicas`);
  }
});

t.test('a rolling update with maxSurge 0 and maxUnavailable 0 still makes progress by surging one', async (t) => {
  const { passes, old, current } = walk(2, 2, 0, 0);
  t.equal(old.length, 0);
  t.equal(current.length, 2);
  t.ok(passes.every((p) => p.ready >= 2 && p.total <= 3));
});

t.test('a rolling update with maxUnavailable 1 and no surge deletes an old pod before creating', async (t) => {
  const old = pods(3, 'old');
  const plan = planRollout(rolling(3, [], old, 0, 1));
  t.equal(plan.create, 0);
  t.equal(plan.delete.length, 1);
});

t.test('deletes unready old pods at once, even with maxUnavailable 0', async (t) => {
  const readyOld = pods(2, 'old');
  const unreadyOld = pods(1, 'old', { ready: false });
  const plan = planRollout(rolling(3, [], [...readyOld, ...unreadyOld]));
  t.same(names(plan.delete), names(unreadyOld));
  t.equal(plan.create, 1);
});

t.test('keeps old pods while the new ones do not become ready', async (t) => {
  const old = pods(3, 'old');
  const crashing = pods(1, 'new', { ready: false, phase: 'Running' });
  t.same(planRollout(rolling(3, crashing, old)), { create: 0, createOld: 0, delete: [] });
});

t.test('deletes the newest ready old pod first', async (t) => {
  const older = pod('old', { created: '2024-01-01T00:00:01Z' });
  const newer = pod('old', { created: '2024-01-01T00:00:05Z' });
  const current = pods(1, 'new');
  t.same(names(planRollout(rolling(2, current, [older, newer])).delete), names([newer]));
});

t.test('Recreate deletes every old pod before creating any new one', async (t) => {
  const old = [...pods(2, 'old'), ...pods(1, 'old', { ready: false })];
  const recreate = (current: Pod[], oldPods: Pod[]): RolloutInput => ({ ...rolling(3, current, oldPods), strategy: 'Recreate' });
  const first = planRollout(recreate([], old));
  t.equal(first.create, 0);
  t.same(names(first.delete).sort(), names(old).sort());
  t.same(planRollout(recreate([], [])), { create: 3, createOld: 0, delete: [] }, 'creates once the old pods are gone');
});

t.test('a scale-down during a rollout deletes surplus pods of the current template', async (t) => {
  const current = [...pods(3, 'new'), pod('new', { ready: false })];
  const old = pods(1, 'old');
  const plan = planRollout(rolling(2, current, old));
  t.equal(plan.create, 0);
  const deleted = plan.delete.map((p) => p.metadata.labels?.['pod-template-hash']);
  t.equal(deleted.filter((h) => h === 'new').length, 2, 'two surplus current pods');
  t.ok(plan.delete.includes(current[3]!), 'the unready one among them');
  t.ok(plan.delete.includes(old[0]!), 'and the old pod, since enough new ones are ready');
});

t.test('a pod is ready only when it runs and every container is ready', async (t) => {
  t.equal(isPodReady(pod('x')), true);
  t.equal(isPodReady(pod('x', { ready: false })), false);
  const oneUnready = pod('x');
  oneUnready.status!.containerStatuses!.push({ name: 'sidecar', image: 'busybox', ready: false, restartCount: 0, state: { running: {} } });
  t.equal(isPodReady(oneUnready), false);
  const noContainers = pod('x');
  noContainers.status!.containerStatuses = [];
  t.equal(isPodReady(noContainers), false);
  const noStatus = pod('x');
  delete noStatus.status;
  t.equal(isPodReady(noStatus), false);
});

t.test('a staged rollout makes no more pods of the new template than its wave allows, and keeps the rest old', async (t) => {
  const old = pods(10, 'old');
  const first = planRollout({ ...rolling(10, [], old, 3, 2), updatedCap: 1 });
  t.equal(first.create, 1, 'one canary');
  t.equal(first.delete.length, 1, 'room made for it within maxUnavailable');
  const canary = pods(1, 'new');
  const held = planRollout({ ...rolling(10, canary, old.slice(1), 3, 2), updatedCap: 1 });
  t.same(held, { create: 0, createOld: 0, delete: [] }, 'nine old pods stay while the wave is one pod');
});

t.test('a cap never deletes pods of the new template that already run', async (t) => {
  const current = pods(9, 'new');
  const plan = planRollout({ ...rolling(10, current, pods(1, 'old')), updatedCap: 1 });
  t.equal(plan.delete.filter((p) => current.includes(p)).length, 0);
  t.equal(plan.create, 0);
});

t.test('old pods that went missing below the cap are made again from the stable template', async (t) => {
  const plan = planRollout({ ...rolling(5, pods(1, 'new'), pods(2, 'old')), updatedCap: 1, canReplaceOld: true });
  t.equal(plan.createOld, 2);
  t.equal(plan.create, 0);
  const unknown = planRollout({ ...rolling(5, pods(1, 'new'), pods(2, 'old')), updatedCap: 1 });
  t.equal(unknown.createOld, 0, 'without a stable template,');
  t.equal(unknown.create, 2, 'new pods fill the missing places');
});

t.test('unready old pods go only as far as the cap lets the new template in', async (t) => {
  const unready = pods(3, 'old', { ready: false });
  const plan = planRollout({ ...rolling(4, [], [...pods(1, 'old'), ...unready], 1, 0), updatedCap: 1 });
  t.equal(plan.delete.length, 1);
  t.ok(unready.includes(plan.delete[0]!));
});

t.test('an old pod of a device out of touch is not removed at once like a broken one: it most likely still runs', async (t) => {
  const lost = pod('old', { ready: false });
  lost.status!.conditions = [{ type: 'Ready', status: 'False', reason: 'DeviceNotReady', message: 'device cam-1 is not ready' }];
  const plan = planRollout({ ...rolling(3, [], [lost, ...pods(2, 'old')], 1, 0), updatedCap: 1 });
  t.same(plan.delete, [], 'kept while the canary starts');
  const done = planRollout(rolling(3, pods(3, 'new'), [lost], 1, 1));
  t.same(names(done.delete), names([lost]), 'it goes when availability allows, as a ready one would');
});

t.test('an old pod goes only once its replacement counts as available, not as soon as it is Ready', async (t) => {
  const old = pods(3, 'old');
  const canary = pods(1, 'new');
  const justReady = planRollout({ ...rolling(3, canary, old, 1, 0), isAvailable: (p) => !canary.includes(p) });
  t.same(justReady.delete, [], 'the canary has not been up for minReadySeconds yet');
  const upLongEnough = planRollout({ ...rolling(3, canary, old, 1, 0), isAvailable: () => true });
  t.equal(upLongEnough.delete.length, 1);
});
