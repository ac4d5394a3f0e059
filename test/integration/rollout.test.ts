/**
 * Staged rollouts with real agents and Podman: a good image goes out in waves, a bad one is
 * stopped at its canary and rolled back without touching the pods that run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { api, cli, getJson, startAgent, startHub, tempDir, waitFor } from '../helpers/fleet.js';
import { TEST_IMAGE } from '../helpers/podman.js';

interface PodJson {
  metadata: { name: string };
  spec: { nodeName?: string; containers: { args?: string[] }[] };
  status?: { phase?: string; containerStatuses?: { containerID?: string; ready: boolean; restartCount: number }[] };
}

interface DeploymentJson {
  metadata: { generation?: number; annotations?: Record<string, string> };
  spec: { template: { spec: { containers: { args?: string[] }[] } } };
  status?: { observedGeneration?: number; rollout?: Record<string, unknown> };
}

function manifest(script: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  minReadySeconds: 2
  strategy:
    waves:
      - size: 1
        pause: {}
      - size: "100%"
    failureThreshold: 0
    rollbackOnFailure: true
  template:
    metadata:
      labels:
        app: web
    spec:
      deviceSelector: role=rollout
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${TEST_IMAGE}
          command: ["sh", "-c"]
          args: [${JSON.stringify(script)}]
`;
}

async function podsOf(hub: Parameters<typeof getJson>[0]): Promise<PodJson[]> {
  return (await getJson<{ items: PodJson[] }>(hub, ['pods', '-l', 'app=web'])).items;
}

function runningWith(pods: PodJson[], script: string): PodJson[] {
  return pods.filter((p) => p.spec.containers[0]?.args?.[0] === script && p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready));
}

const deploymentPath = '/api/v1/namespaces/default/deployments/web';

t.test('a good image rolls out in waves; a crashing one stops at its canary and is rolled back, leaving the running pods alone', async (t) => {
  const hub = await startHub(t);
  await Promise.all([1, 2, 3].map(() => startAgent(t, hub, { labels: 'role=rollout' })));
  await waitFor('three devices Ready', async () => (await getJson(hub, ['devices'])).items.filter((d) => d.status?.state === 'Ready').length === 3);

  const dir = await tempDir(t, 'manifests');
  const file = join(dir, 'web.yaml');
  const v1 = 'echo v1; sleep 3600';
  await writeFile(file, manifest(v1));
  t.equal((await cli(hub, ['apply', '-f', file])).code, 0);
  const first = await cli(hub, ['rollout', 'status', 'deployment/web', '--timeout', '45s']);
  t.equal(first.code, 0, `the first start completes: ${first.stderr}`);
  t.match(first.stdout, /deployment\.apps\/web successfully rolled out \(revision 1\)/);

  // A good image: one canary, a pause until resumed, then the rest.
  const v2 = 'echo v2; sleep 3600';
  await writeFile(file, manifest(v2));
  t.equal((await cli(hub, ['apply', '-f', file])).code, 0);
  await waitFor('the canary done and the rollout paused after it', async () => (await api<DeploymentJson>(hub, deploymentPath)).status?.rollout?.['phase'] === 'Paused', 45_000);
  const pods = await podsOf(hub);
  t.equal(runningWith(pods, v2).length, 1, 'one canary runs the new image');
  t.equal(runningWith(pods, v1).length, 2, 'the other two still run the old one');
  const look = await cli(hub, ['rollout', 'status', 'deploy', 'web', '--watch=false']);
  t.equal(look.code, 0, look.stderr);
  t.match(look.stdout, /^deployment\.apps\/web: revision 2, wave 1\/2, Paused: 1\/3 updated, 1 ready, 0 failed, 0 pending; wave 1 of 2 done: flotilla rollout resume starts wave 2\n$/);
  t.match((await cli(hub, ['rollout', 'resume', 'deployment/web'])).stdout, /deployment\.apps\/web resumed/);
  const good = await cli(hub, ['rollout', 'status', 'deploy', 'web', '--timeout', '60s']);
  t.equal(good.code, 0, `the update completes: ${good.stderr}`);
  t.match(good.stdout, /deployment\.apps\/web successfully rolled out \(revision 2\)\n$/);
  const done = await api<DeploymentJson>(hub, deploymentPath);
  t.match(done.status?.rollout, { revision: 2, phase: 'Complete', wave: 2, waves: 2, target: 3, updated: 3, ready: 3, failed: 0, pending: 0 });
  const events = await api(hub, '/api/v1/namespaces/default/events?involvedKind=Deployment&involvedName=web');
  const at = (pattern: RegExp): string => (events.items as { message: string; firstTimestamp: string }[]).find((e) => pattern.test(e.message))?.firstTimestamp ?? 'missing';
  const steps = [/revision 2: wave 1 of 2 started/, /revision 2: wave 1 of 2 succeeded/, /revision 2: wave 2 of 2 started/, /revision 2 rolled out/].map(at);
  t.notOk(steps.includes('missing'), `every step is an event: ${steps.join(', ')}`);
  t.same([...steps].sort(), steps, 'in order');

  const settled = await waitFor('three v2 pods and no others', async () => {
    const pods = await podsOf(hub);
    return pods.length === 3 && runningWith(pods, v2).length === 3 ? pods : undefined;
  });
  const containers = new Map(settled.map((p) => [p.metadata.name, p.status?.containerStatuses?.[0]?.containerID]));

  // A bad image: its container exits at once.
  await writeFile(file, manifest('echo broken; exit 1'));
  t.equal((await cli(hub, ['apply', '-f', file])).code, 0);
  const bad = await cli(hub, ['rollout', 'status', 'deployment/web', '--timeout', '60s']);
  t.equal(bad.code, 1, 'rollout status fails');
  t.match(bad.stderr, /error: deployment\.apps\/web was rolled back from revision 3: revision 3 failed in wave 1 of 2: 1 of 1 updated pod failed, more than the threshold of 0: web-\S+ on test-dev-\S+: (container main exited with code 1|CrashLoopBackOff|container main restarted)/);
  t.match(bad.stderr, /hint: fix the template/);

  const back = await api<DeploymentJson>(hub, deploymentPath);
  t.equal(back.spec.template.spec.containers[0]?.args?.[0], v2, 'the template is the good one again');
  t.equal(back.metadata.annotations?.['flotilla.io/rolled-back-from'], '3');
  const restored = await waitFor('the canary gone and the three v2 pods running', async () => {
    const pods = await podsOf(hub);
    return pods.length === 3 && runningWith(pods, v2).length === 3 ? pods : undefined;
  });
  t.same(new Map(restored.map((p) => [p.metadata.name, p.status?.containerStatuses?.[0]?.containerID])), containers, 'the same pods, in the same containers');
  t.ok(restored.every((p) => p.status?.containerStatuses?.[0]?.restartCount === 0), 'none of them restarted');
  t.match((await api<DeploymentJson>(hub, deploymentPath)).status?.rollout, { revision: 4, phase: 'RolledBack', rolledBackFrom: 3, updated: 3 });

  const history = await cli(hub, ['rollout', 'history', 'deployment/web']);
  t.match(history.stdout, /\(current revision 4\)/);
  t.match(history.stdout, /\n3\s+localhost\/busybox:test/);
});
