import t from 'tap';
import type { Test } from 'tap';
import type { FieldError } from '../../shared/errors.js';
import type { Deployment } from '../../shared/objects.js';
import { validateManifest } from '../../shared/validation.js';
import { invalidError } from '../helpers/errors.js';

type Manifest = Record<string, unknown>;

function deployment(spec: Manifest = {}): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 10,
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      ...spec,
    },
  };
}

function staged(strategy: Manifest, spec: Manifest = {}): Manifest {
  return deployment({ strategy, ...spec });
}

function problems(input: unknown): FieldError[] {
  return invalidError(() => validateManifest(input)).details;
}

function problemAt(t: Test, input: unknown, field: string): string {
  const found = problems(input).filter((problem) => problem.field === field);
  t.equal(found.length, 1, `one problem at ${field}, among ${JSON.stringify(problems(input))}`);
  return found[0]?.message ?? '';
}

function accepted(input: unknown): Deployment {
  return validateManifest(input) as Deployment;
}

t.test('accepts percent maxSurge and maxUnavailable as Kubernetes writes them', async (t) => {
  const result = accepted(staged({ rollingUpdate: { maxSurge: '50%', maxUnavailable: '0%' } }));
  t.same(result.spec.strategy?.rollingUpdate, { maxSurge: '50%', maxUnavailable: '0%' });
});

t.test('refuses maxSurge and maxUnavailable that are both zero, in either form', async (t) => {
  t.match(problemAt(t, staged({ rollingUpdate: { maxSurge: '0%', maxUnavailable: 0 } }), 'spec.strategy.rollingUpdate'), /must not both be 0/);
  t.match(problemAt(t, staged({ rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }), 'spec.strategy.rollingUpdate'), /must not both be 0/);
  t.same(accepted(staged({ rollingUpdate: { maxSurge: 0 } })).spec.strategy?.rollingUpdate, { maxSurge: 0, maxUnavailable: '25%' });
});

t.test('refuses a maxUnavailable above 100% and a share that is not a percentage', async (t) => {
  t.match(problemAt(t, staged({ rollingUpdate: { maxUnavailable: '120%' } }), 'spec.strategy.rollingUpdate.maxUnavailable'), /from "0%" to "100%", got the string "120%"/);
  t.match(problemAt(t, staged({ rollingUpdate: { maxSurge: '25' } }), 'spec.strategy.rollingUpdate.maxSurge'), /or a percentage such as "25%"/);
});

t.test('keeps staged waves, the failure threshold and the rollout pacing fields as given', async (t) => {
  const result = accepted(
    staged(
      {
        waves: [{ size: 1, pause: { seconds: 60 } }, { size: '10%', pause: {} }, { size: '50%' }, { size: '100%' }],
        failureThreshold: '5%',
        rollbackOnFailure: true,
      },
      { minReadySeconds: 30, progressDeadlineSeconds: 300, paused: false, revisionHistoryLimit: 3 },
    ),
  );
  t.same(result.spec.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    waves: [{ size: 1, pause: { seconds: 60 } }, { size: '10%', pause: {} }, { size: '50%' }, { size: '100%' }],
    failureThreshold: '5%',
    rollbackOnFailure: true,
  });
  t.match(result.spec, { minReadySeconds: 30, progressDeadlineSeconds: 300, paused: false, revisionHistoryLimit: 3 });
});

t.test('refuses a wave above 100%, naming its size', async (t) => {
  const message = problemAt(t, staged({ waves: [{ size: 1 }, { size: '10%' }, { size: '150%' }] }), 'spec.strategy.waves[2].size');
  t.match(message, /above "0%" up to "100%", got the string "150%"/);
});

t.test('refuses a wave of nothing: a zero count or 0%', async (t) => {
  t.match(problemAt(t, staged({ waves: [{ size: 0 }, { size: '100%' }] }), 'spec.strategy.waves[0].size'), /1 or more/);
  t.match(problemAt(t, staged({ waves: [{ size: '0%' }, { size: '100%' }] }), 'spec.strategy.waves[0].size'), /above "0%"/);
});

t.test('refuses a last wave that does not cover every pod, but takes a count of at least replicas', async (t) => {
  t.match(problemAt(t, staged({ waves: [{ size: 1 }, { size: '50%' }] }), 'spec.strategy.waves[1].size'), /the last wave must be "100%" \(or a count of at least spec.replicas, 10\)/);
  t.match(problemAt(t, staged({ waves: [{ size: 1 }, { size: 9 }] }), 'spec.strategy.waves[1].size'), /got 9/);
  t.same(accepted(staged({ waves: [{ size: 1 }, { size: 10 }] })).spec.strategy?.waves, [{ size: 1 }, { size: 10 }]);
});

t.test('refuses waves that shrink, comparing counts with shares through replicas', async (t) => {
  t.match(
    problemAt(t, staged({ waves: [{ size: '50%' }, { size: '10%' }, { size: '100%' }] }), 'spec.strategy.waves[1].size'),
    /must not be smaller than the wave before it \(spec.strategy.waves\[0\].size is "50%"\)/,
  );
  // 3 pods, then 20% of 10 = 2 pods.
  t.match(problemAt(t, staged({ waves: [{ size: 3 }, { size: '20%' }, { size: '100%' }] }), 'spec.strategy.waves[1].size'), /cumulative/);
  t.ok(accepted(staged({ waves: [{ size: 1 }, { size: '10%' }, { size: '100%' }] })), 'equal sizes after rounding are fine');
});

t.test('refuses an empty wave list and a wave without a size, each with its path', async (t) => {
  t.match(problemAt(t, staged({ waves: [] }), 'spec.strategy.waves'), /at least one wave/);
  t.match(problemAt(t, staged({ waves: [{ pause: {} }, { size: '100%' }] }), 'spec.strategy.waves[0].size'), /is required/);
  t.match(problemAt(t, staged({ waves: [{ size: '100%', pase: {} }] }), 'spec.strategy.waves[0].pase'), /did you mean pause\?/);
});

t.test('refuses a negative pause and fields a pause does not have', async (t) => {
  t.match(problemAt(t, staged({ waves: [{ size: 1, pause: { seconds: -5 } }, { size: '100%' }] }), 'spec.strategy.waves[0].pause.seconds'), /0 or more/);
  t.match(problemAt(t, staged({ waves: [{ size: 1, pause: { minutes: 5 } }, { size: '100%' }] }), 'spec.strategy.waves[0].pause.minutes'), /unknown field/);
});

t.test('refuses a negative failure threshold and a share above 100%, naming the field', async (t) => {
  t.match(problemAt(t, staged({ failureThreshold: -1 }), 'spec.strategy.failureThreshold'), /0 or more.*got the number -1/);
  t.match(problemAt(t, staged({ failureThreshold: '101%' }), 'spec.strategy.failureThreshold'), /from "0%" to "100%"/);
  t.same(accepted(staged({ failureThreshold: 0 })).spec.strategy?.failureThreshold, 0);
});

t.test('refuses rollbackOnFailure that is not a boolean, or that has no threshold to act on', async (t) => {
  t.match(problemAt(t, staged({ rollbackOnFailure: 'yes', failureThreshold: 1 }), 'spec.strategy.rollbackOnFailure'), /must be true or false/);
  t.match(problemAt(t, staged({ rollbackOnFailure: true }), 'spec.strategy.rollbackOnFailure'), /needs spec.strategy.failureThreshold/);
});

t.test('refuses waves and rollingUpdate with the Recreate strategy, which replaces everything at once', async (t) => {
  const found = problems(staged({ type: 'Recreate', waves: [{ size: '100%' }] }));
  t.same(found.map((p) => p.field), ['spec.strategy.waves']);
  t.match(found[0]?.message, /must be absent when the strategy type is Recreate/);
  t.same(accepted(staged({ type: 'Recreate', failureThreshold: 0, rollbackOnFailure: true })).spec.strategy, {
    type: 'Recreate',
    failureThreshold: 0,
    rollbackOnFailure: true,
  });
});

t.test('refuses pacing fields out of range, each with its path', async (t) => {
  t.match(problemAt(t, deployment({ minReadySeconds: -1 }), 'spec.minReadySeconds'), /0 or more/);
  t.match(problemAt(t, deployment({ revisionHistoryLimit: -1 }), 'spec.revisionHistoryLimit'), /0 or more/);
  t.match(problemAt(t, deployment({ paused: 'no' }), 'spec.paused'), /true or false/);
  t.match(problemAt(t, deployment({ minReadySeconds: 60, progressDeadlineSeconds: 60 }), 'spec.progressDeadlineSeconds'), /must be greater than spec.minReadySeconds \(60\), got 60/);
  t.match(problemAt(t, deployment({ progressDeadlineSeconds: 0 }), 'spec.progressDeadlineSeconds'), /1 or more/);
});

t.test('lists every strategy problem of a manifest at once', async (t) => {
  const fields = problems(staged({ waves: [{ size: '150%' }, { size: 'all' }], failureThreshold: -2, rollbackOnFailure: 1 })).map((p) => p.field);
  t.same(fields.sort(), ['spec.strategy.failureThreshold', 'spec.strategy.rollbackOnFailure', 'spec.strategy.waves[0].size', 'spec.strategy.waves[1].size'].sort());
});
