/**
 * What the fault scenarios do to a fleet and ask of it: workloads of sleeping pods applied
 * with the CLI, a hub started again where it was, and conditions to wait on instead of
 * guesses at how long something takes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Child } from '../../scripts/bench/processes.js';
import { api, cli, startHub, tempDir, waitFor, type HubProcess, type HubProcessOptions } from '../helpers/fleet.js';
import { TEST_IMAGE } from '../helpers/podman.js';

/** The settings a hub was started with, for starting it again the same way. */
export type HubSettings = Pick<HubProcessOptions, 'notReadyAfterSeconds' | 'offlineAfterSeconds' | 'mqttUrl'>;

/** Starts the hub again on the same data directory and ports, as a service manager would. */
export function restartHub(t: Test, hub: HubProcess, settings: HubSettings = {}): Promise<HubProcess> {
  return startHub(t, {
    ...settings,
    dataDir: hub.dataDir,
    httpPort: Number(new URL(hub.apiUrl).port),
    // With an external broker, hub.mqttUrl is that broker's, not a port of the hub's own.
    ...(settings.mqttUrl ? {} : { mqttPort: Number(new URL(hub.mqttUrl).port) }),
    mqttTlsPort: Number(new URL(hub.mqttTlsUrl).port),
  });
}

/** The device's state at the hub, read from the API (cheaper than the CLI when polled). */
export async function deviceStateOf(hub: HubProcess, device: string): Promise<string | undefined> {
  const found = await api<{ status?: { state?: string } }>(hub, `/api/v1/devices/${device}`).catch(() => undefined);
  return found?.status?.state;
}

/**
 * Counts lines a process writes (stdout or stderr) that match, from now on: a condition to
 * wait on (an agent took a desired state) instead of a guess at how long something takes.
 */
export function watchOutput(child: Child, pattern: RegExp): { count(): number } {
  let matches = 0;
  for (const stream of [child.process.stdout, child.process.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (pattern.test(line)) matches += 1;
    });
  }
  return { count: () => matches };
}

/** Matches the agent's log line for a desired state it took or set aside as older. */
export const DESIRED_STATE_HANDLED = /"msg":"(desired state received|ignored an older desired state)"/;

/**
 * A Deployment manifest whose pods sleep in the test image. `template` adds fields to the pod
 * spec; `env` sets the container's environment, so a changed value is a new template.
 */
export function deploymentManifest(name: string, replicas: number, options: { template?: Record<string, unknown>; env?: Record<string, string>; strategy?: Record<string, unknown> } = {}): string {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      ...(options.strategy ? { strategy: options.strategy } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...options.template,
          containers: [
            {
              name: 'main',
              image: TEST_IMAGE,
              command: ['sleep', '3600'],
              ...(options.env ? { env: Object.entries(options.env).map(([n, value]) => ({ name: n, value })) } : {}),
            },
          ],
        },
      },
    },
  };
  // JSON is YAML.
  return JSON.stringify(deployment);
}

/** A Pod manifest that sleeps in the test image; `spec` and `container` add fields to each. */
export function podManifest(name: string, options: { spec?: Record<string, unknown>; container?: Record<string, unknown> } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { ...options.spec, containers: [{ name: 'main', image: TEST_IMAGE, command: ['sleep', '3600'], ...options.container }] },
  });
}

/** Applies the manifests in one file with `flotilla apply -f`, failing with the CLI's message. */
export async function applyManifests(t: Test, hub: HubProcess, manifests: readonly string[]): Promise<void> {
  const file = join(await tempDir(t, 'manifests'), 'workload.yaml');
  await writeFile(file, manifests.join('\n---\n'));
  const applied = await cli(hub, ['apply', '-f', file]);
  if (applied.code !== 0) throw new Error(`flotilla apply failed: ${applied.stderr}`);
}

interface PodListJson {
  items: { metadata: { name: string; namespace?: string }; spec: { nodeName?: string }; status?: { phase?: string } }[];
}

/** Waits until the hub shows `count` pods, every one of them Running; returns their `namespace/name`. */
export async function waitForRunningPods(hub: HubProcess, count: number, timeoutMs = 60_000): Promise<string[]> {
  return waitFor(`${count} pods Running`, async () => {
    const { items } = await api<PodListJson>(hub, '/api/v1/pods');
    const running = items.filter((p) => p.status?.phase === 'Running');
    return items.length === count && running.length === count ? running.map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`) : undefined;
  }, timeoutMs, 250);
}
