/**
 * What devices measure, end to end with real agents on Podman: per-pod figures reach
 * `flotilla top pods` within the pod stats cadence, device figures `flotilla top devices`,
 * and a device past its memory threshold shows MemoryPressure and takes no new pod.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { applySleeperPod, cli, getJson, sleeperPodManifest, startAgent, startHub, tempDir, waitFor } from '../helpers/fleet.js';

/** The rows of a CLI table, split on its column gaps. */
function rows(table: string): string[][] {
  return table
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

t.test('top shows a running pod and its device, and a device past its memory threshold is under pressure and takes no new pod', async (t) => {
  const hub = await startHub(t);
  const calm = await startAgent(t, hub, { labels: 'role=calm', flags: ['--pod-stats-interval', '2'] });
  // Any device uses more than 1% of its memory: this one is past its threshold from its first heartbeat.
  const pressed = await startAgent(t, hub, { labels: 'role=pressed', flags: ['--pod-stats-interval', '2', '--health-thresholds', 'memory=1'] });

  await applySleeperPod(t, hub, 'sleeper', { nodeSelector: { role: 'calm' } });
  const podRow = await waitFor(
    'top pods to show the sleeper using memory',
    async () => {
      const top = await cli(hub, ['top', 'pods']);
      const row = rows(top.stdout).find((cells) => cells[0] === 'sleeper');
      return row !== undefined && !/^0(\.0)?$/.test(row[3] ?? '0') ? row : undefined;
    },
    60_000,
    500,
  );
  t.equal(podRow[1], calm.name, 'on the device it runs on');
  t.match(podRow[2], /^\d+m$/, 'CPU in millicores');
  t.match(podRow[3], /^[\d.]+(Ki|Mi|Gi)$/, 'memory above zero');

  const devices = await waitFor('top devices to show both devices with figures', async () => {
    const top = await cli(hub, ['top', 'devices']);
    const table = rows(top.stdout);
    const row = table.find((cells) => cells[0] === calm.name);
    return table.some((cells) => cells[0] === pressed.name) && row !== undefined && row[1] !== '<unknown>' ? table : undefined;
  });
  t.same(devices[0], ['NAME', 'CPU%', 'MEMORY', 'MEMORY%', 'DISK%', 'TEMP', 'NET-RX', 'NET-TX', 'PODS']);
  const calmRow = devices.find((cells) => cells[0] === calm.name) ?? [];
  t.match(calmRow[1], /^\d+%$/, 'CPU%');
  t.match(calmRow[3], /^\d+%$/, 'MEMORY%');
  t.match(calmRow[4], /^\d+%$/, 'DISK%');

  const state = await waitFor(`${pressed.name} under memory pressure`, async () => {
    const list = await cli(hub, ['get', 'devices']);
    const row = rows(list.stdout).find((cells) => cells[0] === pressed.name);
    return row?.[1]?.includes('MemoryPressure') === true ? row[1] : undefined;
  });
  t.equal(state, 'Ready,MemoryPressure');
  const calmState = rows((await cli(hub, ['get', 'devices'])).stdout).find((cells) => cells[0] === calm.name)?.[1];
  t.equal(calmState, 'Ready', "the other device's default threshold is far off");

  const described = await cli(hub, ['describe', 'device', pressed.name]);
  t.match(described.stdout, /MemoryPressure\s+True\s+\S+ \(\S+ ago\)\s+MemoryAboveThreshold\s+memory [\d.]+% in use, at or above the 1% threshold/);
  t.match(described.stdout, /Health Thresholds:\s+memory 1%; the hub's for the rest/);
  t.match(described.stdout, /Warning\s+MemoryPressure\s+/, 'a Warning on the device when the pressure began');

  const manifest = join(await tempDir(t, 'manifests'), 'squeezed.yaml');
  await writeFile(manifest, sleeperPodManifest('squeezed', { nodeSelector: { role: 'pressed' } }));
  const applied = await cli(hub, ['apply', '-f', manifest]);
  t.equal(applied.code, 0, applied.stderr);
  const why = await waitFor('the new pod to be refused a place, naming the pressure', async () => {
    const pod = (await getJson(hub, ['pods'])).items.find((p) => p.metadata.name === 'squeezed');
    const scheduled = (pod?.status?.conditions as { type: string; status: string; message?: string }[] | undefined)?.find((c) => c.type === 'PodScheduled');
    return scheduled?.status === 'False' && /memory pressure/.test(scheduled.message ?? '') ? scheduled.message : undefined;
  });
  t.match(why, /1 is under memory pressure/);
  const pending = (await getJson(hub, ['pods'])).items.find((p) => p.metadata.name === 'squeezed');
  t.equal(pending?.status?.phase, 'Pending');
  t.notOk(pending?.spec?.nodeName, 'not bound to the device under pressure');
});
