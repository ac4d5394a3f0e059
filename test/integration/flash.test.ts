/**
 * A device flashed as users flash one: `flotilla flash --target` onto a root filesystem made
 * for the test, then the agent started as its systemd unit would start it, from that root
 * alone (a temp directory outside the repository, where no node_modules can be found), with
 * the config file's settings. It enrols with the join token and runs a pod.
 */
import { accessSync, constants, existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import t from 'tap';
import { Child } from '../../scripts/bench/processes.js';
import { parseAgentEnvironment } from '../../hub/flash/agent-env.js';
import { applySleeperPod, cli, deviceState, ensurePodman, getJson, joinToken, startHub, tempDir, uniqueName, waitFor } from '../helpers/fleet.js';
import { PODMAN_SOCKET, removeDeviceContainers } from '../helpers/podman.js';

/** Its engine is rootful Podman on /run/podman/podman.sock, the socket the tests run. */
const PROFILE = 'industrial-pc-x86';

function directive(unit: string, key: string): string {
  const value = new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
  if (value === undefined) throw new Error(`the unit has no ${key}=:\n${unit}`);
  return value;
}

t.test('a bundle flashed onto a root filesystem holds what its unit needs, and the agent run from it enrols and runs a pod', async (t) => {
  const hub = await startHub(t, { secure: true });
  await ensurePodman();
  const token = await joinToken(hub, ['--labels', 'site=lab', '--uses', '1']);
  const root = await tempDir(t, 'sdcard-root');
  await mkdir(join(root, 'etc'));
  const name = uniqueName('flashed');
  t.teardown(() => removeDeviceContainers(name));

  const flashed = await cli(hub, ['flash', '--profile', PROFILE, '--token', token, '--target', root, '--name', name, '--labels', 'role=test']);
  t.equal(flashed.code, 0, flashed.code === 0 ? 'flash succeeds' : flashed.stderr);
  t.match(flashed.stdout, `wrote the agent for ${PROFILE} into ${root}`);

  // What systemd would read on first boot, every path looked up inside the root.
  const unitPath = '/etc/systemd/system/flotilla-agent.service';
  t.equal(readlinkSync(join(root, '/etc/systemd/system/multi-user.target.wants/flotilla-agent.service')), unitPath, 'enabled for boot');
  const unit = readFileSync(join(root, unitPath), 'utf8');
  const execStart = directive(unit, 'ExecStart');
  const environmentFile = directive(unit, 'EnvironmentFile');
  t.doesNotThrow(() => accessSync(join(root, execStart), constants.X_OK), `ExecStart ${execStart} is an executable in the root`);
  t.ok(existsSync(join(root, environmentFile)), `EnvironmentFile ${environmentFile} is in the root`);
  const env = parseAgentEnvironment(readFileSync(join(root, environmentFile), 'utf8'));
  t.match(env, { FLOTILLA_JOIN_TOKEN: token, FLOTILLA_DEVICE_NAME: name, FLOTILLA_LABELS: 'role=test' });
  for (const variable of ['FLOTILLA_PROFILE', 'FLOTILLA_CA_FILE']) {
    t.ok(existsSync(join(root, env[variable] ?? '-')), `${variable} ${env[variable]} is in the root`);
  }
  t.ok(statSync(join(root, env['FLOTILLA_STATE_DIR'] ?? '-')).isDirectory(), 'the state directory is in the root');

  // The unit's command with the config file's settings; paths moved into the root, the engine the tests' Podman.
  const inRoot = (variable: string): string => join(root, env[variable] ?? '');
  const agent = new Child(join(root, execStart), ['--heartbeat', '1', '--log-level', 'debug'], {
    ...env,
    FLOTILLA_PROFILE: inRoot('FLOTILLA_PROFILE'),
    FLOTILLA_CA_FILE: inRoot('FLOTILLA_CA_FILE'),
    FLOTILLA_STATE_DIR: inRoot('FLOTILLA_STATE_DIR'),
    FLOTILLA_RUNTIME_ENDPOINT: PODMAN_SOCKET,
    // Only node from PATH; nothing of the test runner's loaders or module paths.
    PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    NODE_OPTIONS: undefined,
    NODE_PATH: undefined,
  }, { cwd: root, keepBytes: 200_000 });
  t.teardown(() => agent.stop());

  await waitFor(`${name} Ready`, async () => {
    if (!agent.running) throw new Error(`the flashed agent exited:\n${agent.output}`);
    return (await deviceState(hub, name)) === 'Ready';
  }, 60_000);
  t.match(agent.output, /enrolled: this device has its own certificate now/);
  t.ok(existsSync(join(inRoot('FLOTILLA_STATE_DIR'), 'identity', 'identity.json')), 'the identity is kept in the state directory');
  const device = (await getJson(hub, ['devices'])).items.find((d) => d.metadata.name === name);
  t.match(device?.metadata.labels, { site: 'lab', role: 'test', 'flotilla.io/board': PROFILE }, "the token's, the flash's and the profile's labels");

  const pod = await applySleeperPod(t, hub, uniqueName('pod'), { nodeSelector: { site: 'lab' } });
  t.equal(pod.spec.nodeName, name, 'the pod runs on the flashed device');
});

t.test('flash refuses a hub whose CA is not the one the token pins, and writes nothing', async (t) => {
  const hub = await startHub(t, { secure: true });
  const other = await startHub(t, { secure: true });
  const token = await joinToken(hub);
  // The token of one hub, with the address of another: what a device would see if someone answered in its place.
  const [prefix, claims, secret] = token.split('.');
  const redirected = JSON.parse(Buffer.from(claims ?? '', 'base64url').toString('utf8')) as { hub: string };
  redirected.hub = other.apiUrl;
  const forged = [prefix, Buffer.from(JSON.stringify(redirected)).toString('base64url'), secret].join('.');
  const root = await tempDir(t, 'sdcard-root');
  await mkdir(join(root, 'etc'));

  const result = await cli(hub, ['flash', '--profile', PROFILE, '--token', forged, '--target', root]);
  t.equal(result.code, 1);
  t.match(result.stderr, /error: REFUSED: the CA served by https:\/\/127\.0\.0\.1:\d+ has fingerprint sha256:[0-9a-f]{64}, but the join token pins sha256:[0-9a-f]{64}\. Nothing was written\./);
  t.notOk(existsSync(join(root, 'opt')), 'nothing was written');
});
