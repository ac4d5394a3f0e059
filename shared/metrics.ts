/**
 * Pod figures as the hub's API serves them, in the shape of Kubernetes' metrics API
 * (metrics.k8s.io/v1beta1 PodMetrics), so tools that read kubectl top's source read ours:
 *
 *   GET /apis/metrics.k8s.io/v1beta1/pods                        every namespace
 *   GET /apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods  one namespace
 *
 * both with `?labelSelector=`. Device figures need no route of their own: the Device objects
 * carry the last heartbeat's in `status.usage`.
 */

export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';

export interface ContainerMetrics {
  name: string;
  /** Kubernetes quantities: cpu in millicores ("12m"), memory in kibibytes ("3456Ki"). */
  usage: { cpu: string; memory: string };
}

export interface PodMetrics {
  apiVersion: typeof METRICS_API_VERSION;
  kind: 'PodMetrics';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  /** When the device sampled the figures (the hub's clock at their arrival). */
  timestamp: string;
  /** What the CPU figure is averaged over: `30s`. */
  window: string;
  /** The device the pod runs on; not in Kubernetes' PodMetrics, which leave it to the Pod. */
  device: string;
  containers: ContainerMetrics[];
}

export interface PodMetricsList {
  apiVersion: typeof METRICS_API_VERSION;
  kind: 'PodMetricsList';
  items: PodMetrics[];
}

/** The API path of the pod figures of one namespace, or of all of them when it is undefined. */
export function podMetricsPath(namespace: string | undefined): string {
  const base = `/apis/${METRICS_API_VERSION}`;
  return namespace === undefined ? `${base}/pods` : `${base}/namespaces/${encodeURIComponent(namespace)}/pods`;
}
