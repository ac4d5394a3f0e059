import t from 'tap';
import { daemonSetTable } from '../../../../hub/cli/format/daemonsets.js';
import { describeDaemonSet } from '../../../../hub/cli/format/describe-daemonset.js';
import { formatObjects } from '../../../../hub/cli/format/output.js';
import type { DaemonSet, Pod } from '../../../../shared/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');

function daemonSet(): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'log-shipper', namespace: 'plant-3', creationTimestamp: '2026-01-01T10:00:00Z' },
    spec: {
      selector: { matchLabels: { app: 'log-shipper' } },
      template: {
        metadata: { labels: { app: 'log-shipper' } },
        spec: { nodeSelector: { role: 'camera' }, deviceSelector: 'site in (a,b)', containers: [{ name: 'ship', image: 'registry.local/ship:2.1' }] },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 }, waves: [{ size: 1 }, { size: '100%' }], failureThreshold: 2, rollbackOnFailure: true },
      minReadySeconds: 30,
    },
    status: {
      observedGeneration: 2,
      desiredNumberScheduled: 40,
      currentNumberScheduled: 39,
      numberMisscheduled: 1,
      numberReady: 37,
      updatedNumberScheduled: 12,
      numberAvailable: 36,
      rollout: { revision: 2, phase: 'Progressing', wave: 2, waves: 2, target: 40, updated: 12, ready: 10, failed: 0, pending: 3, message: 'wave 2 of 2: 10 of 37 pods updated and available' },
    },
  };
}

t.test('a daemonset row shows desired, current, ready, up-to-date and available devices and where it runs, as kubectl', async (t) => {
  const [header, row] = daemonSetTable([daemonSet()], { wide: false, allNamespaces: false, now }).split('\n');
  t.same(header?.split(/ {3,}/), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
  t.same(row?.split(/ {3,}/), ['log-shipper', '40', '39', '37', '12', '36', 'role=camera,site in (a,b)', '120m']);
});

t.test('the wide table adds containers, images and the selector; all namespaces adds the namespace first', async (t) => {
  const [header, row] = daemonSetTable([daemonSet()], { wide: true, allNamespaces: true, now }).split('\n');
  t.same(header?.split(/ {3,}/), ['NAMESPACE', 'NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
  t.same(row?.split(/ {3,}/).slice(-3), ['ship', 'registry.local/ship:2.1', 'app=log-shipper']);
  t.equal(row?.split(/ {3,}/)[0], 'plant-3');
});

t.test('get daemonsets prints the daemonset table, and a DaemonSet before it has a status as all zeros', async (t) => {
  const fresh = { ...daemonSet(), status: undefined };
  const text = formatObjects('DaemonSet', [fresh], 'table', { allNamespaces: false, now });
  t.match(text, /^NAME\s+DESIRED\s+CURRENT/);
  t.same(text.split('\n')[1]?.split(/ {3,}/).slice(1, 6), ['0', '0', '0', '0', '0']);
});

t.test('describe daemonset shows the device counts, the pods by status, the strategy and where the rollout stands', async (t) => {
  const pod = (phase: 'Running' | 'Pending'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${phase}` }, spec: { containers: [] }, status: { phase } });
  const text = describeDaemonSet(daemonSet(), [pod('Running'), pod('Running'), pod('Pending')], [], now);
  t.match(text, /^Name:\s+log-shipper$/m);
  t.match(text, /^Selector:\s+app=log-shipper$/m);
  t.match(text, /^Node-Selector:\s+role=camera,site in \(a,b\)$/m);
  t.match(text, /^Desired Number of Devices Scheduled:\s+40$/m);
  t.match(text, /^Number of Devices Scheduled with Up-to-date Pods:\s+12$/m);
  t.match(text, /^Number of Devices Misscheduled:\s+1$/m);
  t.match(text, /^Pods Status:\s+2 Running \/ 1 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
  t.match(text, /^Update Strategy:\s+RollingUpdate: 10% max unavailable, 0 max surge; waves 1, 100%; stops above 2 failed, rolls back$/m);
  t.match(text, /^Rollout:\s+revision 2: Progressing, wave 2 of 2\n\s+12 updated, 10 ready, 0 failed, 3 pending of 40\n\s+wave 2 of 2: 10 of 37/m);
  t.match(text, /^ {2}Containers:\n {4}ship:\n {6}Image:\s+registry.local\/ship:2.1$/m);
  t.match(text, /^Events:\s+<none>$/m);
});
