import { pino } from 'pino';
import mqtt, { type MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../hub/broker/embedded.js';
import { hasWildcard } from '../../../hub/broker/retained-index.js';
import { Topics } from '../../../shared/topics.js';

async function broker(t: Test): Promise<EmbeddedBroker> {
  const started = await startEmbeddedBroker({ plain: { host: '127.0.0.1', port: 0, open: true }, hubPassword: 'unused', topics: new Topics(), log: pino({ level: 'silent' }) });
  t.teardown(() => started.close());
  return started;
}

async function client(t: Test, url: string, clientId: string): Promise<MqttClient> {
  const connected = mqtt.connect(url, { clientId, reconnectPeriod: 0 });
  t.teardown(() => connected.endAsync(true));
  await new Promise((resolve, reject) => connected.once('connect', resolve).once('error', reject));
  return connected;
}

/** What arrives on the client within a short while after it subscribes to `filters`. */
async function retainedOnSubscribe(c: MqttClient, filters: string[]): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  c.on('message', (topic, payload, packet) => {
    if (packet.retain) seen[topic] = payload.toString();
  });
  await c.subscribeAsync(filters, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  return seen;
}

t.test('a subscriber to an exact topic gets that retained message and no other', async (t) => {
  const { url } = await broker(t);
  const hub = await client(t, url, 'flotilla-hub-1');
  await hub.publishAsync('flotilla/v1/d/cam-1/desired', 'one', { retain: true, qos: 1 });
  await hub.publishAsync('flotilla/v1/d/cam-2/desired', 'two', { retain: true, qos: 1 });
  const agent = await client(t, url, 'flotilla-agent-cam-1');
  t.same(await retainedOnSubscribe(agent, ['flotilla/v1/d/cam-1/desired']), { 'flotilla/v1/d/cam-1/desired': 'one' });
});

t.test('a retained message replaced or cleared is delivered as it now stands', async (t) => {
  const { url } = await broker(t);
  const hub = await client(t, url, 'flotilla-hub-1');
  await hub.publishAsync('flotilla/v1/d/cam-1/desired', 'old', { retain: true, qos: 1 });
  await hub.publishAsync('flotilla/v1/d/cam-1/desired', 'new', { retain: true, qos: 1 });
  await hub.publishAsync('flotilla/v1/d/cam-2/desired', 'gone', { retain: true, qos: 1 });
  await hub.publishAsync('flotilla/v1/d/cam-2/desired', '', { retain: true, qos: 1 });
  const first = await client(t, url, 'flotilla-agent-cam-1');
  t.same(await retainedOnSubscribe(first, ['flotilla/v1/d/cam-1/desired']), { 'flotilla/v1/d/cam-1/desired': 'new' });
  const second = await client(t, url, 'flotilla-agent-cam-2');
  t.same(await retainedOnSubscribe(second, ['flotilla/v1/d/cam-2/desired']), {}, 'a cleared message is not delivered');
  const viewer = await client(t, url, 'dashboard');
  t.same(
    await retainedOnSubscribe(viewer, ['flotilla/v1/d/+/desired', 'flotilla/v1/d/cam-1/desired']),
    { 'flotilla/v1/d/cam-1/desired': 'new' },
    'exact and wildcard filters in one subscribe both deliver',
  );
});

t.test('a wildcard subscriber still gets every retained message it matches', async (t) => {
  const { url } = await broker(t);
  const hub = await client(t, url, 'flotilla-hub-1');
  await hub.publishAsync('flotilla/v1/fleet/devices/cam-1', '{"state":"Ready"}', { retain: true, qos: 1 });
  await hub.publishAsync('flotilla/v1/fleet/devices/cam-2', '{"state":"Offline"}', { retain: true, qos: 1 });
  const watcher = await client(t, url, 'dashboard');
  t.same(await retainedOnSubscribe(watcher, ['flotilla/v1/fleet/devices/+']), {
    'flotilla/v1/fleet/devices/cam-1': '{"state":"Ready"}',
    'flotilla/v1/fleet/devices/cam-2': '{"state":"Offline"}',
  });
});

t.test('only + and # make a filter a wildcard', async (t) => {
  t.equal(hasWildcard('flotilla/v1/d/cam-1/desired'), false);
  t.equal(hasWildcard('flotilla/v1/d/+/status'), true);
  t.equal(hasWildcard('flotilla/#'), true);
});
