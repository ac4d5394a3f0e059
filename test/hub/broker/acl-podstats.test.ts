/** Who may publish and read a device's per-pod figures (the podstats channel). */
import t from 'tap';
import { publishDenial, subscribeDenial, watcherSubscribeDenial } from '../../../hub/broker/acl.js';
import { agentClientId, CHANNEL_DELIVERY, Topics } from '../../../shared/topics.js';

const topics = new Topics();

t.test('an agent may publish the figures of its own pods, and of no other device', async (t) => {
  t.equal(publishDenial(topics, agentClientId('cam-1'), topics.device('cam-1', 'podstats')), undefined);
  t.equal(publishDenial(topics, agentClientId('cam-1'), topics.device('cam-2', 'podstats')), 'device cam-1 may only publish under flotilla/v1/d/cam-1/#');
});

t.test("no other client may publish a device's figures for it", async (t) => {
  t.equal(publishDenial(topics, 'node-red-dashboard', topics.device('cam-1', 'podstats')), 'only device cam-1 may publish on flotilla/v1/d/cam-1/podstats');
});

t.test('an agent may not read the figures of other devices, nor a watcher those of any', async (t) => {
  t.match(subscribeDenial(topics, agentClientId('cam-1'), topics.everyDevice('podstats')), /device cam-1 may only subscribe/);
  t.match(watcherSubscribeDenial(topics, 'grafana', topics.device('cam-1', 'podstats')), /may only subscribe under flotilla\/v1\/fleet/);
});

t.test('figures go at QoS 0 and are not retained: the next report replaces a lost one', async (t) => {
  t.same(CHANNEL_DELIVERY.podstats, { qos: 0, retain: false });
  t.same(topics.parseDevice('flotilla/v1/d/cam-1/podstats'), { device: 'cam-1', channel: 'podstats' });
});
