import t from 'tap';
import { deploymentTable } from '../../../../hub/cli/format/deployments.js';
import { eventTable } from '../../../../hub/cli/format/events.js';
import type { Deployment, FlotillaEvent } from '../../../../shared/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');

t.test('a deployment row shows ready of desired, up-to-date and available replicas', (t) => {
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T11:00:00Z' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  };
  const [header, row] = deploymentTable([deployment], { wide: true, allNamespaces: false, now }).split('\n');
  t.same(header?.split(/ {3,}/), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'IMAGES', 'SELECTOR']);
  t.same(row?.split(/ {3,}/), ['web', '2/3', '3', '2', '60m', 'nginx:1.27', 'app=web']);
  t.end();
});

t.test('events are listed oldest first, naming the object they are about', (t) => {
  const event = (name: string, at: string, reason: string): FlotillaEvent => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Deployment', name: 'web', namespace: 'default' },
    type: 'Normal',
    reason,
    message: `${reason}\nsecond line`,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: 'deployment-controller',
  });
  const text = eventTable([event('b', '2026-01-01T11:59:00Z', 'Later'), event('a', '2026-01-01T11:50:00Z', 'Earlier')], {
    wide: false,
    allNamespaces: false,
    now,
  });
  const rows = text.split('\n').slice(1, 3).map((line) => line.split(/ {3,}/));
  t.same(rows, [
    ['10m', 'Normal', 'Earlier', 'deployment.apps/web', 'Earlier; second line'],
    ['60s', 'Normal', 'Later', 'deployment.apps/web', 'Later; second line'],
  ]);
  t.end();
});
