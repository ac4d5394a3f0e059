import t from 'tap';
import { historyTable, revisionDetail } from '../../../../hub/cli/format/rollout-history.js';
import type { ControllerRevision } from '../../../../shared/objects.js';

function revision(number: number, image: string, cause?: string): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: `web-${number}`, namespace: 'default', creationTimestamp: '2025-06-01T12:00:00.000Z', ...(cause ? { annotations: { 'kubernetes.io/change-cause': cause } } : {}) },
    data: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image, args: ['--fast'] }] } } },
    revision: number,
  };
}

t.test('history lists revisions with their images, age and change cause, naming the current one', async (t) => {
  const now = Date.parse('2025-06-01T12:05:00.000Z');
  t.equal(
    historyTable([revision(1, 'app:1'), revision(2, 'app:2', 'new reader')], { kind: 'Deployment', name: 'web', current: 2, now }),
    'deployment.apps/web (current revision 2)\nREVISION   IMAGES   AGE   CHANGE-CAUSE\n1          app:1    5m    <none>\n2          app:2    5m    new reader\n',
  );
  t.equal(historyTable([], { kind: 'Deployment', name: 'web', current: undefined, now }), 'deployment.apps/web\nNo revisions yet\n');
});

t.test("one revision shows its pod template as describe does", async (t) => {
  const text = revisionDetail(revision(2, 'app:2'), { kind: 'Deployment', name: 'web' });
  t.match(text, /^deployment\.apps\/web with revision #2\nPod Template:\n  Labels:\s+app=web\n  Containers:\n    main:\n      Image:\s+app:2\n/);
  t.match(text, /Args:\n\s+--fast/);
});
