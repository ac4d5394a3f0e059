/**
 * The hub's side of log requests, over the real embedded broker (with its ACL) and a device
 * made by hand here: an MQTT client that reads its requests and answers however the test
 * wants, out of order, twice, or not at all.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { startEmbeddedBroker } from '../../../hub/broker/embedded.js';
import { DeviceRequests, type DeviceRequestsOptions, type LogQuery, type LogReceiver } from '../../../hub/dispatch/device-requests.js';
import type { FlotillaError } from '../../../shared/errors.js';
import { decode, encode, type LogChunkMessage, type LogRequestMessage } from '../../../shared/proto/codec.js';
import { agentClientId, Topics } from '../../../shared/topics.js';

const topics = new Topics();
const log = pino({ level: 'silent' });

const QUERY: LogQuery = { namespace: 'default', podName: 'web', podUid: 'uid-1', container: 'main', follow: false, timestamps: false };

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** What a receiver heard, in order: `accepted`, `data:<text>`, `end` or `end:<code>: <message>`. */
function recorder(): LogReceiver & { heard: string[]; error: FlotillaError | undefined; ended: boolean } {
  const state = {
    heard: [] as string[],
    error: undefined as FlotillaError | undefined,
    ended: false,
    accepted() {
      state.heard.push('accepted');
    },
    data(bytes: Buffer) {
      state.heard.push(`data:${bytes.toString()}`);
    },
    end(error?: FlotillaError) {
      state.ended = true;
      state.error = error;
      state.heard.push(error ? `end:${error.code}: ${error.message}` : 'end');
    },
  };
  return state;
}

interface HandDevice {
  client: MqttClient;
  /** Requests received: id, and the decoded message. */
  requests: { id: string; request: LogRequestMessage }[];
  answer(id: string, chunk: Partial<LogChunkMessage>): Promise<void>;
}

async function setup(t: Test, options: Partial<DeviceRequestsOptions> = {}) {
  const broker = await startEmbeddedBroker({ plain: { host: '127.0.0.1', port: 0, open: true }, hubPassword: 'unused', topics, log });
  t.teardown(() => broker.close());
  const requests = await DeviceRequests.connect({ url: broker.url, topics, log, ...options });
  t.teardown(() => requests.close());
  const device = async (name: string): Promise<HandDevice> => {
    const client = await mqtt.connectAsync(broker.url, { clientId: agentClientId(name), reconnectPeriod: 0 });
    t.teardown(() => client.endAsync(true));
    const received: HandDevice['requests'] = [];
    client.on('message', (topic, payload) => {
      if (topics.parseExchange(topic)?.direction !== 'req') return;
      const request = decode('LogRequest', payload);
      received.push({ id: request.id, request });
    });
    await client.subscribeAsync(topics.deviceRequests(name), { qos: 1 });
    return {
      client,
      requests: received,
      answer: async (id, chunk) => {
        await client.publishAsync(topics.deviceResponse(name, 'logs', id), Buffer.from(encode('LogChunk', chunk)), { qos: 1 });
      },
    };
  };
  return { broker, requests, device };
}

t.test("asks the device for the pod's container log and hands on its chunks, accepted first, then the end", async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  const receiver = recorder();
  requests.openLogs('cam-1', { ...QUERY, tailLines: 10, sinceSeconds: 60, timestamps: true }, receiver);
  await until('the request', () => cam.requests.length === 1);
  const { id, request } = cam.requests[0] as HandDevice['requests'][number];
  t.match(request, { action: 'start', namespace: 'default', podName: 'web', podUid: 'uid-1', container: 'main', tailLines: 10, sinceSeconds: 60, follow: false, timestamps: true, leaseSeconds: 30 });
  await cam.answer(id, { sequence: 0 });
  await cam.answer(id, { sequence: 1, data: Buffer.from('first\n') });
  await cam.answer(id, { sequence: 2, data: Buffer.from('second\n') });
  await cam.answer(id, { sequence: 3, done: true });
  await until('the end', () => receiver.ended);
  t.same(receiver.heard, ['accepted', 'data:first\n', 'data:second\n', 'end']);
  t.equal(requests.open, 0);
});

t.test('asks for the whole log when no tail is given', async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  requests.openLogs('cam-1', QUERY, recorder());
  await until('the request', () => cam.requests.length === 1);
  t.equal(cam.requests[0]?.request.tailLines, -1);
  t.equal(cam.requests[0]?.request.sinceSeconds, 0);
});

t.test('puts chunks that arrive out of order back in order, and drops one that comes twice', async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  const receiver = recorder();
  requests.openLogs('cam-1', QUERY, receiver);
  await until('the request', () => cam.requests.length === 1);
  const id = cam.requests[0]?.id ?? '';
  for (const [sequence, text] of [
    [2, 'c'],
    [0, 'a'],
    [2, 'c'],
    [1, 'b'],
    [0, 'a'],
  ] as const) {
    await cam.answer(id, { sequence, data: Buffer.from(text) });
  }
  await cam.answer(id, { sequence: 3, done: true });
  await until('the end', () => receiver.ended);
  t.same(receiver.heard, ['accepted', 'data:a', 'data:b', 'data:c', 'end']);
});

t.test("passes on the device's refusal as the error it names, with its hint, and nothing else", async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  const receiver = recorder();
  requests.openLogs('cam-1', QUERY, receiver);
  await until('the request', () => cam.requests.length === 1);
  await cam.answer(cam.requests[0]?.id ?? '', { sequence: 0, done: true, errorCode: 'NotFound', error: 'no container of pod default/web is on device cam-1', hint: 'flotilla describe pod web' });
  await until('the end', () => receiver.ended);
  t.same(receiver.heard, ['end:NotFound: no container of pod default/web is on device cam-1']);
  t.equal(receiver.error?.hint, 'flotilla describe pod web');
  t.equal(receiver.error?.httpStatus, 404);
});

t.test('an error code the hub does not know is an internal error, not a crash', async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  const receiver = recorder();
  requests.openLogs('cam-1', QUERY, receiver);
  await until('the request', () => cam.requests.length === 1);
  await cam.answer(cam.requests[0]?.id ?? '', { sequence: 0, done: true, errorCode: 'toString', error: 'odd' });
  await until('the end', () => receiver.ended);
  t.equal(receiver.error?.code, 'Internal');
});

t.test('a device that does not answer in time ends the request with what the hub knows of it, and is told to stop', async (t) => {
  const { requests, device } = await setup(t, {
    answerTimeoutMs: 300,
    contactOf: () => ({ state: 'NotReady', lastSeen: '2026-01-02T03:04:05.000Z' }),
  });
  const cam = await device('cam-1');
  const receiver = recorder();
  requests.openLogs('cam-1', QUERY, receiver);
  await until('the end', () => receiver.ended);
  t.equal(receiver.error?.code, 'Unavailable');
  t.equal(receiver.error?.message, 'device cam-1 did not answer the log request within 300 ms; it is NotReady, and its last contact was 2026-01-02T03:04:05.000Z');
  t.match(receiver.error?.hint, /flotilla get devices cam-1/);
  await until('the cancel', () => cam.requests.some((r) => r.request.action === 'cancel'));
});

t.test('renews a follow while the device answers, and ends it when the device stops answering', async (t) => {
  const { requests, device } = await setup(t, { renewEveryMs: 200, answerTimeoutMs: 500 });
  const cam = await device('cam-1');
  const receiver = recorder();
  requests.openLogs('cam-1', { ...QUERY, follow: true }, receiver);
  await until('the request', () => cam.requests.length === 1);
  const id = cam.requests[0]?.id ?? '';
  let sequence = 0;
  await cam.answer(id, { sequence: sequence++ });
  // Answer each renew for a while, as a live device does.
  const answering = Date.now() + 1_500;
  let answered = 1;
  while (Date.now() < answering) {
    const renews = cam.requests.filter((r) => r.request.action === 'renew').length;
    while (answered <= renews) {
      await cam.answer(id, { sequence: sequence++ });
      answered++;
    }
    await sleep(20);
  }
  t.notOk(receiver.ended, 'the follow lives on while renews are answered');
  t.ok(cam.requests.filter((r) => r.request.action === 'renew').length >= 3, 'renewed every 200 ms');
  await until('the end once answers stop', () => receiver.ended, 10_000);
  t.match(receiver.error?.message, /device cam-1 stopped answering the log stream/);
});

t.test('cancel tells the device to stop, and the receiver hears nothing more', async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  const receiver = recorder();
  const exchange = requests.openLogs('cam-1', { ...QUERY, follow: true }, receiver);
  await until('the request', () => cam.requests.length === 1);
  const id = cam.requests[0]?.id ?? '';
  await cam.answer(id, { sequence: 0, data: Buffer.from('before') });
  await until('the data', () => receiver.heard.length === 2);
  exchange.cancel();
  await until('the cancel', () => cam.requests.some((r) => r.id === id && r.request.action === 'cancel'));
  await cam.answer(id, { sequence: 1, data: Buffer.from('after') });
  await sleep(200);
  t.same(receiver.heard, ['accepted', 'data:before']);
  t.equal(requests.open, 0);
});

t.test("another device's answer under the same id is not taken for this one's", async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  const other = await device('cam-2');
  const receiver = recorder();
  requests.openLogs('cam-1', QUERY, receiver);
  await until('the request', () => cam.requests.length === 1);
  const id = cam.requests[0]?.id ?? '';
  await other.answer(id, { sequence: 0, data: Buffer.from('forged') });
  await cam.answer(id, { sequence: 0, data: Buffer.from('real') });
  await cam.answer(id, { sequence: 1, done: true });
  await until('the end', () => receiver.ended);
  t.same(receiver.heard, ['accepted', 'data:real', 'end']);
});

t.test('closing ends every exchange, saying the hub is stopping, and tells the devices to stop', async (t) => {
  const { requests, device } = await setup(t);
  const cam = await device('cam-1');
  const receiver = recorder();
  requests.openLogs('cam-1', { ...QUERY, follow: true }, receiver);
  await until('the request', () => cam.requests.length === 1);
  await cam.answer(cam.requests[0]?.id ?? '', { sequence: 0 });
  await until('accepted', () => receiver.heard.length === 1);
  await requests.close();
  t.same(receiver.heard, ['accepted', 'end:Unavailable: the hub is stopping']);
  await until('the cancel', () => cam.requests.some((r) => r.request.action === 'cancel'));
});
