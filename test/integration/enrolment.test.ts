/**
 * Joining a locked-down hub as users do: `flotilla token create`, an agent started with the
 * token, the device Ready with the token's labels and running a pod; tokens that are used up,
 * revoked or expired refused; a removed device shut out; watchers and viewers reading only.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseJoinToken } from '../../shared/join-token.js';
import { agentClientId, Topics } from '../../shared/topics.js';
import { call } from '../../scripts/bench/hub-access.js';
import { applySleeperPod, cli, deviceState, getJson, joinToken, startAgent, startHub, tempDir, uniqueName, waitFor, type AgentProcess } from '../helpers/fleet.js';

const topics = new Topics();

/** What the agent printed by the time it exited. */
async function exitedWith(agent: AgentProcess): Promise<{ code: number | null; output: string }> {
  const code = await Promise.race([agent.process.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000))]);
  if (code === 'running') throw new Error(`agent ${agent.name} is still running:\n${agent.process.output}`);
  return { code, output: agent.process.output };
}

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}

t.test('an agent enrols with a token, is Ready with its labels, runs a pod, and stops getting in once removed', async (t) => {
  const hub = await startHub(t, { secure: true });
  const token = await joinToken(hub, ['--labels', 'site=plant-3,tier=edge', '--uses', '2', '--ttl', '1h']);
  const agent = await startAgent(t, hub, { token });
  await waitFor(`${agent.name} Ready`, async () => (await deviceState(hub, agent.name)) === 'Ready', 60_000);
  const device = (await getJson(hub, ['devices'])).items.find((d) => d.metadata.name === agent.name);
  t.match(device?.metadata.labels, { site: 'plant-3', tier: 'edge', role: 'test' }, "the token's labels and the agent's own");
  t.match(device?.status.identity, { joinToken: /^[0-9a-f]{12}$/, certificateFingerprint: /^sha256:/ });
  t.match(readFileSync(join(agent.stateDir, 'identity', 'identity.json'), 'utf8'), /mqtts:\/\/127\.0\.0\.1:\d+/, 'the identity is kept on the device');

  const pod = await applySleeperPod(t, hub, uniqueName('pod'), { nodeSelector: { site: 'plant-3' } });
  t.equal(pod.spec.nodeName, agent.name, 'the pod runs on the enrolled device');

  const tokens = await cli(hub, ['token', 'list']);
  t.match(tokens.stdout, /Usable\s+1\/2/, 'the token counts its use');

  // A restarted hub knows the device by the certificate it enrolled with.
  await hub.stop();
  const ports = (url: string) => Number(new URL(url).port);
  const restarted = await startHub(t, { secure: true, dataDir: hub.dataDir, httpPort: ports(hub.apiUrl), mqttPort: ports(hub.mqttUrl), mqttTlsPort: ports(hub.mqttTlsUrl) });
  await waitFor(`${agent.name} Ready again after the hub restarted`, async () => {
    const device = (await getJson(restarted, ['devices'])).items.find((d) => d.metadata.name === agent.name);
    return device?.status?.state === 'Ready' && Date.now() - Date.parse(device.status.lastSeen) < 3_000;
  }, 60_000);
  t.pass('the device reconnected with its certificate');

  const removed = await cli(restarted, ['device', 'remove', agent.name]);
  t.equal(removed.code, 0, removed.stderr);
  await waitFor('the agent told that it was refused', () => /refused this device's credentials/.test(agent.process.output), 30_000);
  t.notOk((await getJson(restarted, ['devices'])).items.some((d) => d.metadata.name === agent.name), 'the device stays removed');
});

t.test('a used-up, revoked or expired token is refused with a message that says so, and nothing joins', async (t) => {
  const hub = await startHub(t, { secure: true });
  const once = await joinToken(hub, ['--uses', '1']);
  const first = await startAgent(t, hub, { token: once });
  await waitFor(`${first.name} Ready`, async () => (await deviceState(hub, first.name)) === 'Ready', 60_000);
  const second = await exitedWith(await startAgent(t, hub, { token: once }));
  t.not(second.code, 0);
  t.match(second.output, /used up/);
  t.match(second.output, /flotilla token create/, 'it says what to do');

  const revokedToken = await joinToken(hub);
  t.equal((await cli(hub, ['token', 'revoke', parseJoinToken(revokedToken).claims.id])).code, 0);
  const revoked = await exitedWith(await startAgent(t, hub, { token: revokedToken }));
  t.match(revoked.output, /revoked/);

  const shortLived = await joinToken(hub, ['--ttl', '1']);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const expired = await exitedWith(await startAgent(t, hub, { token: shortLived }));
  t.match(expired.output, /expired/);

  const names = (await getJson(hub, ['devices'])).items.map((d) => d.metadata.name);
  t.same(names, [first.name], 'only the first device joined');
});

t.test("with mosquitto's clients, an enrolled device reads its own desired state and not another's; a viewer watches the fleet but cannot apply", async (t) => {
  const hub = await startHub(t, { secure: true });
  const token = await joinToken(hub);
  const a = await startAgent(t, hub, { token });
  const b = await startAgent(t, hub, { token });
  for (const agent of [a, b]) await waitFor(`${agent.name} Ready`, async () => (await deviceState(hub, agent.name)) === 'Ready', 60_000);
  await applySleeperPod(t, hub, uniqueName('pod'), { nodeName: b.name });

  const port = new URL(hub.mqttTlsUrl).port;
  const identity = join(a.stateDir, 'identity');
  const asA = ['-h', '127.0.0.1', '-p', port, '--cafile', join(identity, 'ca.crt'), '--cert', join(identity, 'device.crt'), '--key', join(identity, 'device.key')];
  const own = await run('mosquitto_sub', [...asA, '-i', `${agentClientId(a.name)}-x`, '-t', topics.device(a.name, 'desired'), '-C', '1', '-W', '3']);
  t.not(own.code, 0, "a's certificate does not get in under another client id");
  const other = await run('mosquitto_sub', [...asA, '-t', topics.device(b.name, 'desired'), '-C', '1', '-W', '3']);
  t.equal(other.stdout, '', "a's certificate reads nothing of b's desired state");
  const none = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '--cafile', join(identity, 'ca.crt'), '-t', '#', '-C', '1', '-W', '3']);
  t.not(none.code, 0, 'no credentials, no connection');

  const granted = await cli(hub, ['access', 'grant', 'dashboard', '--role', 'viewer']);
  t.equal(granted.code, 0, granted.stderr);
  const viewerToken = granted.stdout.trim();
  const watcher = await run('mosquitto_sub', [
    '-h', '127.0.0.1', '-p', port, '--cafile', join(identity, 'ca.crt'), '-u', 'dashboard', '-P', viewerToken,
    '-t', `${topics.prefix}/fleet/devices/${a.name}`, '-C', '1', '-W', '5',
  ]);
  t.match(JSON.parse(watcher.stdout), { name: a.name }, 'a watcher with a viewer token reads the fleet topics');

  const manifests = await tempDir(t, 'manifests');
  const file = join(manifests, 'pod.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nope' }, spec: { containers: [{ name: 'm', image: 'x' }] } }));
  const asViewer = await cli(hub, ['apply', '-f', file], undefined, { FLOTILLA_TOKEN: viewerToken });
  t.not(asViewer.code, 0);
  t.match(asViewer.stderr, /needs the operator role/);
  const anonymous = await call(hub.admin, 'GET', '/api/v1/pods', undefined, null);
  t.equal(anonymous.status, 401, 'no token, no answer');
});
