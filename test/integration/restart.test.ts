/**
 * A container killed from outside is restarted by its agent according to the pod's restart
 * policy, with back-off, and the restart count shows in `flotilla get pods`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { cli, getJson, sleeperPodManifest, startAgent, startHub, tempDir, waitFor } from '../helpers/fleet.js';
import { podmanInspect, podmanKill } from '../helpers/podman.js';

interface PodJson {
  metadata: { name: string };
  status?: { phase?: string; containerStatuses?: { containerID?: string; restartCount: number; state: Record<string, { reason?: string }> }[] };
}

async function podNamed(hub: Parameters<typeof getJson>[0], name: string): Promise<PodJson | undefined> {
  const list = await getJson<{ items: PodJson[] }>(hub, ['pods']);
  return list.items.find((p) => p.metadata.name === name);
}

t.test('a killed container is restarted with back-off and its restarts are counted', async (t) => {
  const hub = await startHub(t);
  // A back-off long enough to be seen even when the engine reports the kill late.
  await startAgent(t, hub, { backoffSeconds: 4 });
  const dir = await tempDir(t, 'manifests');
  const keeperAndOnce = [sleeperPodManifest('keeper', { restartPolicy: 'Always' }), sleeperPodManifest('once', { restartPolicy: 'Never' })];
  await writeFile(join(dir, 'always.yaml'), keeperAndOnce.join('---\n'));
  t.equal((await cli(hub, ['apply', '-f', join(dir, 'always.yaml')])).code, 0);

  const keeper = await waitFor('the pods Running', async () => {
    const [a, b] = [await podNamed(hub, 'keeper'), await podNamed(hub, 'once')];
    return a?.status?.phase === 'Running' && b?.status?.phase === 'Running' ? a : undefined;
  });
  const id = keeper.status?.containerStatuses?.[0]?.containerID ?? '';
  await podmanKill(id);
  const afterFirst = await waitFor('the first restart', async () => {
    const current = await podNamed(hub, 'keeper');
    return current?.status?.phase === 'Running' && current.status.containerStatuses?.[0]?.restartCount === 1 ? current : undefined;
  });
  t.equal(afterFirst.status?.containerStatuses?.[0]?.containerID, id, 'the same container is started again');
  t.equal((await podmanInspect(id)).State.Status, 'running', 'Podman shows it running again');

  // The second crash waits out the back-off (4 s) before the restart.
  await podmanKill(id);
  const backingOff = await waitFor('CrashLoopBackOff', async () => {
    const current = await podNamed(hub, 'keeper');
    return current?.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff' ? current : undefined;
  }, 10_000, 100);
  t.ok(backingOff, 'the pod shows CrashLoopBackOff while it waits');
  await waitFor('the second restart', async () => (await podNamed(hub, 'keeper'))?.status?.containerStatuses?.[0]?.restartCount === 2);
  const table = await cli(hub, ['get', 'pods']);
  t.match(table.stdout, /keeper\s+1\/1\s+Running\s+2\b/, 'get pods shows two restarts');
  const described = await cli(hub, ['describe', 'pod', 'keeper']);
  t.match(described.stdout, /BackOff/, 'describe pod shows the back-off');
  t.match(described.stdout, /Restarted/, 'and the restarts');

  // restartPolicy Never: a killed container stays down and the pod fails.
  const once = await podNamed(hub, 'once');
  await podmanKill(once?.status?.containerStatuses?.[0]?.containerID ?? '');
  const failed = await waitFor('the Never pod Failed', async () => {
    const current = await podNamed(hub, 'once');
    return current?.status?.phase === 'Failed' ? current : undefined;
  });
  t.equal(failed.status?.containerStatuses?.[0]?.restartCount, 0, 'a Never pod is not restarted');
});
