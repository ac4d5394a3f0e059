import t from 'tap';
import { EXCHANGE_DELIVERY, exchangeIdProblem, Topics } from '../../shared/topics.js';

const topics = new Topics();

t.test('builds request and response topics under the device', async (t) => {
  t.equal(topics.deviceRequest('cam-1', 'logs'), 'flotilla/v1/d/cam-1/req/logs');
  t.equal(topics.deviceResponse('cam-1', 'logs', 'a1b2'), 'flotilla/v1/d/cam-1/res/logs/a1b2');
  t.same(topics.deviceRequests('cam-1'), ['flotilla/v1/d/cam-1/req/logs'], 'exact topics, never a wildcard the broker would test every retained message against');
  t.equal(topics.everyDeviceResponse('logs'), 'flotilla/v1/d/+/res/logs/+');
});

t.test('requests and responses go at QoS 1 and are never retained', async (t) => {
  t.same(EXCHANGE_DELIVERY, { qos: 1, retain: false });
});

t.test('parses back the request and response topics it builds, under any prefix', async (t) => {
  for (const prefix of ['flotilla/v1', 'acme', 'acme/edge/v2']) {
    const custom = new Topics(prefix);
    t.same(custom.parseExchange(custom.deviceRequest('cam-1', 'logs')), { device: 'cam-1', direction: 'req', kind: 'logs' }, prefix);
    t.same(custom.parseExchange(custom.deviceResponse('cam-1', 'logs', 'id')), { device: 'cam-1', direction: 'res', kind: 'logs', id: 'id' }, prefix);
  }
});

t.test('a request topic is not a device channel, and a channel is not a request', async (t) => {
  t.equal(topics.parseDevice(topics.deviceRequest('cam-1', 'logs')), undefined);
  t.equal(topics.parseExchange(topics.device('cam-1', 'status')), undefined);
});

t.test('refuses exchange topics with an unknown kind or direction, a bad device or id, or extra levels', async (t) => {
  for (const topic of [
    'flotilla/v1/d/cam-1/req/exec',
    'flotilla/v1/d/cam-1/ask/logs',
    'flotilla/v1/d/Cam_1/req/logs',
    'flotilla/v1/d/cam-1/req/logs/id',
    'flotilla/v1/d/cam-1/res/logs/has+plus',
    'flotilla/v1/d/cam-1/res/logs/',
    'flotilla/v1/d/cam-1/res/logs/id/more',
    'flotilla/v1/d/cam-1/res/logs',
    'other/v1/d/cam-1/res/logs/id',
  ]) {
    t.equal(topics.parseExchange(topic), undefined, topic);
  }
});

t.test('an exchange id is one topic level of at most 64 safe characters', async (t) => {
  t.equal(exchangeIdProblem('0123abcdEF_-'), undefined);
  for (const id of ['', 'a/b', '#', '+', 'x'.repeat(65), 'dot.ted']) t.type(exchangeIdProblem(id), 'string', JSON.stringify(id));
});
