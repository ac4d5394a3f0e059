/**
 * The measuring tools of the fault scenarios, on made-up snapshots: a scenario can only pass
 * honestly if its diff spots every restart, loss and duplicate it is meant to.
 */
import t from 'tap';
import { diffFleet, duplicatesIn, recoveryLine, statusLag, unsettled, type EngineContainer, type FleetSnapshot, type HubPod } from './fault-kit.js';

function container(pod: string, uid: string, id: string, extra: Partial<EngineContainer> = {}): EngineContainer {
  return { id, device: 'dev-a', pod: `default/${pod}`, podUid: uid, container: 'main', running: true, startedAt: '2026-01-01T00:00:00Z', engineRestarts: 0, ...extra };
}

function pod(name: string, uid: string, id: string, extra: Partial<HubPod> = {}): HubPod {
  return { pod: `default/${name}`, uid, device: 'dev-a', phase: 'Running', owner: undefined, containers: [{ name: 'main', id, restartCount: 0 }], ...extra };
}

/** Two bare pods and a Deployment of one, all Running on dev-a. */
function fleet(): FleetSnapshot {
  return {
    devices: ['dev-a', 'dev-b'],
    containers: [container('a', 'u-a', 'c-a'), container('b', 'u-b', 'c-b'), container('web-1', 'u-w1', 'c-w1')],
    pods: [pod('a', 'u-a', 'c-a'), pod('b', 'u-b', 'c-b'), pod('web-1', 'u-w1', 'c-w1', { owner: 'default/web' })],
    objects: ['Deployment default/web', 'Device dev-a', 'Device dev-b'],
    replicas: { 'default/web': 1 },
  };
}

t.test('finds nothing wrong when nothing changed', async (t) => {
  t.same(diffFleet(fleet(), fleet()), { lost: [], unexpectedRestarts: [], duplicates: [], leftovers: [] });
  t.same(unsettled(fleet()), []);
});

t.test('counts a container started again under the same ID as a restart, from its start time alone', async (t) => {
  const after = fleet();
  after.containers[0] = container('a', 'u-a', 'c-a', { startedAt: '2026-01-01T00:05:00Z' });
  const diff = diffFleet(fleet(), after);
  t.equal(diff.unexpectedRestarts.length, 1);
  t.match(diff.unexpectedRestarts[0], /container main of pod default\/a restarted: container c-a started again/);
});

t.test('counts a higher restart count at the hub, and a replaced container, as restarts', async (t) => {
  const after = fleet();
  after.pods[0] = pod('a', 'u-a', 'c-a', { containers: [{ name: 'main', id: 'c-a', restartCount: 2 }] });
  after.containers[1] = container('b', 'u-b', 'c-b2');
  after.pods[1] = pod('b', 'u-b', 'c-b2');
  const diff = diffFleet(fleet(), after);
  t.match(diff.unexpectedRestarts, [/pod default\/a restarted: the hub counts 2 more/, /pod default\/b was replaced: container c-b became c-b2/]);
});

t.test('lets the fault’s own victims restart, and only them', async (t) => {
  const after = fleet();
  after.containers[0] = container('a', 'u-a', 'c-a', { startedAt: 'later' });
  after.containers[1] = container('b', 'u-b', 'c-b', { startedAt: 'later' });
  t.same(diffFleet(fleet(), after, { restarts: ['default/a'] }).unexpectedRestarts.length, 1);
});

t.test('counts a Deployment pod replaced by another as a restart, and a vanished bare pod or object as lost', async (t) => {
  const after = fleet();
  after.pods = [pod('b', 'u-b', 'c-b'), pod('web-2', 'u-w2', 'c-w2', { owner: 'default/web' })];
  after.containers = [container('b', 'u-b', 'c-b'), container('web-2', 'u-w2', 'c-w2')];
  after.objects = ['Deployment default/web', 'Device dev-a'];
  const diff = diffFleet(fleet(), after);
  t.same(diff.lost, ['Device dev-b is gone', 'pod default/a is gone']);
  t.match(diff.unexpectedRestarts, [/pod default\/web-1 was replaced \(its Deployment default\/web made another\)/]);
  t.same(diffFleet(fleet(), after, { gone: ['default/a', 'default/web-1', 'Device dev-b'] }), { lost: [], unexpectedRestarts: [], duplicates: [], leftovers: [] }, 'nothing when the fault was meant to remove them');
});

t.test('finds a pod running twice, a container where the hub does not place its pod, and a Deployment over its replicas', async (t) => {
  const snapshot = fleet();
  snapshot.containers.push(container('a', 'u-a', 'c-a2', { device: 'dev-b' }));
  snapshot.containers.push(container('gone', 'u-gone', 'c-gone'));
  snapshot.containers.push(container('old', 'u-old', 'c-old', { running: false }));
  snapshot.pods.push(pod('web-2', 'u-w2', 'c-w2', { owner: 'default/web', phase: 'Pending', containers: [] }));
  const found = duplicatesIn(snapshot);
  t.match(found.duplicates, [
    /2 containers run for container main of pod default\/a .*c-a on dev-a, c-a2 on dev-b/,
    /container c-a2 of pod default\/a on dev-b, where the hub does not place that pod still runs/,
    /container c-gone of pod default\/gone on dev-a, where the hub does not place that pod still runs/,
    /Deployment default\/web has 2 pods for 1 replicas/,
  ]);
  t.match(found.leftovers, [/container c-old of pod default\/old on dev-a, .* is still there, stopped/]);
  const finished = fleet();
  finished.pods.push(pod('web-0', 'u-w0', '', { owner: 'default/web', phase: 'Failed', containers: [] }));
  t.same(duplicatesIn(finished).duplicates, [], 'a finished pod does not count against its replicas');
});

t.test('tells when the hub has not caught up with what the engine runs', async (t) => {
  const snapshot = fleet();
  snapshot.pods[0] = pod('a', 'u-a', 'c-old');
  snapshot.pods[1] = pod('b', 'u-b', 'c-b', { phase: 'Pending' });
  snapshot.pods.push(pod('done', 'u-d', 'c-d', { phase: 'Failed' }));
  snapshot.containers.push(container('done', 'u-d', 'c-d'));
  snapshot.pods.push(pod('elsewhere', 'u-e', 'c-e', { device: 'dev-z' }));
  t.match(statusLag(snapshot), [
    /the hub says container main of pod default\/a is c-old; the engine runs c-a/,
    /pod default\/b is Pending at the hub/,
    /pod default\/done is Failed at the hub but its container main runs/,
  ]);
});

t.test('prints the figures of a scenario as one line', async (t) => {
  const diff = { lost: ['x'], duplicates: [], unexpectedRestarts: ['y', 'z'] };
  t.equal(recoveryLine('hub-restart', 6.84, diff), 'recovery hub-restart: 6.8 s, lost 1, duplicates 0, unexpected restarts 2');
});
