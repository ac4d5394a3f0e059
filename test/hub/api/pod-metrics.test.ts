import { fastify } from 'fastify';
import t from 'tap';
import { requiredRole } from '../../../hub/api/auth.js';
import { handleError } from '../../../hub/api/errors.js';
import { registerPodMetricsRoutes } from '../../../hub/api/routes/pod-metrics.js';
import type { PodUsage } from '../../../hub/dispatch/pod-usage.js';
import { createLevelStore } from '../../../hub/store/level-store.js';
import { podMetricsPath, type PodMetricsList } from '../../../shared/metrics.js';
import type { Pod } from '../../../shared/objects.js';

function pod(name: string, namespace: string, labels: Record<string, string>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'main', image: 'busybox' }], nodeName: 'cam-1' } };
}

t.test('pod figures come as Kubernetes PodMetrics, by namespace and selector, leaving out pods without figures', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  await store.create(pod('web', 'default', { app: 'web' }));
  await store.create(pod('db', 'default', { app: 'db' }));
  await store.create(pod('idle', 'default', { app: 'web' }));
  await store.create(pod('gw', 'plant-3', { app: 'gw' }));
  const figures: Record<string, PodUsage> = {
    web: { containers: [{ name: 'main', cpuMillis: 120, memoryBytes: 4 * 1024 * 1024 }], receivedAtMs: Date.parse('2026-01-01T12:00:00Z'), windowSeconds: 30 },
    db: { containers: [{ name: 'main', cpuMillis: 7, memoryBytes: 2048 }], receivedAtMs: 0, windowSeconds: 30 },
    gw: { containers: [{ name: 'main', cpuMillis: 1, memoryBytes: 1024 }], receivedAtMs: 0, windowSeconds: 30 },
  };
  const app = fastify();
  app.setErrorHandler(handleError);
  registerPodMetricsRoutes(app, store, (p) => figures[p.metadata.name]);
  t.teardown(() => app.close());

  const get = async (path: string, labelSelector?: string): Promise<PodMetricsList> => {
    const response = await app.inject({ method: 'GET', url: path, ...(labelSelector === undefined ? {} : { query: { labelSelector } }) });
    t.equal(response.statusCode, 200, path);
    return response.json();
  };
  const web = await get(podMetricsPath('default'), 'app=web');
  t.same(web, {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetricsList',
    items: [
      {
        apiVersion: 'metrics.k8s.io/v1beta1',
        kind: 'PodMetrics',
        metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
        timestamp: '2026-01-01T12:00:00.000Z',
        window: '30s',
        device: 'cam-1',
        containers: [{ name: 'main', usage: { cpu: '120m', memory: '4096Ki' } }],
      },
    ],
  });
  t.same((await get(podMetricsPath(undefined))).items.map((item) => item.metadata.name).sort(), ['db', 'gw', 'web'], 'every namespace');
  const bad = await app.inject({ method: 'GET', url: podMetricsPath('default'), query: { labelSelector: 'app in (web' } });
  t.equal(bad.statusCode, 422, 'a selector that cannot be read is refused');
});

t.test('reading pod figures needs the viewer role, as any read', async (t) => {
  t.equal(requiredRole('GET', podMetricsPath(undefined)), 'viewer');
  t.equal(requiredRole('GET', `${podMetricsPath('plant-3')}?labelSelector=app%3Dweb`), 'viewer');
});
