import t from 'tap';
import { publishDenial, subscribeDenial, watcherPublishDenial, watcherSubscribeDenial } from '../../../hub/broker/acl.js';
import { agentClientId, Topics, type DeviceChannel } from '../../../shared/topics.js';

const topics = new Topics();
const CAM = agentClientId('cam-1');
const HUB = 'flotilla-hub-4242';
const DASHBOARD = 'node-red-dashboard';

t.test('an agent may publish its own birth, death, heartbeat, status and events', async (t) => {
  for (const channel of ['birth', 'death', 'heartbeat', 'status', 'events'] as const) {
    t.equal(publishDenial(topics, CAM, topics.device('cam-1', channel)), undefined, channel);
  }
});

t.test('an agent may not publish its own desired state', async (t) => {
  t.equal(publishDenial(topics, CAM, topics.device('cam-1', 'desired')), 'device cam-1 may not publish on its desired channel');
});

t.test("an agent may not publish on another device's channels", async (t) => {
  for (const channel of ['birth', 'death', 'heartbeat', 'status', 'events', 'desired'] as const) {
    t.equal(
      publishDenial(topics, CAM, topics.device('cam-2', channel)),
      'device cam-1 may only publish under flotilla/v1/d/cam-1/#',
      channel,
    );
  }
});

t.test('an agent may not publish fleet topics, unknown channels of its own tree or anything outside it', async (t) => {
  for (const topic of [
    topics.fleetDevice('cam-1'),
    topics.fleetEvents(),
    'flotilla/v1/d/cam-1/logs',
    'flotilla/v1/d/cam-1/status/extra',
    'flotilla/v1/d/cam-1',
    'home/livingroom/light',
  ]) {
    t.type(publishDenial(topics, CAM, topic), 'string', topic);
  }
});

t.test('other clients may publish desired state and fleet topics', async (t) => {
  for (const client of [HUB, DASHBOARD]) {
    t.equal(publishDenial(topics, client, topics.device('cam-1', 'desired')), undefined, `${client}: desired`);
    t.equal(publishDenial(topics, client, topics.fleetDevice('cam-1')), undefined, `${client}: fleet device`);
    t.equal(publishDenial(topics, client, topics.fleetEvents()), undefined, `${client}: fleet events`);
  }
});

t.test("other clients may not speak for a device on its uplink channels", async (t) => {
  for (const channel of ['birth', 'death', 'heartbeat', 'status', 'events'] as const satisfies readonly DeviceChannel[]) {
    t.equal(publishDenial(topics, HUB, topics.device('cam-1', channel)), `only device cam-1 may publish on flotilla/v1/d/cam-1/${channel}`, channel);
  }
});

t.test('other clients may not publish malformed topics under the device tree', async (t) => {
  for (const topic of ['flotilla/v1/d/cam-1/logs', 'flotilla/v1/d/Cam_1/desired', 'flotilla/v1/d/cam-1/desired/x', 'flotilla/v1/d/']) {
    t.equal(publishDenial(topics, HUB, topic), `${topic} is not a device topic`, topic);
  }
});

t.test('nobody may publish on $SYS topics', async (t) => {
  for (const client of [CAM, HUB, DASHBOARD]) {
    t.equal(publishDenial(topics, client, '$SYS/broker/uptime'), '$SYS/ topics are reserved for the broker', client);
  }
});

t.test('a client id in the agent form with an invalid device name gets no device rights', async (t) => {
  const fake = 'flotilla-agent-Cam_1';
  t.type(publishDenial(topics, fake, 'flotilla/v1/d/cam-1/status'), 'string');
});

t.test('an agent may subscribe only to its own desired state and its own requests', async (t) => {
  t.equal(subscribeDenial(topics, CAM, topics.device('cam-1', 'desired')), undefined);
  for (const filter of topics.deviceRequests('cam-1')) t.equal(subscribeDenial(topics, CAM, filter), undefined, filter);
  const refused = 'device cam-1 may only subscribe to flotilla/v1/d/cam-1/desired and flotilla/v1/d/cam-1/req/logs';
  for (const filter of [
    topics.device('cam-2', 'desired'),
    topics.deviceTree('cam-1'),
    topics.everyDevice('desired'),
    topics.device('cam-1', 'status'),
    'flotilla/v1/#',
    '#',
    '$SYS/#',
  ]) {
    t.equal(subscribeDenial(topics, CAM, filter), refused, filter);
  }
});

t.test('other clients may subscribe to what devices send and to the fleet topics', async (t) => {
  for (const filter of [topics.everyDevice('heartbeat'), topics.deviceTree('cam-1'), 'flotilla/v1/fleet/#', 'flotilla/#']) {
    t.equal(subscribeDenial(topics, DASHBOARD, filter), undefined, filter);
  }
});

t.test('follows a configured topic prefix', async (t) => {
  const custom = new Topics('acme/edge');
  t.equal(publishDenial(custom, CAM, 'acme/edge/d/cam-1/status'), undefined);
  t.type(publishDenial(custom, CAM, 'flotilla/v1/d/cam-1/status'), 'string');
  t.type(publishDenial(custom, HUB, 'acme/edge/d/cam-1/heartbeat'), 'string');
  t.equal(subscribeDenial(custom, CAM, 'acme/edge/d/cam-1/desired'), undefined);
});

t.test('a watcher may subscribe to the fleet topics and to nothing outside them', async (t) => {
  for (const filter of [topics.fleetTree(), topics.fleetSummary(), topics.everyFleetDevice(), topics.fleetDevice('cam-1'), topics.fleetEvents()]) {
    t.equal(watcherSubscribeDenial(topics, 'dashboard', filter), undefined, filter);
  }
  for (const filter of ['#', 'flotilla/#', 'flotilla/v1/#', 'flotilla/v1/+/devices/cam-1', '+/v1/fleet/#', 'flotilla/v1/fleet', topics.everyDevice('desired'), topics.deviceTree('cam-1'), '$SYS/#']) {
    t.equal(watcherSubscribeDenial(topics, 'dashboard', filter), 'watcher dashboard may only subscribe under flotilla/v1/fleet/#', filter);
  }
});

t.test('a watcher may publish nothing, not even on the fleet topics', async (t) => {
  for (const topic of [topics.fleetEvents(), topics.fleetSummary(), topics.fleetDevice('cam-1')]) {
    t.equal(watcherPublishDenial('dashboard', topic), `watcher dashboard may not publish (${topic}); watchers read the fleet topics only`);
  }
});
