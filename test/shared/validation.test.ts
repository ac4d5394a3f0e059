import t from 'tap';
import type { Test } from 'tap';
import type { FieldError, FlotillaError } from '../../shared/errors.js';
import type { Deployment, Device, Pod, Secret } from '../../shared/objects.js';
import { SECRET_MAX_BYTES, defaultPullPolicy, validateManifest, validateObjectName } from '../../shared/validation.js';
import { invalidError } from '../helpers/errors.js';

// Manifests as parsed YAML gives them: plain data, typed loosely on purpose.
type Manifest = Record<string, unknown>;

function pod(spec: Manifest = {}, metadata: Manifest = {}): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'cam', ...metadata },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec },
  };
}

/** A pod with one container `app`, `nginx:1` and these fields. */
function podWith(container: Manifest): Manifest {
  return pod({ containers: [{ name: 'app', image: 'nginx:1', ...container }] });
}

function deployment(spec: Manifest = {}, metadata: Manifest = {}): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', ...metadata },
    spec: {
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      ...spec,
    },
  };
}

function device(spec?: unknown, metadata: Manifest = {}): Manifest {
  const manifest: Manifest = { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-7', ...metadata } };
  if (spec !== undefined) manifest.spec = spec;
  return manifest;
}

function refusal(input: unknown, index?: number): FlotillaError {
  return invalidError(() => validateManifest(input, index));
}

function problems(input: unknown): FieldError[] {
  return refusal(input).details;
}

function fields(input: unknown): string[] {
  return problems(input).map((problem) => problem.field);
}

/** The message of the one problem at `field`; fails the test when there is none. */
function problemAt(t: Test, input: unknown, field: string): string {
  const found = problems(input).filter((problem) => problem.field === field);
  t.equal(found.length, 1, `one problem at ${field}, among ${JSON.stringify(problems(input))}`);
  return found[0]?.message ?? '';
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// ---- defaults

t.test('a minimal Pod comes back with Kubernetes defaults filled in', async (t) => {
  const result = validateManifest(pod()) as Pod;
  t.same(result, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'cam', namespace: 'default' },
    spec: {
      containers: [{ name: 'app', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 10,
    },
  });
});

t.test('the input is never modified, and the result shares nothing with it', async (t) => {
  const input = deepFreeze(deployment({ replicas: 2 }, { labels: { tier: 'edge' } }));
  const result = validateManifest(input) as Deployment;
  t.not(result.metadata.labels, (input.metadata as Manifest).labels);
  result.metadata.labels!.tier = 'changed';
  t.equal(((input.metadata as Manifest).labels as Manifest).tier, 'edge');
});

t.test('the pull policy defaults to Always for latest or untagged images, else IfNotPresent', async (t) => {
  const cases: [string, string][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['registry.local/team/app@sha256:abcdef', 'IfNotPresent'],
    ['app:latest@sha256:abcdef', 'Always'],
  ];
  for (const [image, policy] of cases) {
    t.equal(defaultPullPolicy(image), policy, image);
    const result = validateManifest(pod({ containers: [{ name: 'app', image }] })) as Pod;
    t.equal(result.spec.containers[0]?.imagePullPolicy, policy, `${image} in a pod`);
  }
  const explicit = validateManifest(pod({ containers: [{ name: 'app', image: 'nginx', imagePullPolicy: 'Never' }] })) as Pod;
  t.equal(explicit.spec.containers[0]?.imagePullPolicy, 'Never');
});

t.test('ports default to TCP and keep their host port and name', async (t) => {
  const result = validateManifest(
    podWith({
      ports: [
        { containerPort: 80, hostPort: 8080, name: 'http' },
        { containerPort: 53, protocol: 'UDP' },
      ],
    }),
  ) as Pod;
  t.same(result.spec.containers[0]?.ports, [
    { containerPort: 80, protocol: 'TCP', hostPort: 8080, name: 'http' },
    { containerPort: 53, protocol: 'UDP' },
  ]);
});

t.test('a resource request defaults to its limit, as in Kubernetes', async (t) => {
  const result = validateManifest(
    podWith({ resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } } }),
  ) as Pod;
  t.same(result.spec.containers[0]?.resources, {
    limits: { cpu: '500m', memory: '128Mi' },
    requests: { cpu: '100m', memory: '128Mi' },
  });
});

t.test('numeric quantities are kept as strings', async (t) => {
  const result = validateManifest(podWith({ resources: { requests: { cpu: 0.5, memory: 1048576 } } })) as Pod;
  t.same(result.spec.containers[0]?.resources, { requests: { cpu: '0.5', memory: '1048576' } });
});

t.test('status is dropped and server-set metadata ignored, but resourceVersion is kept', async (t) => {
  const input = {
    ...pod(),
    metadata: { name: 'cam', uid: 'u-1', generation: 3, creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: '42' },
    status: { phase: 'Running' },
  };
  const result = validateManifest(input) as Pod;
  t.same(result.metadata, { name: 'cam', namespace: 'default', resourceVersion: '42' });
  t.notOk('status' in result);
});

t.test('fields set to null count as not set', async (t) => {
  const result = validateManifest(pod({ nodeSelector: null, restartPolicy: null }, { labels: null })) as Pod;
  t.equal(result.spec.restartPolicy, 'Always');
  t.notOk('nodeSelector' in result.spec);
  t.notOk('labels' in result.metadata);
});

t.test('a Deployment without a selector selects its template labels and gets the rollout defaults', async (t) => {
  const result = validateManifest(deployment()) as Deployment;
  t.same(result, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent' }],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 10,
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    },
  });
});

t.test('a Deployment whose template has no labels gets app=<name> on both template and selector', async (t) => {
  const result = validateManifest(
    deployment({ template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } }, { name: 'camera-feed' }),
  ) as Deployment;
  t.same(result.spec.selector, { matchLabels: { app: 'camera-feed' } });
  t.same(result.spec.template.metadata?.labels, { app: 'camera-feed' });
});

t.test('a Deployment keeps a selector that matches its template, and its own strategy', async (t) => {
  const result = validateManifest(
    deployment({
      replicas: 0,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
      strategy: { type: 'Recreate' },
    }),
  ) as Deployment;
  t.equal(result.spec.replicas, 0);
  t.same(result.spec.selector, { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] });
  t.same(result.spec.strategy, { type: 'Recreate' });
});

t.test('a partial rollingUpdate keeps the other default', async (t) => {
  const result = validateManifest(deployment({ strategy: { rollingUpdate: { maxUnavailable: 2 } } })) as Deployment;
  t.same(result.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 2 } });
});

t.test('a Device has no namespace and keeps its labels and cordon flag', async (t) => {
  const result = validateManifest(device({ unschedulable: true }, { labels: { role: 'camera' } })) as Device;
  t.same(result, {
    apiVersion: 'flotilla.io/v1',
    kind: 'Device',
    metadata: { name: 'cam-7', labels: { role: 'camera' } },
    spec: { unschedulable: true },
  });
  t.same((validateManifest(device()) as Device).spec, {});
});

// ---- kind and apiVersion

t.test('refuses an unknown kind, listing the supported kinds and suggesting a near one', async (t) => {
  t.match(
    problemAt(t, { ...deployment(), kind: 'Deploymnet' }, 'kind'),
    /unsupported kind "Deploymnet" \(did you mean Deployment\?\); supported kinds: Pod, Deployment, DaemonSet, Device/,
  );
  const service = problemAt(t, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }, 'kind');
  t.match(service, /unsupported kind "Service"; supported kinds: Pod, Deployment, DaemonSet, Device/);
  t.notMatch(service, /did you mean/);
});

t.test('refuses kinds only the hub writes', async (t) => {
  const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' } };
  t.match(problemAt(t, event, 'kind'), /Event objects are written by the hub and cannot be applied/);
});

t.test('refuses a missing kind', async (t) => {
  t.match(problemAt(t, { apiVersion: 'v1', metadata: { name: 'x' } }, 'kind'), /is required; supported kinds/);
});

t.test('refuses a wrong or missing apiVersion, naming the right one', async (t) => {
  t.match(problemAt(t, { ...deployment(), apiVersion: 'v1' }, 'apiVersion'), /must be "apps\/v1" for kind Deployment, got the string "v1"/);
  t.match(problemAt(t, { ...device(), apiVersion: 'v1' }, 'apiVersion'), /must be "flotilla.io\/v1" for kind Device/);
  const { apiVersion: _omitted, ...noVersion } = pod();
  t.match(problemAt(t, noVersion, 'apiVersion'), /is required: "v1" for kind Pod/);
});

t.test('refuses a document that is not an object, without a field', async (t) => {
  for (const input of [null, 'kind: Pod', [pod()], 42, undefined]) {
    const error = refusal(input);
    t.equal(error.details.length, 1);
    t.equal(error.details[0]?.field, '');
    t.match(error.message, /is invalid: must be an object with apiVersion, kind, metadata and spec, got /);
  }
});

// ---- the error as a whole

t.test('lists every problem in one error, not just the first', async (t) => {
  const error = refusal({
    ...deployment({ replicas: 'three' }, { labels: { 'bad key': 'x' } }),
    apiVersion: 'v2',
  });
  t.same(error.details.map((detail) => detail.field).sort(), ['apiVersion', 'metadata.labels["bad key"]', 'spec.replicas']);
  t.match(error.message, /^Deployment "web" is invalid: /);
  t.match(error.message, /spec\.replicas: must be an integer \(0 or more\), got the string "three"/);
});

t.test('names the document by its place in the file when given an index', async (t) => {
  t.match(
    refusal(deployment({ replicas: -1 }), 1).message,
    /^document 2 \(Deployment web\) is invalid: spec\.replicas: must be 0 or more, got -1/,
  );
  t.match(refusal({ kind: 'Pod', spec: {} }, 0).message, /^document 1 \(Pod, no name\) is invalid: /);
  t.match(refusal('text', 4).message, /^document 5 \(no kind, no name\) is invalid: /);
});

// ---- strict fields

t.test('refuses an unknown field with its path, suggesting the field it resembles', async (t) => {
  const input = pod({ containers: [{ name: 'app', imagee: 'nginx:1' }] });
  t.match(problemAt(t, input, 'spec.containers[0].imagee'), /unknown field "imagee"; did you mean image\?/);
  t.match(problemAt(t, input, 'spec.containers[0].image'), /is required/);
  t.match(problemAt(t, pod({}, { lables: { a: 'b' } }), 'metadata.lables'), /did you mean labels\?/);
  t.match(problemAt(t, deployment({ replica: 3 }), 'spec.replica'), /did you mean replicas\?/);
  t.match(problemAt(t, pod({ NodeSelector: {} }), 'spec.NodeSelector'), /did you mean nodeSelector\?/);
});

t.test('an unknown field with no near match lists the fields that are known there', async (t) => {
  t.match(problemAt(t, device({ colour: 'red' }), 'spec.colour'), /unknown field "colour"; known fields here: unschedulable/);
  t.match(problemAt(t, { ...pod(), extra: true }, 'extra'), /known fields here: apiVersion, kind, metadata, spec, status/);
});

t.test('refuses Kubernetes fields Flotilla has no equivalent for, saying so', async (t) => {
  t.match(problemAt(t, pod({ volumes: [] }), 'spec.volumes'), /a Kubernetes field that Flotilla does not support/);
  t.match(
    problemAt(t, pod({ containers: [{ name: 'a', image: 'b:1', livenessProbe: {} }] }), 'spec.containers[0].livenessProbe'),
    /does not support/,
  );
  t.match(problemAt(t, pod({}, { ownerReferences: [] }), 'metadata.ownerReferences'), /unknown field/);
});

// ---- wrong types

t.test('wrong types anywhere give a message saying what was expected and what came', async (t) => {
  t.match(problemAt(t, { ...pod(), metadata: ['cam'] }, 'metadata'), /must be an object \(a mapping of fields\), got a list/);
  t.match(problemAt(t, pod({ containers: { name: 'app' } }), 'spec.containers'), /must be a list, got an object/);
  t.match(problemAt(t, pod({ containers: [null] }), 'spec.containers[0]'), /must be an object .*, got null/);
  t.match(problemAt(t, pod({ containers: ['nginx'] }), 'spec.containers[0]'), /got the string "nginx"/);
  t.match(
    problemAt(t, pod({ terminationGracePeriodSeconds: 1.5 }), 'spec.terminationGracePeriodSeconds'),
    /must be an integer \(0 or more\), got the number 1.5/,
  );
  t.match(problemAt(t, pod({ nodeName: 7 }), 'spec.nodeName'), /must be a string, got the number 7/);
  t.match(problemAt(t, device({ unschedulable: 'yes' }), 'spec.unschedulable'), /must be true or false, got the string "yes"/);
  t.match(problemAt(t, { ...device(), spec: 'cordoned' }, 'spec'), /must be an object/);
  t.match(
    problemAt(t, pod({ containers: [{ name: 'app', image: 'a:1', command: 'sleep 1' }] }), 'spec.containers[0].command'),
    /must be a list, got the string "sleep 1"/,
  );
  t.match(
    problemAt(t, pod({ containers: [{ name: 'app', image: 'a:1', args: ['-c', 3] }] }), 'spec.containers[0].args[1]'),
    /must be a string, got the number 3; quote it in YAML: "3"/,
  );
});

t.test('a spec of the wrong type is one problem, not a cascade of missing fields', async (t) => {
  t.same(fields({ ...deployment(), spec: [] }), ['spec']);
  t.same(fields({ ...pod(), spec: 'nginx' }), ['spec']);
});

t.test('a required object set to null is reported as missing', async (t) => {
  t.match(problemAt(t, { ...pod(), spec: null }, 'spec'), /is required/);
  t.match(problemAt(t, { ...pod(), metadata: null }, 'metadata'), /is required/);
});

// ---- metadata

t.test('refuses a missing name, and names that are not DNS labels', async (t) => {
  t.match(problemAt(t, { ...pod(), metadata: {} }, 'metadata.name'), /is required/);
  t.match(problemAt(t, pod({}, { name: 'Camera_1' }), 'metadata.name'), /lower-case letters, digits and "-"/);
  t.match(problemAt(t, pod({}, { name: 'a'.repeat(64) }), 'metadata.name'), /at most 63 characters/);
  t.match(problemAt(t, device(undefined, { name: 'cam.7' }), 'metadata.name'), /lower-case letters/);
});

t.test('refuses Deployment names longer than 47 characters, as its pods add a suffix', async (t) => {
  t.doesNotThrow(() => validateManifest(deployment({}, { name: 'a'.repeat(47) })));
  t.match(problemAt(t, deployment({}, { name: 'a'.repeat(48) }), 'metadata.name'), /at most 47 characters \(it has 48\)/);
});

t.test('namespaces default to "default", must be DNS labels, and are refused on Devices', async (t) => {
  t.equal((validateManifest(pod({}, { namespace: 'plant-3' })) as Pod).metadata.namespace, 'plant-3');
  t.match(problemAt(t, pod({}, { namespace: 'Plant 3' }), 'metadata.namespace'), /lower-case/);
  t.match(
    problemAt(t, device(undefined, { namespace: 'default' }), 'metadata.namespace'),
    /must be absent: a Device does not belong to a namespace/,
  );
});

t.test('label errors name the label by its key in the path', async (t) => {
  const input = pod({}, { labels: { 'bad key': 'x', role: 'a b', version: 2, ok: 'yes' } });
  t.same(fields(input), ['metadata.labels["bad key"]', 'metadata.labels["role"]', 'metadata.labels["version"]']);
  t.match(problemAt(t, input, 'metadata.labels["version"]'), /must be a string, got the number 2; quote it in YAML: "2"/);
  t.match(problemAt(t, input, 'metadata.labels["role"]'), /label value "a b"/);
});

t.test('annotations take any string value but need valid keys', async (t) => {
  const result = validateManifest(pod({}, { annotations: { 'example.com/note': 'any text: even this!' } })) as Pod;
  t.same(result.metadata.annotations, { 'example.com/note': 'any text: even this!' });
  t.match(problemAt(t, pod({}, { annotations: { 'a b': 'x' } }), 'metadata.annotations["a b"]'), /label key "a b"/);
  t.match(problemAt(t, pod({}, { annotations: { big: 'x'.repeat(256 * 1024) } }), 'metadata.annotations'), /at most 262144 bytes/);
});

// ---- PodSpec

t.test('refuses a pod without containers, or with an empty list', async (t) => {
  t.match(problemAt(t, { ...pod(), spec: {} }, 'spec.containers'), /is required/);
  t.match(problemAt(t, pod({ containers: [] }), 'spec.containers'), /at least one container/);
});

t.test('refuses duplicate container names, pointing at the second', async (t) => {
  const input = pod({ containers: [{ name: 'app', image: 'a:1' }, { name: 'app', image: 'b:1' }] });
  t.match(problemAt(t, input, 'spec.containers[1].name'), /"app" is already the name of spec.containers\[0\]/);
});

t.test('refuses container names that are not DNS labels', async (t) => {
  t.match(problemAt(t, pod({ containers: [{ name: 'App', image: 'a:1' }] }), 'spec.containers[0].name'), /lower-case/);
  t.match(problemAt(t, pod({ containers: [{ image: 'a:1' }] }), 'spec.containers[0].name'), /is required/);
});

t.test('refuses empty images and images with whitespace', async (t) => {
  t.match(problemAt(t, pod({ containers: [{ name: 'a', image: '' }] }), 'spec.containers[0].image'), /must not be empty/);
  t.match(problemAt(t, podWith({ image: 'nginx 1.27' }), 'spec.containers[0].image'), /must not contain whitespace/);
});

t.test('refuses env variables without a proper name or with a non-string value', async (t) => {
  const input = pod({
    containers: [
      {
        name: 'a',
        image: 'a:1',
        env: [{ name: '1ST', value: 'x' }, { value: 'y' }, { name: 'PORT', value: 8080 }, { name: 'OK', value: '1' }],
      },
    ],
  });
  t.same(fields(input), ['spec.containers[0].env[0].name', 'spec.containers[0].env[1].name', 'spec.containers[0].env[2].value']);
  t.match(problemAt(t, input, 'spec.containers[0].env[2].value'), /quote it in YAML: "8080"/);
  const good = validateManifest(podWith({ env: [{ name: 'MY_VAR.x-1', value: '' }, { name: '_A' }] })) as Pod;
  t.same(good.spec.containers[0]?.env, [{ name: 'MY_VAR.x-1', value: '' }, { name: '_A' }]);
});

t.test('refuses ports out of range, unknown protocols and bad port names', async (t) => {
  const input = pod({
    containers: [
      {
        name: 'a',
        image: 'a:1',
        ports: [
          { containerPort: 0 },
          { containerPort: 70000 },
          { containerPort: 80, hostPort: 65536 },
          { containerPort: 80, protocol: 'tcp' },
          { containerPort: 80, name: 'HTTP' },
          {},
        ],
      },
    ],
  });
  t.same(fields(input), [
    'spec.containers[0].ports[0].containerPort',
    'spec.containers[0].ports[1].containerPort',
    'spec.containers[0].ports[2].hostPort',
    'spec.containers[0].ports[3].protocol',
    'spec.containers[0].ports[4].name',
    'spec.containers[0].ports[5].containerPort',
  ]);
  t.match(problemAt(t, input, 'spec.containers[0].ports[1].containerPort'), /must be from 1 to 65535, got 70000/);
  t.match(
    problemAt(t, input, 'spec.containers[0].ports[3].protocol'),
    /must be one of TCP, UDP, got the string "tcp" \(did you mean TCP\?\)/,
  );
});

t.test('refuses a host port used twice for one protocol in a pod, but allows TCP and UDP to share it', async (t) => {
  const input = pod({
    containers: [
      { name: 'a', image: 'a:1', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP' }] },
      { name: 'b', image: 'b:1', ports: [{ containerPort: 81, hostPort: 8080 }, { containerPort: 53, hostPort: 53 }] },
    ],
  });
  t.same(fields(input), ['spec.containers[1].ports[0].hostPort']);
  t.match(
    problemAt(t, input, 'spec.containers[1].ports[0].hostPort'),
    /host port 8080\/TCP is already used by spec.containers\[0\].ports\[0\]/,
  );
});

t.test('host port clashes point at the right entries even after an invalid port entry', async (t) => {
  const input = pod({
    containers: [
      { name: 'a', image: 'a:1', ports: [null, { containerPort: 80, hostPort: 80 }] },
      { name: 'b', image: 'b:1', ports: [{ containerPort: 80, hostPort: 80 }] },
    ],
  });
  t.same(fields(input), ['spec.containers[0].ports[0]', 'spec.containers[1].ports[0].hostPort']);
  t.match(problemAt(t, input, 'spec.containers[1].ports[0].hostPort'), /already used by spec.containers\[0\].ports\[1\]/);
});

t.test('refuses invalid quantities and requests above their limits, at the exact resource', async (t) => {
  const input = pod({
    containers: [
      {
        name: 'a',
        image: 'a:1',
        resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '1500m', memory: '64Mi' } },
      },
      { name: 'b', image: 'b:1', resources: { limits: { cpu: 'fast', memory: '500m' }, requests: { memory: [] } } },
      { name: 'c', image: 'c:1', resources: { limits: { 'nvidia.com/gpu': 1 } } },
    ],
  });
  t.same(fields(input), [
    'spec.containers[0].resources.requests.cpu',
    'spec.containers[1].resources.limits.cpu',
    'spec.containers[1].resources.limits.memory',
    'spec.containers[1].resources.requests.memory',
    'spec.containers[2].resources.limits.nvidia.com/gpu',
  ]);
  t.match(problemAt(t, input, 'spec.containers[0].resources.requests.cpu'), /1500m must not be more than the limit, 1/);
  t.match(problemAt(t, input, 'spec.containers[1].resources.limits.cpu'), /"fast" is not a valid CPU quantity: write cores/);
  t.match(problemAt(t, input, 'spec.containers[1].resources.limits.memory'), /fraction of a byte/);
  t.match(problemAt(t, input, 'spec.containers[2].resources.limits.nvidia.com/gpu'), /known fields here: cpu, memory/);
});

t.test('refuses restart and pull policies outside the allowed values, suggesting the right case', async (t) => {
  t.match(
    problemAt(t, pod({ restartPolicy: 'always' }), 'spec.restartPolicy'),
    /must be one of Always, OnFailure, Never, got the string "always" \(did you mean Always\?\)/,
  );
  t.match(
    problemAt(t, pod({ containers: [{ name: 'a', image: 'a:1', imagePullPolicy: 'Sometimes' }] }), 'spec.containers[0].imagePullPolicy'),
    /must be one of Always, IfNotPresent, Never/,
  );
  t.equal((validateManifest(pod({ restartPolicy: 'OnFailure' })) as Pod).spec.restartPolicy, 'OnFailure');
});

t.test('refuses a deviceSelector that does not parse, saying what is wrong in it', async (t) => {
  const message = problemAt(t, pod({ deviceSelector: 'role=camera,site in (a' }), 'spec.deviceSelector');
  t.match(message, /is not a valid label selector: at the end: "\(" at character 21 is never closed/);
  t.equal((validateManifest(pod({ deviceSelector: 'role=camera, !retired' })) as Pod).spec.deviceSelector, 'role=camera, !retired');
});

t.test('refuses nodeSelector entries that are not labels, and a nodeName that is not a device name', async (t) => {
  t.match(problemAt(t, pod({ nodeSelector: { role: 'camera', 'bad key': 'x' } }), 'spec.nodeSelector["bad key"]'), /label key "bad key"/);
  t.match(problemAt(t, pod({ nodeName: 'Cam_7' }), 'spec.nodeName'), /must be a device name/);
  const result = validateManifest(pod({ nodeSelector: { role: 'camera' }, nodeName: 'cam-7', terminationGracePeriodSeconds: 0 })) as Pod;
  t.same(result.spec.nodeSelector, { role: 'camera' });
  t.equal(result.spec.nodeName, 'cam-7');
  t.equal(result.spec.terminationGracePeriodSeconds, 0);
});

t.test('refuses a negative grace period', async (t) => {
  t.match(problemAt(t, pod({ terminationGracePeriodSeconds: -1 }), 'spec.terminationGracePeriodSeconds'), /must be 0 or more, got -1/);
});

// ---- tolerations

t.test('tolerations in the Kubernetes shape are kept as written, on a pod and in a Deployment template', async (t) => {
  const tolerations = [
    { key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3600 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'dedicated', operator: 'Equal', value: 'cameras', effect: 'NoSchedule' },
    { key: 'dedicated', value: 'cameras' },
    { operator: 'Exists' },
  ];
  const result = validateManifest(pod({ tolerations })) as Pod;
  t.same(result.spec.tolerations, tolerations, 'no default is written in');
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], tolerations } };
  const inDeployment = validateManifest(deployment({ template })) as Deployment;
  t.same(inDeployment.spec.template.spec.tolerations, tolerations);
  t.notOk('tolerations' in (validateManifest(pod()) as Pod).spec, 'a pod without tolerations gets none');
});

t.test('an empty effect or key means "any", as in Kubernetes, and is not stored', async (t) => {
  const result = validateManifest(pod({ tolerations: [{ key: '', operator: 'Exists', effect: '', value: '' }] })) as Pod;
  t.same(result.spec.tolerations, [{ operator: 'Exists' }]);
});

t.test('refuses tolerations Kubernetes refuses, each at its field path with the reason', async (t) => {
  const at = (toleration: Manifest, field: string): string => problemAt(t, pod({ tolerations: [{ key: 'a', ...toleration }] }), `spec.tolerations[0].${field}`);
  t.match(at({ operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 60 }, 'tolerationSeconds'), /needs effect NoExecute/);
  t.match(at({ operator: 'Exists', tolerationSeconds: 60 }, 'tolerationSeconds'), /needs effect NoExecute/, 'an absent effect is not NoExecute alone');
  t.match(at({ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: -5 }, 'tolerationSeconds'), /must be 0 or more, got -5/);
  t.match(at({ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1.5 }, 'tolerationSeconds'), /must be an integer/);
  t.match(at({ operator: 'Exists', value: 'x' }, 'value'), /must be empty when operator is Exists/);
  t.match(at({ operator: 'exists' }, 'operator'), /must be one of Exists, Equal, got the string "exists" \(did you mean Exists\?\)/);
  t.match(at({ operator: 'Exists', effect: 'NoExecut' }, 'effect'), /must be one of NoSchedule, NoExecute.*did you mean NoExecute\?/);
  t.match(at({ operator: 'Exists', effect: 'PreferNoSchedule' }, 'effect'), /must be one of NoSchedule, NoExecute/);
  t.match(at({ value: 'not valid!' }, 'value'), /not valid!/);
  t.match(at({ operator: 'Exists', tolerationSecond: 5 }, 'tolerationSecond'), /did you mean tolerationSeconds\?/);
  t.match(problemAt(t, pod({ tolerations: [{ key: 'bad key', operator: 'Exists' }] }), 'spec.tolerations[0].key'), /label key "bad key"/);
  t.match(
    problemAt(t, pod({ tolerations: [{ effect: 'NoExecute' }] }), 'spec.tolerations[0].operator'),
    /must be Exists when key is empty/,
    'no key and the default operator Equal would match nothing sensible',
  );
  t.match(problemAt(t, pod({ tolerations: { key: 'a' } }), 'spec.tolerations'), /must be a list/);
  t.match(problemAt(t, pod({ tolerations: ['a'] }), 'spec.tolerations[0]'), /must be an object/);
});

t.test('reports toleration problems of a Deployment under spec.template.spec', async (t) => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], tolerations: [{ key: 'a', operator: 'Exists', tolerationSeconds: 10 }] },
  };
  t.same(fields(deployment({ template })), ['spec.template.spec.tolerations[0].tolerationSeconds']);
});

// ---- Deployment

t.test('reports pod spec problems of a Deployment under spec.template.spec', async (t) => {
  const input = deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: '' }] } } });
  t.same(fields(input), ['spec.template.spec.containers[0].image']);
});

t.test('refuses a Deployment without a template or whose template has no spec', async (t) => {
  t.match(problemAt(t, { ...deployment(), spec: { replicas: 1 } }, 'spec.template'), /is required/);
  t.match(problemAt(t, deployment({ template: { metadata: { labels: { app: 'web' } } } }), 'spec.template.spec'), /is required/);
  t.match(problemAt(t, { ...deployment(), spec: undefined }, 'spec'), /is required/);
});

t.test('refuses a restart policy other than Always in a Deployment', async (t) => {
  const input = deployment({
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { restartPolicy: 'OnFailure', containers: [{ name: 'web', image: 'nginx:1' }] },
    },
  });
  t.match(problemAt(t, input, 'spec.template.spec.restartPolicy'), /must be Always in a Deployment, got "OnFailure"/);
});

t.test("refuses a selector that does not match the template's labels", async (t) => {
  const message = problemAt(t, deployment({ selector: { matchLabels: { app: 'api' } } }), 'spec.selector');
  t.match(message, /"app=api" does not match the template's labels \{"app":"web"\}/);
  const noLabels = deployment({
    selector: { matchLabels: { app: 'web' } },
    template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } },
  });
  t.match(problemAt(t, noLabels, 'spec.selector'), /does not match the template's labels \{\}/);
});

t.test('refuses an empty selector', async (t) => {
  t.match(problemAt(t, deployment({ selector: {} }), 'spec.selector'), /must not be empty/);
});

t.test('refuses selector expressions with bad operators or values, at their path', async (t) => {
  const input = deployment({
    selector: {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: [] },
        { key: 'zone', operator: 'Exists', values: ['a'] },
        { key: 'gpu', operator: 'exists' },
        { operator: 'In', values: ['x'] },
        { key: 'site', operator: 'In', values: 'a' },
      ],
    },
  });
  t.same(fields(input).sort(), [
    'spec.selector.matchExpressions[2].operator',
    'spec.selector.matchExpressions[3].key',
    'spec.selector.matchExpressions[4].values',
  ]);
  const semantic = deployment({
    selector: {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: [] },
        { key: 'zone', operator: 'Exists', values: ['a'] },
      ],
    },
  });
  t.same(fields(semantic), ['spec.selector.matchExpressions[0].values', 'spec.selector.matchExpressions[1].values']);
});

t.test('refuses replicas that are not whole non-negative numbers', async (t) => {
  t.match(problemAt(t, deployment({ replicas: 'three' }), 'spec.replicas'), /must be an integer \(0 or more\), got the string "three"/);
  t.match(problemAt(t, deployment({ replicas: 1.5 }), 'spec.replicas'), /must be an integer/);
  t.match(problemAt(t, deployment({ replicas: [] }), 'spec.replicas'), /got a list/);
});

t.test('refuses rollout settings Flotilla cannot honour', async (t) => {
  t.match(problemAt(t, deployment({ strategy: { type: 'Canary' } }), 'spec.strategy.type'), /must be one of RollingUpdate, Recreate/);
  t.match(
    problemAt(t, deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }), 'spec.strategy.rollingUpdate'),
    /must be absent when the strategy type is Recreate/,
  );
  t.match(
    problemAt(t, deployment({ strategy: { rollingUpdate: { maxSurge: 'a quarter' } } }), 'spec.strategy.rollingUpdate.maxSurge'),
    /must be a number of pods \(0 or more\) or a percentage such as "25%"/,
  );
  t.match(
    problemAt(t, deployment({ strategy: { rollingUpdate: { maxUnavailable: -1 } } }), 'spec.strategy.rollingUpdate.maxUnavailable'),
    /must be a number of pods \(0 or more\)/,
  );
  t.match(
    problemAt(t, deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }), 'spec.strategy.rollingUpdate'),
    /must not both be 0/,
  );
});

t.test('template metadata allows labels and annotations, and the creationTimestamp kubectl writes', async (t) => {
  const input = deployment({
    template: {
      metadata: { labels: { app: 'web' }, annotations: { note: 'x' }, creationTimestamp: null },
      spec: { containers: [{ name: 'web', image: 'nginx:1' }] },
    },
  });
  const result = validateManifest(input) as Deployment;
  t.same(result.spec.template.metadata, { labels: { app: 'web' }, annotations: { note: 'x' } });
  const named = deployment({
    template: { metadata: { name: 'x', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
  });
  t.match(problemAt(t, named, 'spec.template.metadata.name'), /unknown field/);
});

// ---- object names in API paths

t.test('object names for API paths follow the rules of their kind', async (t) => {
  t.equal(validateObjectName('Pod', 'cam-1'), undefined);
  t.match(validateObjectName('Pod', 'Cam'), /lower-case/);
  t.equal(validateObjectName('Device', 'edge-box-01'), undefined);
  t.match(validateObjectName('Device', 'edge/box'), /lower-case/);
  t.equal(validateObjectName('Deployment', 'a'.repeat(47)), undefined);
  t.match(validateObjectName('Deployment', 'a'.repeat(48)), /at most 47 characters/);
  t.equal(validateObjectName('Event', 'cam-1.17a2b'), undefined);
  t.match(validateObjectName('Pod', ''), /must not be empty/);
});

// ---- Secrets and the env values taken from them

function secret(fields: Manifest = {}, metadata: Manifest = {}): Manifest {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', ...metadata }, ...fields };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

t.test('a Secret defaults its type to Opaque and folds stringData into data as base64, stringData winning', async (t) => {
  const result = validateManifest(secret({ data: { user: b64('app'), password: b64('old') }, stringData: { password: 'n3w' } })) as Secret;
  t.same(result, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'default' },
    type: 'Opaque',
    data: { user: b64('app'), password: b64('n3w') },
  });
  t.notOk('stringData' in result, 'stringData is not kept');
  t.equal((validateManifest(secret({ type: 'kubernetes.io/tls' })) as Secret).type, 'kubernetes.io/tls');
  t.same((validateManifest(secret()) as Secret).data, {}, 'a Secret may hold no keys yet');
});

t.test('refuses Secret keys that are not letters, digits, "-", "_" and "."', async (t) => {
  const input = secret({ data: { 'has space': b64('x'), 'ok.key_1-a': b64('y') }, stringData: { 'sl/ash': 'z', '..': 'w' } });
  t.same(fields(input).sort(), ['data["has space"]', 'stringData[".."]', 'stringData["sl/ash"]']);
  t.match(problemAt(t, input, 'data["has space"]'), /must be letters, digits, "-", "_" and "." only/);
  t.match(problemAt(t, secret({ data: { ['k'.repeat(254)]: b64('x') } }), `data["${'k'.repeat(254)}"]`), /at most 253 characters/);
});

t.test('refuses a data value that is not base64, naming the key and never the value', async (t) => {
  const error = refusal(secret({ data: { password: 'hunter2 not base64!', pin: 1234, list: ['a'] } }));
  t.same(error.details.map((d) => d.field), ['data["password"]', 'data["pin"]', 'data["list"]']);
  t.match(error.details[0]?.message, /must be base64 \(the value is not shown\); give plain text in stringData instead/);
  t.match(error.details[1]?.message, /must be a string, got a number; quote it in YAML/);
  const text = `${error.message} ${JSON.stringify(error.details)} ${error.hint ?? ''}`;
  t.notMatch(text, /hunter2/);
  t.notMatch(text, /1234/);
  t.match(problemAt(t, secret({ stringData: { pin: 1234 } }), 'stringData["pin"]'), /must be a string/);
  t.notMatch(JSON.stringify(problems(secret({ stringData: { pin: 1234 } }))), /1234/);
  t.same(fields(secret({ data: { bad: 'YWJj' + '=' } })), ['data["bad"]'], 'padding must be where base64 puts it');
});

t.test('refuses a Secret larger than the limit, saying how large it is and what to do', async (t) => {
  const big = 'x'.repeat(SECRET_MAX_BYTES);
  const message = problemAt(t, secret({ stringData: { a: big } }), 'data');
  t.match(message, new RegExp(`holds ${SECRET_MAX_BYTES + 1} bytes of keys and values .* at most ${SECRET_MAX_BYTES} bytes .*split it into several Secrets`));
  t.notMatch(message, /xxxx/);
  validateManifest(secret({ stringData: { a: 'x'.repeat(SECRET_MAX_BYTES - 1) } }));
});

t.test('refuses unknown top-level fields of a Secret, and spec, which Secrets do not have', async (t) => {
  t.match(problemAt(t, secret({ strinData: { a: 'b' } }), 'strinData'), /did you mean stringData\?/);
  t.match(problemAt(t, secret({ spec: {} }), 'spec'), /unknown field "spec"/);
  t.match(problemAt(t, secret({ immutable: true }), 'immutable'), /Flotilla does not support/);
  t.match(problemAt(t, secret({ type: 'has space' }), 'type'), /without whitespace/);
});

t.test('a Secret may be named like a host, as in Kubernetes', async (t) => {
  t.equal(validateObjectName('Secret', 'registry.example.com'), undefined);
  t.equal((validateManifest(secret({}, { name: 'registry.example.com' })) as Secret).metadata.name, 'registry.example.com');
  t.same(fields(secret({}, { name: 'Bad_Name' })), ['metadata.name']);
});

t.test('an env variable takes its value from a Secret key, optionally', async (t) => {
  const result = validateManifest(
    podWith({
      env: [
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api.example.com', key: 'token.v1', optional: true } } },
      ],
    }),
  ) as Pod;
  t.same(result.spec.containers[0]?.env, [
    { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api.example.com', key: 'token.v1', optional: true } } },
  ]);
});

t.test('refuses an env variable with both value and valueFrom', async (t) => {
  const input = podWith({ env: [{ name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 'db', key: 'k' } } }] });
  t.match(problemAt(t, input, 'spec.containers[0].env[0]'), /either value or valueFrom, not both/);
});

t.test('refuses a secretKeyRef without a proper name and key, naming each field', async (t) => {
  const env = (ref: unknown) => podWith({ env: [{ name: 'A', valueFrom: { secretKeyRef: ref } }] });
  const path = 'spec.containers[0].env[0].valueFrom.secretKeyRef';
  t.same(fields(env({})), [`${path}.name`, `${path}.key`]);
  t.match(problemAt(t, env({ key: 'k' }), `${path}.name`), /is required, the Secret's name/);
  t.match(problemAt(t, env({ name: 'Not_A_Name', key: 'k' }), `${path}.name`), /must be a Secret's name/);
  t.match(problemAt(t, env({ name: 'db', key: 'bad key' }), `${path}.key`), /must be letters, digits/);
  t.match(problemAt(t, env({ name: 'db', key: 'k', optional: 'yes' }), `${path}.optional`), /must be true or false/);
  t.match(problemAt(t, env({ name: 'db', key: 'k', nmae: 'x' }), `${path}.nmae`), /unknown field/);
  t.match(problemAt(t, podWith({ env: [{ name: 'A', valueFrom: {} }] }), 'spec.containers[0].env[0].valueFrom.secretKeyRef'), /is required/);
  t.match(
    problemAt(t, podWith({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' }, secretKeyRef: { name: 'db', key: 'k' } } }] }), 'spec.containers[0].env[0].valueFrom.configMapKeyRef'),
    /Flotilla does not support/,
  );
});

t.test('a Deployment template takes env values from Secrets too', async (t) => {
  const ref = { name: 'A', valueFrom: { secretKeyRef: { name: 'db', key: 'k' } } };
  const result = validateManifest(
    deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', env: [ref] }] } } }),
  ) as Deployment;
  t.same(result.spec.template.spec.containers[0]?.env, [ref]);
});

t.test('a Device keeps the taints people set on it, in the Kubernetes shape', async (t) => {
  const result = validateManifest(device({ taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'maintenance', effect: 'NoExecute' }] })) as Device;
  t.same(result.spec?.taints, [
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    { key: 'maintenance', effect: 'NoExecute' },
  ]);
});

t.test("a Device's taints are refused with the field path when they are not taints", async (t) => {
  t.match(problemAt(t, device({ taints: [{ key: 'dedicated', effect: 'PreferNoSchedule' }] }), 'spec.taints[0].effect'), /must be one of NoSchedule, NoExecute/);
  t.match(problemAt(t, device({ taints: [{ value: 'gpu', effect: 'NoSchedule' }] }), 'spec.taints[0].key'), /is required/);
  t.match(problemAt(t, device({ taints: [{ key: 'bad key', effect: 'NoSchedule' }] }), 'spec.taints[0].key'), /name may contain only/);
  t.match(problemAt(t, device({ taints: [{ key: 'a', value: 'not ok!', effect: 'NoSchedule' }] }), 'spec.taints[0].value'), /may contain only/);
  t.match(problemAt(t, device({ taints: [{ key: 'a', effect: 'NoSchedule', operator: 'Equal' }] }), 'spec.taints[0].operator'), /.+/);
  t.match(problemAt(t, device({ taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', value: 'b', effect: 'NoSchedule' }] }), 'spec.taints[1]'), /repeats the taint a:NoSchedule/);
  t.match(problemAt(t, device({ taints: [{ key: 'flotilla.io/unreachable', effect: 'NoExecute' }] }), 'spec.taints[0].key'), /set by the hub/);
  t.match(problemAt(t, device({ taints: { key: 'a' } }), 'spec.taints'), /must be a list/);
});
