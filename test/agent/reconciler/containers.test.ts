import t from 'tap';
import { containerKey, createSpec, keyOfRecord, specHash } from '../../../agent/reconciler/containers.js';
import {
  LABEL_CONTAINER,
  LABEL_DEVICE,
  LABEL_GRACE_SECONDS,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  LABEL_SPEC_HASH,
  LABEL_HOST_PORTS,
} from '../../../agent/runtime/runtime.js';
import type { DesiredPodMessage } from '../../../shared/proto/codec.js';
import { desiredContainer, desiredPod, engineContainer } from '../../helpers/desired-pods.js';

/** The pod these tests start from: camera-feed in plant-3. */
function pod(overrides: Partial<DesiredPodMessage> = {}): DesiredPodMessage {
  return desiredPod('camera-feed', { namespace: 'plant-3', uid: 'uid-1', ...overrides });
}

t.test('labels a created container with its device, pod, container and spec hash', async (t) => {
  const p = pod();
  const c = desiredContainer();
  const spec = createSpec('pi-1', p, c);
  t.same(spec.labels, {
    [LABEL_DEVICE]: 'pi-1',
    [LABEL_POD_NAMESPACE]: 'plant-3',
    [LABEL_POD_NAME]: 'camera-feed',
    [LABEL_POD_UID]: 'uid-1',
    [LABEL_CONTAINER]: 'app',
    [LABEL_SPEC_HASH]: specHash(p, c),
    [LABEL_HOST_PORTS]: '',
    [LABEL_GRACE_SECONDS]: String(p.terminationGracePeriodSeconds),
  });
});

t.test('names the engine container after device, namespace, pod and container, so two devices on one engine never collide', async (t) => {
  t.equal(createSpec('pi-1', pod(), desiredContainer()).name, 'pi-1_plant-3_camera-feed_app');
  t.not(createSpec('pi-1', pod(), desiredContainer()).name, createSpec('pi-2', pod(), desiredContainer()).name);
});

t.test('replaces the image entrypoint and cmd only when the pod gives a command or args', async (t) => {
  const plain = createSpec('pi-1', pod(), desiredContainer());
  t.notOk('entrypoint' in plain);
  t.notOk('cmd' in plain);
  const custom = createSpec('pi-1', pod(), desiredContainer('app', { command: ['/bin/sh', '-c'], args: ['sleep 100'] }));
  t.same(custom.entrypoint, ['/bin/sh', '-c']);
  t.same(custom.cmd, ['sleep 100']);
});

t.test('passes env, limits and ports on, with protocols in the engine spelling', async (t) => {
  const spec = createSpec(
    'pi-1',
    pod(),
    desiredContainer('app', {
      env: [{ name: 'MODE', value: 'fast' }],
      cpuMillis: 250,
      memoryBytes: 64 * 1024 * 1024,
      ports: [
        { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
        { containerPort: 53, hostPort: 0, protocol: 'UDP' },
        { containerPort: 9000, hostPort: 0, protocol: '' },
      ],
    }),
  );
  t.same(spec.env, [{ name: 'MODE', value: 'fast' }]);
  t.equal(spec.cpuMillis, 250);
  t.equal(spec.memoryBytes, 64 * 1024 * 1024);
  t.same(spec.ports, [
    { containerPort: 80, hostPort: 8080, protocol: 'tcp' },
    { containerPort: 53, hostPort: 0, protocol: 'udp' },
    { containerPort: 9000, hostPort: 0, protocol: 'tcp' },
  ]);
});

t.test('finds the pod container an engine container belongs to from its labels alone', async (t) => {
  const record = engineContainer(pod(), desiredContainer());
  t.equal(keyOfRecord(record), containerKey('uid-1', 'app'));
  t.equal(keyOfRecord({ ...record, labels: { [LABEL_DEVICE]: 'pi-1' } }), undefined);
  t.equal(keyOfRecord({ ...record, labels: { [LABEL_POD_UID]: 'uid-1' } }), undefined);
  t.equal(keyOfRecord({ ...record, labels: { [LABEL_CONTAINER]: 'app' } }), undefined);
});

t.test('gives a container the same spec hash every time', async (t) => {
  t.equal(specHash(pod(), desiredContainer()), specHash(pod(), desiredContainer()));
  t.match(specHash(pod(), desiredContainer()), /^[0-9a-f]{16}$/);
});

t.test('changes the spec hash when anything the engine container is made from changes', async (t) => {
  const base = specHash(pod(), desiredContainer());
  const changed: [string, string][] = [
    ['pod uid', specHash(pod({ uid: 'uid-2' }), desiredContainer())],
    ['name', specHash(pod(), desiredContainer('other'))],
    ['image', specHash(pod(), desiredContainer('app', { image: 'localhost/busybox:v2' }))],
    ['command', specHash(pod(), desiredContainer('app', { command: ['/bin/sh'] }))],
    ['args', specHash(pod(), desiredContainer('app', { args: ['-x'] }))],
    ['env', specHash(pod(), desiredContainer('app', { env: [{ name: 'A', value: '1' }] }))],
    ['env value', specHash(pod(), desiredContainer('app', { env: [{ name: 'A', value: '2' }] }))],
    ['port', specHash(pod(), desiredContainer('app', { ports: [{ containerPort: 80, hostPort: 0, protocol: 'TCP' }] }))],
    ['host port', specHash(pod(), desiredContainer('app', { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] }))],
    ['cpu', specHash(pod(), desiredContainer('app', { cpuMillis: 100 }))],
    ['memory', specHash(pod(), desiredContainer('app', { memoryBytes: 1 }))],
  ];
  for (const [what, hash] of changed) t.not(hash, base, what);
  t.equal(new Set(changed.map(([, hash]) => hash)).size, changed.length, 'every change gives its own hash');
});

t.test('keeps the spec hash when only what the engine container does not depend on changes', async (t) => {
  const base = specHash(pod(), desiredContainer());
  t.equal(specHash(pod({ restartPolicy: 'Never', terminationGracePeriodSeconds: 60 }), desiredContainer()), base);
  t.equal(specHash(pod(), desiredContainer('app', { imagePullPolicy: 'Always' })), base);
});

t.test('does not confuse a command split differently with the same words', async (t) => {
  t.not(specHash(pod(), desiredContainer('app', { command: ['a b'] })), specHash(pod(), desiredContainer('app', { command: ['a', 'b'] })));
  t.not(specHash(pod(), desiredContainer('app', { command: ['a'], args: ['b'] })), specHash(pod(), desiredContainer('app', { command: ['a', 'b'] })));
});
