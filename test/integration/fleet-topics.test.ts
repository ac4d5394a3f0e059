/**
 * The fleet topics as a third-party tool reads them: Mosquitto's own `mosquitto_sub`, logged
 * in to the hub's broker as a watcher with a viewer's access token, follows a device that
 * joins, goes offline (its agent killed) and comes back; `/metrics` counts it; `flotilla
 * watch --once` and `get events --for` show it.
 *
 * The hub runs with notReadyAfter 4 s and offlineAfter 8 s, the agent with 1 s heartbeats.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import type { FleetDeviceHealth, FleetEvent, FleetSummary } from '../../shared/fleet.js';
import { httpRequest } from '../../shared/http-client.js';
import { Topics } from '../../shared/topics.js';
import { cli, joinToken, restartAgent, startAgent, startHub, waitFor, type HubProcess } from '../helpers/fleet.js';

const topics = new Topics();

interface Message {
  topic: string;
  payload: unknown;
}

/** `mosquitto_sub -v` on the fleet topics as a watcher; every message it prints, parsed. */
function subscribe(t: Test, hub: HubProcess, user: string, token: string): { messages: Message[]; output: () => string } {
  const port = new URL(hub.mqttTlsUrl).port;
  const child = spawn(
    'mosquitto_sub',
    ['-h', '127.0.0.1', '-p', port, '--cafile', join(hub.dataDir, 'pki', 'ca.crt'), '-u', user, '-P', token, '-i', `test-watcher-${process.pid}`, '-v', '-t', topics.fleetTree()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => void child.kill());
  const messages: Message[] = [];
  let pending = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const space = line.indexOf(' ');
      const topic = space < 0 ? line : line.slice(0, space);
      const text = space < 0 ? '' : line.slice(space + 1);
      messages.push({ topic, payload: text === '' ? null : JSON.parse(text) });
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return { messages, output: () => errors };
}

/** The first message after `from` on `topic` that `matches`. */
function seen<T>(messages: Message[], from: number, topic: string, matches: (payload: T) => boolean): T | undefined {
  return messages.slice(from).find((m) => m.topic === topic && m.payload !== null && matches(m.payload as T))?.payload as T | undefined;
}

async function metricsText(hub: HubProcess, token: string): Promise<string> {
  const response = await httpRequest({ url: `${hub.apiUrl}/metrics`, method: 'GET', headers: { authorization: `Bearer ${token}` }, ca: hub.admin.caPem });
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${response.body.toString()}`);
  return response.body.toString('utf8');
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test("mosquitto_sub as a watcher sees a device join, go offline when its agent is killed, and come back, in versioned JSON", async (t) => {
  const hub = await startHub(t, { secure: true });
  const granted = await cli(hub, ['access', 'grant', 'dashboard', '--role', 'viewer']);
  t.equal(granted.code, 0, granted.stderr);
  const viewerToken = granted.stdout.trim();
  const sub = subscribe(t, hub, 'dashboard', viewerToken);
  await waitFor('the retained summary of an empty fleet', () => seen<FleetSummary>(sub.messages, 0, topics.fleetSummary(), (s) => s.devices.total === 0) ?? (sub.output() ? Promise.reject(new Error(sub.output())) : undefined), 30_000);

  const agent = await startAgent(t, hub, { token: await joinToken(hub, ['--labels', 'site=plant-3']) });
  const joined = await waitFor(`${agent.name} Ready on its topic`, () => seen<FleetDeviceHealth>(sub.messages, 0, topics.fleetDevice(agent.name), (d) => d.state === 'Ready'), 60_000);
  t.match(joined, { schema: 'flotilla.fleet.device/v1', name: agent.name, labels: { site: 'plant-3' }, cordoned: false, bdSeq: Number, pods: { total: 0 } });
  // A device that joins with a join token is told by its enrolment.
  const registered = await waitFor('the Enrolled event', () => seen<FleetEvent>(sub.messages, 0, topics.fleetEvents(), (e) => e.reason === 'Enrolled' && e.device === agent.name));
  t.match(registered, { schema: 'flotilla.fleet.event/v1', type: 'Normal', object: { kind: 'Device', name: agent.name }, source: 'hub' });
  const counted = await waitFor('the summary counting it Ready in its site', () =>
    seen<FleetSummary>(sub.messages, 0, topics.fleetSummary(), (s) => s.devices.byState.Ready === 1 && s.groups['site']?.['plant-3']?.Ready === 1),
  );
  t.equal(counted.devices.total, 1);
  await waitFor('heartbeat figures in its document', () => seen<FleetDeviceHealth>(sub.messages, 0, topics.fleetDevice(agent.name), (d) => d.usage !== undefined && d.lastSeen !== undefined), 60_000);

  // Metrics while it is Ready: the device counted, its heartbeats counting up.
  const first = await metricsText(hub, viewerToken);
  t.equal(sample(first, 'flotilla_devices{state="Ready"}'), 1, '/metrics counts the device Ready');
  t.equal(sample(first, 'flotilla_broker_connections{client="device"}'), 1, 'and its connection');
  const beats = sample(first, 'flotilla_heartbeats_total') ?? 0;
  t.ok(beats >= 1, `heartbeats counted (${beats})`);
  await waitFor('more heartbeats counted', async () => (sample(await metricsText(hub, viewerToken), 'flotilla_heartbeats_total') ?? 0) > beats, 15_000);

  const watched = await cli(hub, ['watch', '--once', '-l', 'site=plant-3']);
  t.equal(watched.code, 0, watched.stderr);
  t.match(watched.stdout, new RegExp(`^devices: 1 \\(1 Ready\\)`), 'flotilla watch --once shows the summary');
  t.match(watched.stdout, new RegExp(`\\n${agent.name}\\s+Ready\\s+0/0\\s+\\d+%\\s+\\S+/\\S+\\s+\\d+s\\n`), 'and the device');

  const beforeKill = sub.messages.length;
  await agent.kill();
  const lost = await waitFor('NotReady by its Last Will', () => seen<FleetDeviceHealth>(sub.messages, beforeKill, topics.fleetDevice(agent.name), (d) => d.state === 'NotReady'), 15_000);
  t.equal(lost.message, 'connection lost (MQTT Last Will)');
  t.ok(seen<FleetEvent>(sub.messages, beforeKill, topics.fleetEvents(), (e) => e.reason === 'NotReady' && e.type === 'Warning' && e.device === agent.name), 'a NotReady event');
  const offline = await waitFor('Offline', () => seen<FleetDeviceHealth>(sub.messages, beforeKill, topics.fleetDevice(agent.name), (d) => d.state === 'Offline'), 30_000);
  t.match(offline, { offlineSince: String });
  await waitFor('an Offline event', () => seen<FleetEvent>(sub.messages, beforeKill, topics.fleetEvents(), (e) => e.reason === 'Offline' && e.device === agent.name));
  await waitFor('the summary counting it Offline', () => seen<FleetSummary>(sub.messages, beforeKill, topics.fleetSummary(), (s) => s.devices.byState.Offline === 1 && s.devices.byState.Ready === 0));

  const beforeReturn = sub.messages.length;
  await restartAgent(t, hub, agent);
  const back = await waitFor('Ready again', () => seen<FleetDeviceHealth>(sub.messages, beforeReturn, topics.fleetDevice(agent.name), (d) => d.state === 'Ready'), 60_000);
  t.ok((back.bdSeq ?? 0) > (joined.bdSeq ?? 0), 'in a new session');
  t.notOk('offlineSince' in back, 'no longer Offline since anything');
  const returned = await waitFor('a BackOnline event', () => seen<FleetEvent>(sub.messages, beforeReturn, topics.fleetEvents(), (e) => e.reason === 'BackOnline' && e.device === agent.name));
  t.match(returned.message, /^device is back \(was Offline\)/);

  const events = await cli(hub, ['get', 'events', '--for', `device/${agent.name}`]);
  t.equal(events.code, 0, events.stderr);
  const reasons = events.stdout.split('\n').slice(1).map((line) => line.split(/\s{3,}/)[2]).filter(Boolean);
  // A loaded machine may stretch a heartbeat past the 4 s threshold once more: what counts is the order.
  const expected = ['Enrolled', 'NotReady', 'Offline', 'BackOnline'];
  const found = reasons.reduce((next, reason) => (reason === expected[next] ? next + 1 : next), 0);
  t.equal(found, expected.length, `get events --for lists them oldest first (${reasons.join(', ')})`);
  t.equal(sub.output(), '', 'mosquitto_sub had nothing to complain about');
});

t.test('a watcher token cannot read device topics or publish, and get events --watch follows new events live', async (t) => {
  const hub = await startHub(t);
  const granted = await cli(hub, ['access', 'grant', 'dashboard', '--role', 'viewer']);
  const token = granted.stdout.trim();
  const port = new URL(hub.mqttTlsUrl).port;
  const base = ['-h', '127.0.0.1', '-p', port, '--cafile', join(hub.dataDir, 'pki', 'ca.crt'), '-u', 'dashboard', '-P', token];
  const run = (command: string, args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => resolve({ code, output }));
    });
  const denied = await run('mosquitto_sub', [...base, '-t', topics.everyDevice('desired'), '-C', '1', '-W', '3']);
  t.not(denied.code, 0, `nothing of the device topics (${denied.output.trim()})`);
  const published = await run('mosquitto_pub', [...base, '-t', topics.fleetEvents(), '-m', '{}', '-q', '1']);
  t.not(published.code, 0, 'a watcher may not publish');

  const follow = spawn(process.execPath, ['--import', 'tsx', join('hub', 'cli', 'flotilla.ts'), 'get', 'events', '-A', '--watch'], {
    env: { ...process.env, FLOTILLA_CONFIG: hub.adminConfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => void follow.kill());
  let followed = '';
  follow.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
  follow.stderr.on('data', (chunk: Buffer) => (followed += chunk.toString()));
  await waitFor('get events --watch listening', () => /No events found|LAST-SEEN/.test(followed) || follow.exitCode !== null || undefined, 30_000).catch(() => undefined);
  // The listing comes after the subscription: anything from here on is followed live.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const agent = await startAgent(t, hub);
  await waitFor('the device joining, followed', () => new RegExp(`Registered\\s+device/${agent.name}`).test(followed), 60_000);
  t.notMatch(followed, /polling the API/, 'from the fleet events topic, not by polling');
});
