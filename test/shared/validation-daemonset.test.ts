import t from 'tap';
import type { Test } from 'tap';
import type { FieldError } from '../../shared/errors.js';
import type { DaemonSet } from '../../shared/objects.js';
import { validateManifest, validateObjectName } from '../../shared/validation.js';
import { invalidError } from '../helpers/errors.js';

// Manifests as parsed YAML gives them: plain data, typed loosely on purpose.
type Manifest = Record<string, unknown>;

function daemonSet(spec: Manifest = {}, metadata: Manifest = {}): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'log-shipper', ...metadata },
    spec: {
      template: {
        metadata: { labels: { app: 'log-shipper' } },
        spec: { nodeSelector: { role: 'camera' }, containers: [{ name: 'ship', image: 'registry.local/ship:2.1' }] },
      },
      ...spec,
    },
  };
}

function problems(input: unknown): FieldError[] {
  return invalidError(() => validateManifest(input)).details;
}

function problemAt(t: Test, input: unknown, field: string): string {
  const found = problems(input).filter((problem) => problem.field === field);
  t.equal(found.length, 1, `one problem at ${field}, among ${JSON.stringify(problems(input))}`);
  return found[0]?.message ?? '';
}

t.test("a minimal DaemonSet selects its template's labels and gets Kubernetes' DaemonSet update defaults", async (t) => {
  const ds = validateManifest(daemonSet()) as DaemonSet;
  t.match(ds, {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'log-shipper', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'log-shipper' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      template: { spec: { restartPolicy: 'Always', nodeSelector: { role: 'camera' } } },
    },
  });
});

t.test('a template without labels gets app=<name> on both template and selector', async (t) => {
  const input = daemonSet();
  (input.spec as Manifest).template = { spec: { containers: [{ name: 'ship', image: 'registry.local/ship:2.1' }] } };
  const ds = validateManifest(input) as DaemonSet;
  t.same(ds.spec.selector, { matchLabels: { app: 'log-shipper' } });
  t.same(ds.spec.template.metadata?.labels, { app: 'log-shipper' });
});

t.test('keeps a staged rolling update with percentages, waves, a threshold and rollback, and the rollout fields', async (t) => {
  const ds = validateManifest(
    daemonSet({
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '10%', maxSurge: 1 },
        waves: [{ size: 1 }, { size: '10%', pause: { seconds: 60 } }, { size: '50%', pause: {} }, { size: '100%' }],
        failureThreshold: '5%',
        rollbackOnFailure: true,
      },
      minReadySeconds: 30,
      progressDeadlineSeconds: 300,
      revisionHistoryLimit: 3,
      paused: false,
    }),
  ) as DaemonSet;
  t.same(ds.spec.updateStrategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: '10%', maxSurge: 1 },
    waves: [{ size: 1 }, { size: '10%', pause: { seconds: 60 } }, { size: '50%', pause: {} }, { size: '100%' }],
    failureThreshold: '5%',
    rollbackOnFailure: true,
  });
  t.match(ds.spec, { minReadySeconds: 30, progressDeadlineSeconds: 300, revisionHistoryLimit: 3, paused: false });
});

t.test('OnDelete is a DaemonSet strategy; Recreate, a Deployment one, is not', async (t) => {
  const ds = validateManifest(daemonSet({ updateStrategy: { type: 'OnDelete' } })) as DaemonSet;
  t.same(ds.spec.updateStrategy, { type: 'OnDelete' });
  t.match(problemAt(t, daemonSet({ updateStrategy: { type: 'Recreate' } }), 'spec.updateStrategy.type'), /must be one of RollingUpdate, OnDelete/);
  t.match(problemAt(t, daemonSet({ updateStrategy: { type: 'OnDelete', waves: [{ size: '100%' }] } }), 'spec.updateStrategy.waves'), /only RollingUpdate/);
});

t.test('refuses invalid strategies with the field path: a wave above 100%, a negative threshold, both budgets 0', async (t) => {
  t.match(problemAt(t, daemonSet({ updateStrategy: { waves: [{ size: '150%' }] } }), 'spec.updateStrategy.waves[0].size'), /up to "100%"/);
  t.match(problemAt(t, daemonSet({ updateStrategy: { failureThreshold: -1 } }), 'spec.updateStrategy.failureThreshold'), /0 or more/);
  t.match(
    problemAt(t, daemonSet({ updateStrategy: { rollingUpdate: { maxUnavailable: 0 } } }), 'spec.updateStrategy.rollingUpdate'),
    /must not both be 0/,
    'maxUnavailable 0 with the default maxSurge 0 could never replace a pod',
  );
  t.match(problemAt(t, daemonSet({ updateStrategy: { waves: [{ size: 1 }, { size: 5 }] } }), 'spec.updateStrategy.waves[1].size'), /last wave must be "100%"/);
});

t.test('refuses unknown fields with their path, suggesting a near one, and Deployment fields a DaemonSet has not', async (t) => {
  t.match(problemAt(t, daemonSet({ updateStrategie: {} }), 'spec.updateStrategie'), /unknown field "updateStrategie"; did you mean updateStrategy\?/);
  t.match(problemAt(t, daemonSet({ replicas: 3 }), 'spec.replicas'), /unknown field "replicas"/);
  t.match(problemAt(t, daemonSet({ strategy: {} }), 'spec.strategy'), /unknown field "strategy"/);
  t.match(problemAt(t, daemonSet({ templateGeneration: 2 }), 'spec.templateGeneration'), /Flotilla does not support/);
  t.match(problemAt(t, daemonSet({ updateStrategy: { rollingUpdate: { maxSurg: 1 } } }), 'spec.updateStrategy.rollingUpdate.maxSurg'), /did you mean maxSurge\?/);
});

t.test("refuses a selector that does not match the template's labels, in a DaemonSet's words", async (t) => {
  const message = problemAt(t, daemonSet({ selector: { matchLabels: { app: 'other' } } }), 'spec.selector');
  t.match(message, /does not match the template's labels .*the DaemonSet would not recognise its own pods/);
});

t.test('refuses a restart policy other than Always, a nodeName, and a bad device selector in the template', async (t) => {
  const input = daemonSet();
  const template = (input.spec as Manifest).template as Manifest;
  template.spec = { ...(template.spec as Manifest), restartPolicy: 'OnFailure', nodeName: 'cam-1', deviceSelector: 'site in (a' };
  t.match(problemAt(t, input, 'spec.template.spec.restartPolicy'), /must be Always in a DaemonSet, got "OnFailure": a DaemonSet keeps its pods running/);
  t.match(problemAt(t, input, 'spec.template.spec.nodeName'), /must be absent in a DaemonSet/);
  t.match(problemAt(t, input, 'spec.template.spec.deviceSelector'), /is not a valid label selector/);
});

t.test('refuses a missing template and rollout fields out of range', async (t) => {
  t.match(problemAt(t, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x' }, spec: {} }, 'spec.template'), /is required/);
  t.match(problemAt(t, daemonSet({ minReadySeconds: -5 }), 'spec.minReadySeconds'), /0 or more/);
  t.match(problemAt(t, daemonSet({ paused: 'yes' }), 'spec.paused'), /true or false/);
});

t.test('refuses DaemonSet names longer than 47 characters, as its pods add a suffix, and a wrong apiVersion', async (t) => {
  t.match(validateObjectName('DaemonSet', 'a'.repeat(48)), /at most 47 characters/);
  t.equal(validateObjectName('DaemonSet', 'a'.repeat(47)), undefined);
  t.match(problemAt(t, { ...daemonSet(), apiVersion: 'extensions/v1beta1' }, 'apiVersion'), /must be "apps\/v1" for kind DaemonSet/);
});
