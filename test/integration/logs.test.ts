/**
 * `flotilla logs` end to end: a hub, a real agent, Podman containers printing lines, and the
 * CLI as a user runs it. The log travels from the engine to the agent, over MQTT to the hub,
 * and out of the hub's API to the CLI.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { cli, deviceState, getJson, startAgent, startHub, tempDir, uniqueName, waitFor } from '../helpers/fleet.js';
import { TEST_IMAGE } from '../helpers/podman.js';
import { ISOLATED_ENV, REPO_ROOT } from '../helpers/run-cli.js';

function podManifest(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: ticker
      image: ${TEST_IMAGE}
      command: ["sh", "-c", "i=0; while true; do echo \\"tick $i\\"; i=$((i+1)); sleep 0.5; done"]
    - name: printer
      image: ${TEST_IMAGE}
      command: ["sh", "-c", "for i in 1 2 3 4 5; do echo \\"row $i\\"; done; sleep 3600"]
`;
}

t.test('flotilla logs reads a container of a pod on a real agent: --tail, -c, and -f following new lines', async (t) => {
  const hub = await startHub(t);
  const agent = await startAgent(t, hub);
  await waitFor(`device ${agent.name} Ready`, async () => (await deviceState(hub, agent.name)) === 'Ready', 60_000);

  const pod = uniqueName('logs');
  const file = join(await tempDir(t, 'manifests'), 'pod.yaml');
  await writeFile(file, podManifest(pod));
  const applied = await cli(hub, ['apply', '-f', file]);
  t.equal(applied.code, 0, applied.stderr);
  await waitFor(`pod ${pod} Running with both containers ready`, async () => {
    const found = (await getJson(hub, ['pods'])).items.find((p) => p.metadata.name === pod);
    return found?.status?.phase === 'Running' && found.status.containerStatuses?.length === 2 && found.status.containerStatuses.every((c: { ready: boolean }) => c.ready);
  }, 90_000);

  await t.test('--tail 2 gives the last two lines', async (t) => {
    // The printer writes its five rows at once; wait until the log has them all.
    const whole = await waitFor('five rows in the log', async () => {
      const run = await cli(hub, ['logs', pod, '-c', 'printer']);
      return run.code === 0 && run.stdout.split('\n').filter(Boolean).length === 5 ? run : undefined;
    });
    t.equal(whole.stdout, 'row 1\nrow 2\nrow 3\nrow 4\nrow 5\n');
    const tail = await cli(hub, ['logs', pod, '-c', 'printer', '--tail', '2']);
    t.equal(tail.code, 0, tail.stderr);
    t.equal(tail.stdout, 'row 4\nrow 5\n');
  });

  await t.test('-c with a container the pod does not have is refused, naming the containers it has', async (t) => {
    const wrong = await cli(hub, ['logs', pod, '-c', 'nginx']);
    t.equal(wrong.code, 1);
    t.equal(wrong.stdout, '');
    t.match(wrong.stderr, `error: pod default/${pod} has no container "nginx"; its containers are: ticker, printer`);
    const unnamed = await cli(hub, ['logs', pod]);
    t.equal(unnamed.code, 1);
    t.match(unnamed.stderr, /has 2 containers: name one of ticker, printer/);
  });

  await t.test('-f follows new lines as the container prints them, until interrupted', async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'hub/cli/flotilla.ts', 'logs', pod, '-c', 'ticker', '-f', '--tail', '1'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...ISOLATED_ENV, FLOTILLA_CONFIG: hub.adminConfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    t.teardown(() => child.kill('SIGKILL'));
    const ticks = () => [...stdout.matchAll(/^tick (\d+)$/gm)].map((match) => Number(match[1]));
    const first = await waitFor('the first line of the follow', () => ticks()[0], 60_000);
    await waitFor('three lines printed after the follow began', async () => {
      if (child.exitCode !== null) throw new Error(`flotilla logs -f exited: ${stderr}`);
      return ticks().length >= 4;
    }, 60_000);
    const seen = ticks();
    t.same(seen, seen.map((_, index) => first + index), 'consecutive lines, none missing or repeated');
    t.equal(child.exitCode, null, 'still following');
    child.kill('SIGINT');
    await exited;
    t.equal(stderr.replace(/npm warn.*\n/g, ''), '', 'no error');
  });

  await t.test("a device that is Offline is named with its last contact, and nothing is fetched", async (t) => {
    await agent.stop();
    await waitFor(`device ${agent.name} Offline`, async () => (await deviceState(hub, agent.name)) === 'Offline', 60_000);
    const offline = await cli(hub, ['logs', pod, '-c', 'printer']);
    t.equal(offline.code, 1);
    t.match(offline.stderr, new RegExp(`error: device ${agent.name} is Offline: logs cannot be fetched; the device's last contact was \\d{4}-\\d\\d-\\d\\dT`));
  });
});
