import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { HubMetrics } from '../../../../hub/api/metrics.js';
import { buildApi } from '../../../../hub/api/server.js';
import { createAccessToken, parseAccessToken, verifyAccessToken } from '../../../../hub/auth/access-token.js';
import { openAuthority } from '../../../../hub/auth/authority.js';
import { createLevelStore } from '../../../../hub/store/level-store.js';

/** An API with /metrics and /api/v1/info, and a viewer's token. */
async function api(t: Test) {
  const dataDir = t.testdir();
  const store = await createLevelStore({ dataDir, onWatcherError: () => {} });
  const viewer = createAccessToken({ name: 'prometheus', role: 'viewer' });
  await store.create(viewer.object);
  const metrics = new HubMetrics(
    { devicesByState: () => ({ Ready: 2, NotReady: 0, Offline: 1 }), podsByPhase: () => ({ Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 }), rollouts: () => [] },
    { processMetrics: false },
  );
  const app = buildApi({
    store,
    deviceLive: () => undefined,
    logger: pino({ level: 'silent' }),
    metrics,
    info: { topicPrefix: 'acme/edge', watcherBrokerUrl: (host) => `mqtts://${host}:8883`, accessTokenLogin: true },
    access: {
      authenticate: async (text) => verifyAccessToken(text, await store.get('AccessToken', undefined, parseAccessToken(text)?.name ?? '')),
      authority: await openAuthority(join(dataDir, 'pki')),
      deviceBrokerUrl: (host) => `mqtts://${host}:8883`,
    },
  });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  return { app, token: viewer.text };
}

t.test('/metrics answers a viewer token with the Prometheus text format', async (t) => {
  const { app, token } = await api(t);
  const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.match(response.body, /^flotilla_devices\{state="Offline"\} 1$/m);
});

t.test('/metrics without a token is refused, as every read is', async (t) => {
  const { app } = await api(t);
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(response.statusCode, 401);
});

t.test('/api/v1/info names the fleet topics and their broker at the host the API was reached by', async (t) => {
  const { app, token } = await api(t);
  const response = await app.inject({ method: 'GET', url: '/api/v1/info', headers: { authorization: `Bearer ${token}`, host: 'hub.plant-3:7080' } });
  t.equal(response.statusCode, 200);
  t.same(response.json(), {
    apiVersion: 'flotilla.io/v1',
    kind: 'HubInfo',
    fleetTopics: { prefix: 'acme/edge', brokerUrl: 'mqtts://hub.plant-3:8883', accessTokenLogin: true },
  });
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/info' })).statusCode, 401, 'not without a token');
});
