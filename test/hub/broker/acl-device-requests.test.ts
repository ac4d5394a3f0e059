import t from 'tap';
import { publishDenial, subscribeDenial, watcherPublishDenial, watcherSubscribeDenial } from '../../../hub/broker/acl.js';
import { agentClientId, Topics } from '../../../shared/topics.js';

const topics = new Topics();
const CAM = agentClientId('cam-1');
const HUB = 'flotilla-hub-requests-4242-abc123';

t.test('a device answers on its own response topics', async (t) => {
  t.equal(publishDenial(topics, CAM, topics.deviceResponse('cam-1', 'logs', 'abc')), undefined);
});

t.test("a device may not answer for another device, nor make requests, its own or another's", async (t) => {
  t.equal(publishDenial(topics, CAM, topics.deviceResponse('cam-2', 'logs', 'abc')), 'device cam-1 may only publish under flotilla/v1/d/cam-1/#');
  t.match(publishDenial(topics, CAM, topics.deviceRequest('cam-1', 'logs')), /device cam-1 may not publish requests to itself/);
  t.equal(publishDenial(topics, CAM, topics.deviceRequest('cam-2', 'logs')), 'device cam-1 may only publish under flotilla/v1/d/cam-1/#');
});

t.test('the hub makes requests to any device, and never answers for one', async (t) => {
  t.equal(publishDenial(topics, HUB, topics.deviceRequest('cam-1', 'logs')), undefined);
  t.equal(publishDenial(topics, HUB, topics.deviceResponse('cam-1', 'logs', 'abc')), 'only device cam-1 may answer on flotilla/v1/d/cam-1/res/logs/abc');
});

t.test('a device reads its own requests only, and nobody else\'s answers', async (t) => {
  for (const filter of topics.deviceRequests('cam-1')) t.equal(subscribeDenial(topics, CAM, filter), undefined, filter);
  for (const filter of [
    ...topics.deviceRequests('cam-2'),
    topics.deviceRequest('cam-2', 'logs'),
    topics.everyDeviceResponse('logs'),
    'flotilla/v1/d/cam-1/res/#',
    'flotilla/v1/d/+/req/#',
    'flotilla/v1/d/cam-1/req/#',
  ]) {
    t.type(subscribeDenial(topics, CAM, filter), 'string', filter);
  }
});

t.test('the hub reads every device\'s answers', async (t) => {
  t.equal(subscribeDenial(topics, HUB, topics.everyDeviceResponse('logs')), undefined);
});

t.test('a watcher neither reads requests or answers nor makes them', async (t) => {
  for (const filter of [...topics.deviceRequests('cam-1'), topics.everyDeviceResponse('logs'), 'flotilla/v1/d/#']) {
    t.type(watcherSubscribeDenial(topics, 'dashboard', filter), 'string', filter);
  }
  t.match(watcherPublishDenial('dashboard', topics.deviceRequest('cam-1', 'logs')), /may not publish/);
});
