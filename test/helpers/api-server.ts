/**
 * A hub API on a real LevelDB store in a temporary directory, for API and CLI tests:
 * `createTestApi` for fastify's inject, `startApiServer` listening on an ephemeral port.
 * Its authentication is the real one, with an admin token made for the test: requests made
 * with `inject` carry it unless they set their own `authorization`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApi } from '../../hub/api/server.js';
import { createAccessToken, parseAccessToken, verifyAccessToken } from '../../hub/auth/access-token.js';
import { openAuthority } from '../../hub/auth/authority.js';
import { openStore } from '../../hub/store/index.js';
import type { Store } from '../../hub/store/store.js';
import type { DeviceUsage } from '../../shared/objects.js';

export interface TestApi {
  app: FastifyInstance;
  store: Store;
  /** Heartbeat figures the API merges into device reads; tests fill it. */
  usage: Map<string, DeviceUsage>;
  /** A bearer token with the admin role. */
  adminToken: string;
  close(): Promise<void>;
}

export async function createTestApi(): Promise<TestApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-api-'));
  const store = await openStore('level', { dataDir });
  const usage = new Map<string, DeviceUsage>();
  const authority = await openAuthority(join(dataDir, 'pki'));
  const admin = createAccessToken({ name: 'admin', role: 'admin' });
  await store.create(admin.object);
  const app = buildApi({
    store,
    deviceLive: (name) => {
      const figures = usage.get(name);
      return figures ? { usage: figures } : undefined;
    },
    logger: pino({ level: 'silent' }),
    access: {
      authenticate: async (text) => verifyAccessToken(text, await store.get('AccessToken', undefined, parseAccessToken(text)?.name ?? '')),
      authority,
      deviceBrokerUrl: (apiHost) => `mqtts://${apiHost}:8883`,
    },
  });
  const inject = app.inject.bind(app);
  // fastify's inject is overloaded (options object, URL string, chain); tests use the object form.
  app.inject = ((options: object) => {
    const headers = { authorization: `Bearer ${admin.text}`, ...(options as { headers?: Record<string, string> }).headers };
    return inject({ ...options, headers } as never);
  }) as typeof app.inject;
  return {
    app,
    store,
    usage,
    adminToken: admin.text,
    async close() {
      await app.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiServer extends TestApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
}

export async function startApiServer(): Promise<ApiServer> {
  const api = await createTestApi();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = api.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the test API did not get a TCP port');
  return { ...api, url: `http://127.0.0.1:${address.port}` };
}
