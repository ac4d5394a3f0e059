/**
 * GET of pod figures in the shape of Kubernetes' metrics API (see shared/metrics.ts): the
 * pods of a namespace, or of all, that match the selector and whose device reported figures
 * for them recently. A pod without figures (pending, just started, its device offline) is
 * left out, as metrics-server leaves it out.
 */
import type { FastifyInstance } from 'fastify';
import { METRICS_API_VERSION, type PodMetrics, type PodMetricsList } from '../../../shared/metrics.js';
import type { Pod } from '../../../shared/objects.js';
import type { Store } from '../../store/store.js';
import type { PodUsage, PodUsageLookup } from '../../dispatch/pod-usage.js';
import { listObjects } from './read.js';

const querySchema = {
  type: 'object',
  properties: { labelSelector: { type: 'string' } },
} as const;

/** One pod's figures as PodMetrics; quantities as metrics-server writes them. */
export function podMetrics(pod: Pod, usage: PodUsage): PodMetrics {
  const metadata: PodMetrics['metadata'] = { name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default' };
  if (pod.metadata.labels !== undefined) metadata.labels = pod.metadata.labels;
  return {
    apiVersion: METRICS_API_VERSION,
    kind: 'PodMetrics',
    metadata,
    timestamp: new Date(usage.receivedAtMs).toISOString(),
    window: `${usage.windowSeconds}s`,
    device: pod.spec.nodeName ?? '',
    containers: usage.containers.map((container) => ({
      name: container.name,
      usage: { cpu: `${Math.round(container.cpuMillis)}m`, memory: `${Math.round(container.memoryBytes / 1024)}Ki` },
    })),
  };
}

export function registerPodMetricsRoutes(app: FastifyInstance, store: Store, usageOf: PodUsageLookup): void {
  const list = async (namespace: string | undefined, labelSelector: string | undefined): Promise<PodMetricsList> => {
    const pods = await listObjects(store, () => undefined, { kind: 'Pod', namespace }, labelSelector === undefined ? {} : { labelSelector });
    const items: PodMetrics[] = [];
    for (const pod of pods.items as Pod[]) {
      const usage = usageOf(pod);
      if (usage !== undefined) items.push(podMetrics(pod, usage));
    }
    return { apiVersion: METRICS_API_VERSION, kind: 'PodMetricsList', items };
  };

  app.get<{ Querystring: { labelSelector?: string } }>(`/apis/${METRICS_API_VERSION}/pods`, { schema: { querystring: querySchema } }, async (request) =>
    list(undefined, request.query.labelSelector),
  );

  app.get<{ Params: { namespace: string }; Querystring: { labelSelector?: string } }>(
    `/apis/${METRICS_API_VERSION}/namespaces/:namespace/pods`,
    { schema: { querystring: querySchema } },
    async (request) => list(request.params.namespace, request.query.labelSelector),
  );
}
