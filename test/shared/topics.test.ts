import t from 'tap';
import {
  AGENT_PUBLISHED_CHANNELS,
  agentClientId,
  CHANNEL_DELIVERY,
  DEFAULT_TOPIC_PREFIX,
  DEVICE_CHANNELS,
  deviceNameProblem,
  deviceOfClientId,
  Topics,
} from '../../shared/topics.js';

const topics = new Topics();

t.test('builds device topics under the default prefix', async (t) => {
  t.equal(DEFAULT_TOPIC_PREFIX, 'flotilla/v1');
  t.equal(topics.device('cam-1', 'desired'), 'flotilla/v1/d/cam-1/desired');
  t.equal(topics.everyDevice('heartbeat'), 'flotilla/v1/d/+/heartbeat');
  t.equal(topics.deviceTree('cam-1'), 'flotilla/v1/d/cam-1/#');
  t.equal(topics.fleetDevice('cam-1'), 'flotilla/v1/fleet/devices/cam-1');
  t.equal(topics.fleetEvents(), 'flotilla/v1/fleet/events');
});

t.test('parses back every device topic it builds', async (t) => {
  for (const prefix of [DEFAULT_TOPIC_PREFIX, 'acme', 'acme/edge/v2']) {
    const custom = new Topics(prefix);
    for (const channel of DEVICE_CHANNELS) {
      for (const device of ['cam-1', 'a', '0', 'x'.repeat(63)]) {
        t.same(custom.parseDevice(custom.device(device, channel)), { device, channel }, `${prefix} ${device} ${channel}`);
      }
    }
  }
});

t.test('parses nothing that is not exactly one device channel under its prefix', async (t) => {
  for (const topic of [
    'flotilla/v1/d/+/status',
    'flotilla/v1/d/#',
    'flotilla/v1/d/cam-1/#',
    'flotilla/v1/d/cam-1/+',
    'flotilla/v1/d/cam-1/status/extra',
    'flotilla/v1/d/cam-1',
    'flotilla/v1/d/cam-1/',
    'flotilla/v1/d//status',
    'flotilla/v1/d/cam-1/logs',
    'flotilla/v1/d/Cam-1/status',
    'flotilla/v1/d/cam_1/status',
    'flotilla/v1/d/-cam/status',
    'flotilla/v1/d/cam-/status',
    `flotilla/v1/d/${'x'.repeat(64)}/status`,
    'flotilla/v2/d/cam-1/status',
    'other/d/cam-1/status',
    '/flotilla/v1/d/cam-1/status',
    'flotilla/v1/fleet/devices/cam-1',
    'flotilla/v1/d/cam-1/Status',
  ]) {
    t.equal(topics.parseDevice(topic), undefined, topic);
  }
});

t.test('refuses a prefix with wildcards, an empty one, or one with a leading or trailing slash', async (t) => {
  for (const prefix of ['', 'a/+/b', 'a/#', '/flotilla', 'flotilla/']) {
    t.throws(() => new Topics(prefix), /topic prefix/, JSON.stringify(prefix));
  }
});

t.test("gives an agent's client id and reads the device back from it", async (t) => {
  t.equal(agentClientId('cam-1'), 'flotilla-agent-cam-1');
  t.equal(deviceOfClientId(agentClientId('cam-1')), 'cam-1');
  t.equal(deviceOfClientId('flotilla-agent-a'), 'a');
});

t.test('reads no device from a client id that is not an agent, or names an invalid device', async (t) => {
  for (const id of ['flotilla-hub-4242', 'mqttx_1234', 'flotilla-agent-', 'flotilla-agent-Cam', 'flotilla-agent-cam/1', 'flotilla-agent-cam-1/#', 'xflotilla-agent-cam-1']) {
    t.equal(deviceOfClientId(id), undefined, id);
  }
});

t.test('explains what is wrong with a device name', async (t) => {
  t.equal(deviceNameProblem('cam-1'), undefined);
  t.equal(deviceNameProblem(''), 'must not be empty');
  t.equal(deviceNameProblem('x'.repeat(64)), 'must be at most 63 characters');
  t.match(deviceNameProblem('cam+1'), /lower-case letters, digits and "-"/);
  t.match(deviceNameProblem('cam#'), /lower-case/);
});

t.test('retains desired state and lets agents publish only their uplink channels', async (t) => {
  t.same(CHANNEL_DELIVERY.desired, { qos: 1, retain: true });
  for (const channel of DEVICE_CHANNELS) {
    if (channel !== 'desired') t.equal(CHANNEL_DELIVERY[channel].retain, false, `${channel} is not retained`);
  }
  t.same([...AGENT_PUBLISHED_CHANNELS].sort(), ['birth', 'death', 'events', 'heartbeat', 'podstats', 'status']);
});

t.test('delivers device events at least once, as status reports are', async (t) => {
  t.same(CHANNEL_DELIVERY.events, { qos: 1, retain: false });
  t.equal(topics.device('cam-1', 'events'), 'flotilla/v1/d/cam-1/events');
  t.equal(topics.everyDevice('events'), 'flotilla/v1/d/+/events');
});

t.test('builds the fleet topics, all under {prefix}/fleet/, and parses back only those', async (t) => {
  t.equal(topics.fleetSummary(), 'flotilla/v1/fleet/summary');
  t.equal(topics.everyFleetDevice(), 'flotilla/v1/fleet/devices/+');
  t.equal(topics.fleetTree(), 'flotilla/v1/fleet/#');
  const custom = new Topics('acme/edge');
  t.same(custom.parseFleet(custom.fleetSummary()), { topic: 'summary' });
  t.same(custom.parseFleet(custom.fleetEvents()), { topic: 'events' });
  t.same(custom.parseFleet(custom.fleetDevice('cam-1')), { topic: 'device', device: 'cam-1' });
  for (const topic of [
    'acme/edge/fleet/devices/Cam_1',
    'acme/edge/fleet/devices/cam-1/x',
    'acme/edge/fleet/devices',
    'acme/edge/fleet/summary/x',
    'acme/edge/fleet/other',
    'flotilla/v1/fleet/summary',
    custom.device('cam-1', 'status'),
  ]) {
    t.equal(custom.parseFleet(topic), undefined, topic);
  }
});
