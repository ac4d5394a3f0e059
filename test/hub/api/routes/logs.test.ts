/**
 * The pod log endpoint over real HTTP, with a device log source played by the test: what the
 * API refuses before asking a device, and how it streams what the device sends, ends on its
 * error, and stops the device when the reader leaves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { parseLogParameters } from '../../../../hub/api/routes/logs.js';
import { buildApi } from '../../../../hub/api/server.js';
import { createAccessToken, parseAccessToken, verifyAccessToken } from '../../../../hub/auth/access-token.js';
import { openAuthority } from '../../../../hub/auth/authority.js';
import type { DeviceLogSource, LogQuery, LogReceiver } from '../../../../hub/dispatch/device-requests.js';
import { openStore } from '../../../../hub/store/index.js';
import type { Store } from '../../../../hub/store/store.js';
import { FlotillaError, type ErrorBody } from '../../../../shared/errors.js';
import type { Device, DeviceState, Pod } from '../../../../shared/objects.js';

interface Opened {
  device: string;
  query: LogQuery;
  receiver: LogReceiver;
  cancelled: boolean;
}

interface Api {
  url: string;
  store: Store;
  token: string;
  viewerToken: string;
  opened: Opened[];
  lastSeen: Map<string, string>;
  /** Stops the API (the teardown does it when the test has not). */
  close(): Promise<void>;
}

async function setup(t: Test): Promise<Api> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-logs-api-'));
  const store = await openStore('level', { dataDir });
  const authority = await openAuthority(join(dataDir, 'pki'));
  const admin = createAccessToken({ name: 'admin', role: 'admin' });
  const viewer = createAccessToken({ name: 'dashboards', role: 'viewer' });
  await store.create(admin.object);
  await store.create(viewer.object);
  const opened: Opened[] = [];
  const logs: DeviceLogSource = {
    openLogs(device, query, receiver) {
      const entry: Opened = { device, query, receiver, cancelled: false };
      opened.push(entry);
      return { cancel: () => (entry.cancelled = true) };
    },
  };
  const lastSeen = new Map<string, string>();
  const app = buildApi({
    store,
    logs,
    deviceLive: (name) => (lastSeen.has(name) ? { lastSeen: lastSeen.get(name) as string } : undefined),
    logger: pino({ level: 'silent' }),
    access: {
      authenticate: async (text) => verifyAccessToken(text, await store.get('AccessToken', undefined, parseAccessToken(text)?.name ?? '')),
      authority,
      deviceBrokerUrl: () => 'mqtts://localhost:8883',
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= app.close());
  t.teardown(async () => {
    await close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, store, token: admin.text, viewerToken: viewer.text, opened, lastSeen, close };
}

async function addDevice(api: Api, name: string, state: DeviceState, lastSeen?: string): Promise<void> {
  const device: Device = { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name }, status: { state, ...(lastSeen ? { lastSeen } : {}) } };
  await api.store.create(device);
}

async function addPod(api: Api, name: string, options: { nodeName?: string; containers?: string[] } = {}): Promise<Pod> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: (options.containers ?? ['main']).map((container) => ({ name: container, image: 'localhost/busybox:test' })),
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
    },
  };
  return api.store.create(pod);
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: IncomingHttpHeaders;
}

/** A GET read to its end; `onBody` sees the body as it comes. */
function get(api: Api, path: string, options: { token?: string; onBody?: (text: string) => void } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { headers: { authorization: `Bearer ${options.token ?? api.token}` } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
        options.onBody?.(body);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, trailers: res.trailers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function errorOf(answer: Answer): ErrorBody {
  return JSON.parse(answer.body) as ErrorBody;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const LOG = '/api/v1/namespaces/default/pods/web/log';

t.test('reads the parameters kubectl sends', async (t) => {
  t.same(parseLogParameters({ container: 'main', follow: 'true', tailLines: '10', sinceSeconds: '300', timestamps: '1' }), {
    container: 'main',
    follow: true,
    tailLines: 10,
    sinceSeconds: 300,
    timestamps: true,
  });
  t.same(parseLogParameters({}), { follow: false, timestamps: false });
});

t.test('a bad parameter is a 400 that names it', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1' });
  for (const [query, parameter, says] of [
    ['tailLines=-1', 'tailLines', /invalid tailLines "-1": must be a whole number of lines, 0 or more/],
    ['tailLines=ten', 'tailLines', /invalid tailLines "ten"/],
    ['sinceSeconds=5m', 'sinceSeconds', /invalid sinceSeconds "5m": must be a whole number of seconds, 1 or more/],
    ['sinceSeconds=0', 'sinceSeconds', /invalid sinceSeconds "0"/],
    ['follow=yes', 'follow', /invalid follow "yes": must be true or false/],
    ['tail=3', 'tail', /unknown parameter tail/],
    ['tailLines=1&tailLines=2', 'tailLines', /must be given once/],
  ] as const) {
    const answer = await get(api, `${LOG}?${query}`);
    t.equal(answer.status, 400, query);
    t.match(errorOf(answer), { code: 'BadRequest', message: says, details: [{ field: parameter }] }, query);
  }
  t.equal(api.opened.length, 0, 'no device was asked');
});

t.test('a container the pod does not have is a 400 naming the ones it has; a pod of several needs one named', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1', containers: ['main', 'sidecar'] });
  const wrong = await get(api, `${LOG}?container=nginx`);
  t.equal(wrong.status, 400);
  t.match(errorOf(wrong), { message: 'pod default/web has no container "nginx"; its containers are: main, sidecar', details: [{ field: 'container' }] });
  const unnamed = await get(api, LOG);
  t.equal(unnamed.status, 400);
  t.match(errorOf(unnamed), { message: 'pod default/web has 2 containers: name one of main, sidecar', hint: 'flotilla logs web -c main' });
});

t.test('a pod that does not exist is a 404, one not bound yet a 400, one on a removed device a 410', async (t) => {
  const api = await setup(t);
  const missing = await get(api, LOG);
  t.equal(missing.status, 404);
  t.match(errorOf(missing), { message: 'pod default/web not found' });

  await addPod(api, 'web');
  const unbound = await get(api, LOG);
  t.equal(unbound.status, 400);
  t.match(errorOf(unbound), { message: 'pod default/web is not bound to a device yet: it has no log', hint: /flotilla describe pod web/ });

  await addPod(api, 'orphan', { nodeName: 'cam-gone' });
  const orphan = await get(api, '/api/v1/namespaces/default/pods/orphan/log');
  t.equal(orphan.status, 410);
  t.match(errorOf(orphan), { code: 'Gone', message: /was on device cam-gone, which has been removed from the fleet/ });
  t.equal(api.opened.length, 0);
});

t.test("an Offline device is a 503 at once, with the device's last contact", async (t) => {
  const api = await setup(t);
  const seen = new Date(Date.now() - 125_000).toISOString();
  await addDevice(api, 'cam-1', 'Offline', seen);
  await addPod(api, 'web', { nodeName: 'cam-1' });
  const answer = await get(api, LOG);
  t.equal(answer.status, 503);
  t.match(errorOf(answer), { code: 'Unavailable', message: `device cam-1 is Offline: logs cannot be fetched; the device's last contact was ${seen} (2m5s ago)` });
  t.equal(api.opened.length, 0, 'the device was not asked');
});

t.test('asks the pod\'s device for the container named, with the parameters given', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  const pod = await addPod(api, 'web', { nodeName: 'cam-1' });
  const answer = get(api, `${LOG}?tailLines=2&sinceSeconds=60&timestamps=true`);
  await until('the request to the device', () => api.opened.length === 1);
  const opened = api.opened[0] as Opened;
  t.equal(opened.device, 'cam-1');
  t.same(opened.query, { namespace: 'default', podName: 'web', podUid: pod.metadata.uid, container: 'main', follow: false, timestamps: true, tailLines: 2, sinceSeconds: 60 });
  opened.receiver.accepted();
  opened.receiver.end();
  t.equal((await answer).status, 200);
});

t.test('streams the log as plain text as it comes, and a viewer may read it', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1' });
  let seen = '';
  const answer = get(api, `${LOG}?follow=true`, { token: api.viewerToken, onBody: (text) => (seen = text) });
  await until('the request to the device', () => api.opened.length === 1);
  const { receiver } = api.opened[0] as Opened;
  receiver.accepted();
  receiver.data(Buffer.from('line 1\n'));
  await until('the first line to reach the reader before the log ends', () => seen === 'line 1\n');
  receiver.data(Buffer.from('line 2\n'));
  receiver.end();
  const done = await answer;
  t.equal(done.status, 200);
  t.match(done.headers['content-type'], /^text\/plain/);
  t.equal(done.body, 'line 1\nline 2\n');
  t.notOk(done.trailers['x-flotilla-error'], 'no error trailer on a log that ended well');
});

t.test("a device's refusal before the log began is its error, with its status", async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1' });
  const answer = get(api, LOG);
  await until('the request to the device', () => api.opened.length === 1);
  api.opened[0]?.receiver.end(new FlotillaError('Unavailable', 'device cam-1 did not answer the log request within 10 s; it is NotReady'));
  const done = await answer;
  t.equal(done.status, 503);
  t.match(errorOf(done), { message: 'device cam-1 did not answer the log request within 10 s; it is NotReady' });
});

t.test('an error after the log began ends the body and comes as a trailer', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1' });
  const answer = get(api, `${LOG}?follow=true`);
  await until('the request to the device', () => api.opened.length === 1);
  const { receiver } = api.opened[0] as Opened;
  receiver.accepted();
  receiver.data(Buffer.from('partial\n'));
  receiver.end(new FlotillaError('Unavailable', 'device cam-1 stopped answering the log stream', { hint: 'check the device' }));
  const done = await answer;
  t.equal(done.status, 200);
  t.equal(done.body, 'partial\n');
  const trailer = done.trailers['x-flotilla-error'];
  t.type(trailer, 'string');
  t.match(JSON.parse(decodeURIComponent(trailer as string)), { kind: 'Status', code: 'Unavailable', message: 'device cam-1 stopped answering the log stream', hint: 'check the device' });
});

t.test('a reader that leaves stops the device', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1' });
  const req = request(`${api.url}${LOG}?follow=true`, { headers: { authorization: `Bearer ${api.token}` } }, (res) => {
    res.once('data', () => req.destroy());
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  await until('the request to the device', () => api.opened.length === 1);
  const opened = api.opened[0] as Opened;
  opened.receiver.accepted();
  opened.receiver.data(Buffer.from('one line\n'));
  await until('the cancel', () => opened.cancelled);
  t.ok(opened.cancelled);
});

t.test('a reader that leaves before the device answers stops the device too', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1' });
  const req = request(`${api.url}${LOG}`, { headers: { authorization: `Bearer ${api.token}` } });
  req.on('error', () => undefined);
  req.end();
  await until('the request to the device', () => api.opened.length === 1);
  req.destroy();
  await until('the cancel', () => api.opened[0]?.cancelled === true);
  t.pass('cancelled');
});

t.test('a hub stopping ends an open follow with its reason, and stops the device', async (t) => {
  const api = await setup(t);
  await addDevice(api, 'cam-1', 'Ready');
  await addPod(api, 'web', { nodeName: 'cam-1' });
  const answer = get(api, `${LOG}?follow=true`);
  await until('the request to the device', () => api.opened.length === 1);
  api.opened[0]?.receiver.accepted();
  await api.close();
  const done = await answer;
  t.equal(done.status, 200);
  t.match(JSON.parse(decodeURIComponent(done.trailers['x-flotilla-error'] as string)), { message: 'the hub is stopping' });
  t.equal(api.opened[0]?.cancelled, true);
});
