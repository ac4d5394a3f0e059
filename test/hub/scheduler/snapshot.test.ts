import t from 'tap';
import { assume, forget, ownerUidOf, snapshotFleet } from '../../../hub/scheduler/snapshot.js';
import { device, pod } from './fixtures.js';

t.test('sums what the unfinished pods bound to each device request', async (t) => {
  const fleet = snapshotFleet(
    [device('a'), device('b')],
    [
      pod('web-1', { nodeName: 'a', requests: { cpu: '250m', memory: '64Mi' } }),
      pod('web-2', { nodeName: 'a', requests: { cpu: '500m', memory: '64Mi' } }),
      pod('job-1', { nodeName: 'a', requests: { cpu: '1' }, phase: 'Succeeded' }),
      pod('job-2', { nodeName: 'a', requests: { cpu: '1' }, phase: 'Failed' }),
      pod('pending', { requests: { cpu: '1' } }),
    ],
  );
  t.same(fleet.device('a')?.requested, { cpuMillis: 750, memoryBytes: 128 * 2 ** 20, pods: 2 });
  t.same(fleet.device('b')?.requested, { cpuMillis: 0, memoryBytes: 0, pods: 0 });
});

t.test('parses each device capacity once into numbers', async (t) => {
  const fleet = snapshotFleet([device('a', { capacity: { cpu: '1500m', memory: '2Gi', pods: 20 } })], []);
  t.same(fleet.device('a')?.capacity, { cpuMillis: 1500, memoryBytes: 2 * 2 ** 30, pods: 20 });
});

t.test('leaves capacity out for a device that has not reported one, and explains an unreadable one', async (t) => {
  const fleet = snapshotFleet([device('new', { capacity: null }), device('odd', { capacity: { memory: 'plenty' } })], []);
  t.equal(fleet.device('new')?.capacity, undefined);
  t.equal(fleet.device('new')?.capacityProblem, undefined);
  t.equal(fleet.device('odd')?.capacity, undefined);
  t.match(fleet.device('odd')?.capacityProblem, /status\.capacity\.memory.*"plenty"/);
});

t.test('lists devices by name whatever order they come in, once each', async (t) => {
  const fleet = snapshotFleet([device('c'), device('a'), device('b'), device('a')], []);
  t.same(
    fleet.devices.map((d) => d.name),
    ['a', 'b', 'c'],
  );
});

t.test('leaves out pods bound to devices it does not know', async (t) => {
  const fleet = snapshotFleet([device('a')], [pod('ghost', { nodeName: 'gone' })]);
  t.equal(fleet.device('a')?.requested.pods, 0);
  t.equal(fleet.deviceOf(pod('ghost')), undefined);
});

t.test('counts an assumed pod so the next pod sees the room it took', async (t) => {
  const fleet = snapshotFleet([device('a')], []);
  t.equal(assume(fleet, pod('web-1', { requests: { cpu: '1' }, owner: 'dep' }), 'a'), true);
  t.same(fleet.device('a')?.requested, { cpuMillis: 1000, memoryBytes: 0, pods: 1 });
  t.equal(fleet.podsByOwnerOnDevice('dep', 'a'), 1);
  t.equal(fleet.deviceOf(pod('web-1')), 'a');
});

t.test('counts a pod assumed twice on the same device once', async (t) => {
  const fleet = snapshotFleet([device('a')], [pod('web-1', { nodeName: 'a', requests: { cpu: '1' } })]);
  t.equal(assume(fleet, pod('web-1', { requests: { cpu: '1' } }), 'a'), false);
  t.equal(fleet.device('a')?.requested.cpuMillis, 1000);
});

t.test('refuses to count a pod on a second device', async (t) => {
  const fleet = snapshotFleet([device('a'), device('b')], []);
  assume(fleet, pod('web-1'), 'a');
  t.throws(() => assume(fleet, pod('web-1'), 'b'), { code: 'Conflict' });
  t.equal(fleet.device('b')?.requested.pods, 0);
});

t.test('refuses to assume a pod onto a device it does not know', async (t) => {
  t.throws(() => assume(snapshotFleet([], []), pod('web-1'), 'nowhere'), { code: 'NotFound' });
});

t.test('tells pods of the same name in different namespaces apart', async (t) => {
  const fleet = snapshotFleet([device('a')], []);
  assume(fleet, pod('web', { namespace: 'shop' }), 'a');
  t.equal(assume(fleet, pod('web', { namespace: 'lab' }), 'a'), true);
  t.equal(fleet.device('a')?.requested.pods, 2);
});

t.test('takes back exactly what a forgotten pod added', async (t) => {
  const fleet = snapshotFleet([device('a')], [pod('db', { nodeName: 'a', requests: { cpu: '100m' }, owner: 'dep' })]);
  const web = pod('web', { requests: { cpu: '1', memory: '1Gi' }, owner: 'dep' });
  assume(fleet, web, 'a');
  t.equal(forget(fleet, web), true);
  t.same(fleet.device('a')?.requested, { cpuMillis: 100, memoryBytes: 0, pods: 1 });
  t.equal(fleet.podsByOwnerOnDevice('dep', 'a'), 1);
  t.equal(forget(fleet, web), false);
});

t.test('counts pods per owner and device, dropping owners with none left', async (t) => {
  const fleet = snapshotFleet(
    [device('a'), device('b')],
    [pod('w1', { nodeName: 'a', owner: 'web' }), pod('w2', { nodeName: 'a', owner: 'web' }), pod('w3', { nodeName: 'b', owner: 'web' })],
  );
  t.same(Object.fromEntries(fleet.podsOfOwner('web')), { a: 2, b: 1 });
  t.equal(fleet.podsByOwnerOnDevice('web', 'b'), 1);
  t.equal(fleet.podsByOwnerOnDevice('db', 'a'), 0);
  forget(fleet, pod('w3'));
  t.same(Object.fromEntries(fleet.podsOfOwner('web')), { a: 2 });
});

t.test("a pod's owner is its controller, else its first owner", async (t) => {
  const p = pod('w');
  p.metadata.ownerReferences = [
    { apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'cfg-uid' },
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'web-uid', controller: true },
  ];
  t.equal(ownerUidOf(p), 'web-uid');
  p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'cfg-uid' }];
  t.equal(ownerUidOf(p), 'cfg-uid');
  t.equal(ownerUidOf(pod('lonely')), undefined);
});

t.test('still counts a bound pod with an unreadable quantity as taking a pod slot', async (t) => {
  const fleet = snapshotFleet([device('a')], [pod('odd', { nodeName: 'a', requests: { cpu: 'lots' } })]);
  t.same(fleet.device('a')?.requested, { cpuMillis: 0, memoryBytes: 0, pods: 1 });
});

t.test('never changes the device objects it was given', async (t) => {
  const d = device('a');
  const before = JSON.stringify(d);
  const fleet = snapshotFleet([d], [pod('w', { nodeName: 'a', requests: { cpu: '1' } })]);
  assume(fleet, pod('x', { requests: { cpu: '1' } }), 'a');
  t.equal(JSON.stringify(d), before);
});

t.test('finds the devices carrying a label, or a label with a given value, in fleet order', async (t) => {
  const fleet = snapshotFleet(
    [
      device('d', { labels: { role: 'camera', site: 'b' } }),
      device('a', { labels: { role: 'camera', site: 'a' } }),
      device('c', { labels: { site: 'a' } }),
      device('b', { labels: { role: 'sensor' } }),
    ],
    [],
  );
  const names = (indexes: readonly number[]) => indexes.map((i) => fleet.devices[i]?.name);
  t.same(names(fleet.devicesLabelled('role', 'camera')), ['a', 'd']);
  t.same(names(fleet.devicesLabelled('site', 'a')), ['a', 'c']);
  t.same(names(fleet.devicesWithLabel('role')), ['a', 'b', 'd']);
  t.same(fleet.devicesLabelled('role', 'gateway'), []);
  t.same(fleet.devicesWithLabel('gpu'), []);
});

t.test('keeps its label index as it was when pods are assumed and forgotten', async (t) => {
  const fleet = snapshotFleet([device('a', { labels: { role: 'camera' } }), device('b', { labels: { role: 'camera' } })], []);
  const before = fleet.devicesLabelled('role', 'camera');
  const web = pod('web');
  assume(fleet, web, 'a');
  forget(fleet, web);
  t.equal(fleet.devicesLabelled('role', 'camera'), before, 'the same list, not rebuilt');
  t.same(before, [0, 1]);
});

t.test("counts a workload's pods per value of a label, and keeps the count as pods come and go", async (t) => {
  const devices = [device('a-1', { labels: { site: 'a' } }), device('a-2', { labels: { site: 'a' } }), device('b-1', { labels: { site: 'b' } }), device('lab')];
  const fleet = snapshotFleet(devices, [
    pod('web-1', { nodeName: 'a-1', owner: 'dep-web' }),
    pod('web-2', { nodeName: 'a-2', owner: 'dep-web' }),
    pod('web-3', { nodeName: 'lab', owner: 'dep-web' }),
    pod('db-1', { nodeName: 'b-1', owner: 'dep-db' }),
  ]);
  t.same(Object.fromEntries(fleet.podsOfOwnerByLabel('dep-web', 'site')), { a: 2 }, 'devices without the label are left out');
  const web4 = pod('web-4', { owner: 'dep-web' });
  assume(fleet, web4, 'b-1');
  t.same(Object.fromEntries(fleet.podsOfOwnerByLabel('dep-web', 'site')), { a: 2, b: 1 });
  forget(fleet, web4);
  forget(fleet, pod('web-1', { owner: 'dep-web' }));
  t.same(Object.fromEntries(fleet.podsOfOwnerByLabel('dep-web', 'site')), { a: 1 });
  t.same(Object.fromEntries(fleet.podsOfOwnerByLabel('dep-db', 'site')), { b: 1 });
  t.same(Object.fromEntries(fleet.podsOfOwnerByLabel('dep-none', 'site')), {});
});
