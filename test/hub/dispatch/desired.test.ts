import t from 'tap';
import { desiredPod, resolveDesiredPod, secretsReferencedBy } from '../../../hub/dispatch/desired.js';
import type { SecretLookup } from '../../../hub/dispatch/desired.js';
import type { Container, Pod, PodSpec, Secret } from '../../../shared/objects.js';
import { decode, encode } from '../../../shared/proto/codec.js';
import { desiredContainer, DEVICE, TEST_IMAGE } from '../../helpers/desired-pods.js';

function pod(spec: Partial<PodSpec> = {}, container: Partial<Container> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'camera-feed', namespace: 'plant-3', uid: 'uid-1' },
    spec: { nodeName: DEVICE, containers: [{ name: 'app', image: TEST_IMAGE, ...container }], ...spec },
  };
}

t.test('converts CPU and memory limits to millicores and bytes', async (t) => {
  const cases: [string, string, number, number][] = [
    ['500m', '128Mi', 500, 128 * 1024 * 1024],
    ['1.5', '1G', 1500, 1_000_000_000],
    ['2', '64Ki', 2000, 65_536],
    ['0.1', '129e6', 100, 129_000_000],
  ];
  for (const [cpu, memory, cpuMillis, memoryBytes] of cases) {
    const [c] = desiredPod(pod({}, { resources: { limits: { cpu, memory } } })).containers;
    t.equal(c?.cpuMillis, cpuMillis, `cpu ${cpu}`);
    t.equal(c?.memoryBytes, memoryBytes, `memory ${memory}`);
  }
});

t.test('sends no limit for a container that only has requests', async (t) => {
  const [c] = desiredPod(pod({}, { resources: { requests: { cpu: '250m', memory: '64Mi' } } })).containers;
  t.equal(c?.cpuMillis, 0);
  t.equal(c?.memoryBytes, 0);
});

t.test('fills in the defaults: restart policy Always, pull policy IfNotPresent, a 10 s grace period', async (t) => {
  const desired = desiredPod(pod());
  t.equal(desired.restartPolicy, 'Always');
  t.equal(desired.terminationGracePeriodSeconds, 10);
  t.equal(desired.containers[0]?.imagePullPolicy, 'IfNotPresent');
  t.same(desired.containers[0], desiredContainer('app'));
});

t.test('keeps what the pod asks for instead of the defaults', async (t) => {
  const desired = desiredPod(pod({ restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 0 }, { imagePullPolicy: 'Never' }));
  t.equal(desired.restartPolicy, 'OnFailure');
  t.equal(desired.terminationGracePeriodSeconds, 0);
  t.equal(desired.containers[0]?.imagePullPolicy, 'Never');
});

t.test('carries the pod identity the agent labels its containers with', async (t) => {
  const desired = desiredPod(pod());
  t.equal(desired.namespace, 'plant-3');
  t.equal(desired.name, 'camera-feed');
  t.equal(desired.uid, 'uid-1');
  const unnamespaced = pod();
  delete unnamespaced.metadata.namespace;
  t.equal(desiredPod(unnamespaced).namespace, 'default');
});

t.test('passes command, args, env and ports on, with the protocol and host port spelled out', async (t) => {
  const [c] = desiredPod(
    pod(
      {},
      {
        command: ['/bin/sh', '-c'],
        args: ['httpd -f'],
        env: [{ name: 'MODE', value: 'fast' }, { name: 'EMPTY' }],
        ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
      },
    ),
  ).containers;
  t.same(c?.command, ['/bin/sh', '-c']);
  t.same(c?.args, ['httpd -f']);
  t.same(c?.env, [
    { name: 'MODE', value: 'fast' },
    { name: 'EMPTY', value: '' },
  ]);
  t.same(c?.ports, [
    { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
    { containerPort: 53, hostPort: 0, protocol: 'UDP' },
  ]);
});

t.test('keeps every container, in order', async (t) => {
  const p = pod();
  p.spec.containers.push({ name: 'sidecar', image: TEST_IMAGE });
  t.same(desiredPod(p).containers.map((c) => c.name), ['app', 'sidecar']);
});

t.test('produces a message the wire protocol carries unchanged', async (t) => {
  const desired = desiredPod(pod({ restartPolicy: 'Never' }, { resources: { limits: { cpu: '250m', memory: '3Gi' } }, env: [{ name: 'A', value: '1' }] }));
  const decoded = decode('DesiredState', encode('DesiredState', { generation: 3, pods: [desired] }));
  t.same(decoded.pods[0], desired);
});

// ---- Values from Secrets

function secrets(namespace: string, byName: Record<string, Record<string, string>>): SecretLookup {
  return (ns, name) => {
    const values = byName[name];
    if (ns !== namespace || values === undefined) return undefined;
    const data = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
    const secret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data };
    return secret;
  };
}

t.test("resolves a secretKeyRef into the variable's value, decoded from base64, from the pod's own namespace", async (t) => {
  const p = pod({}, { env: [{ name: 'PLAIN', value: 'p' }, { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] });
  const resolution = resolveDesiredPod(p, secrets('plant-3', { db: { password: 'ünïcode s3cr3t' } }));
  t.same(resolution.desired?.containers[0]?.env, [
    { name: 'PLAIN', value: 'p' },
    { name: 'PASSWORD', value: 'ünïcode s3cr3t' },
  ]);
  t.same(resolveDesiredPod(p, secrets('default', { db: { password: 'x' } })).missing, [
    { container: 'app', variable: 'PASSWORD', secret: 'db', key: 'password', missing: 'secret' },
  ], 'a Secret of the same name in another namespace is not the one');
});

t.test('lists every missing Secret and key, naming neither values nor anything but names', async (t) => {
  const p = pod({}, {
    env: [
      { name: 'A', valueFrom: { secretKeyRef: { name: 'db', key: 'constructor' } } },
      { name: 'B', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } },
      { name: 'C', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
    ],
  });
  const resolution = resolveDesiredPod(p, secrets('plant-3', { db: { password: 'hidden-value' } }));
  t.equal(resolution.desired, undefined);
  t.same(resolution.missing?.map((m) => `${m.variable}:${m.secret}/${m.key}:${m.missing}`), ['A:db/constructor:key', 'B:gone/k:secret']);
  t.throws(() => desiredPod(p, secrets('plant-3', { db: { password: 'hidden-value' } })), {
    code: 'NotFound',
    message: 'pod plant-3/camera-feed: key "constructor" not found in Secret db (env A of container app); Secret gone not found (env B of container app)',
  });
});

t.test('names each Secret a pod references once', async (t) => {
  const ref = (name: string) => ({ name: `V_${name}`, valueFrom: { secretKeyRef: { name, key: 'k' } } });
  const p = pod({}, { env: [ref('a'), ref('b'), ref('a')] });
  p.spec.containers.push({ name: 'sidecar', image: TEST_IMAGE, env: [ref('c'), { name: 'X', value: '1' }] });
  t.same(secretsReferencedBy(p), ['a', 'b', 'c']);
  t.same(secretsReferencedBy(pod()), []);
});
