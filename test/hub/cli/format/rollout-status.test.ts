import t from 'tap';
import { rolloutSummary, rolloutVerdict, type RolloutWorkload } from '../../../../hub/cli/format/rollout-status.js';
import type { RolloutStatus } from '../../../../shared/objects.js';

const status: RolloutStatus = { revision: 4, phase: 'Complete', wave: 3, waves: 3, target: 40, updated: 38, ready: 38, failed: 0, pending: 2 };

function daemonSet(rollout: RolloutStatus): RolloutWorkload {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', generation: 5 },
    spec: { template: { spec: { containers: [] } } },
    status: { observedGeneration: 5, desiredNumberScheduled: 40, currentNumberScheduled: 40, numberMisscheduled: 0, numberReady: 38, updatedNumberScheduled: 38, numberAvailable: 38, rollout },
  };
}

t.test('a rollout reads as one line: revision, wave, phase and counts, then what it waits for', async (t) => {
  t.equal(
    rolloutSummary({ ...status, phase: 'Paused', wave: 1, updated: 1, ready: 1, pending: 0, message: 'wave 1 of 3 done: flotilla rollout resume starts wave 2' }),
    'revision 4, wave 1/3, Paused: 1/40 updated, 1 ready, 0 failed, 0 pending; wave 1 of 3 done: flotilla rollout resume starts wave 2',
  );
});

t.test('a DaemonSet that completed with devices away is a success that says how many wait', async (t) => {
  t.same(rolloutVerdict(daemonSet(status)), {
    done: true,
    ok: true,
    line: 'daemonset.apps/agent successfully rolled out (revision 4) (2 of 40 pods wait for Offline devices and update when they return)',
  });
});

t.test('a failed rollout is done and not well, with what to do', async (t) => {
  const verdict = rolloutVerdict(daemonSet({ ...status, phase: 'Failed', message: 'revision 4 failed in wave 2 of 3: 3 of 10 updated pods failed' }));
  t.match(verdict, { done: true, ok: false, line: 'daemonset.apps/agent rollout failed: revision 4 failed in wave 2 of 3: 3 of 10 updated pods failed' });
  t.match(verdict.hint, 'flotilla rollout undo daemonset/agent');
});
