/** Manifests for the API tests. */

export function podManifest(name: string, overrides: { image?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: overrides.labels ?? { app: name } },
    spec: { containers: [{ name: 'main', image: overrides.image ?? 'localhost/busybox:test', command: ['sleep', '300'] }] },
  };
}

export function deploymentManifest(name: string, replicas = 2, image = 'localhost/busybox:test'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image, args: ['httpd', '-f', '-p', '8080'] }] },
      },
    },
  };
}

export function deviceManifest(name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name, labels } };
}
