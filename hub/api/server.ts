/**
 * The hub's HTTP/JSON API. `buildApi` only assembles the routes; the hub's main decides
 * where it listens.
 */
import { fastify, LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { CertificateAuthority } from '../auth/authority.js';
import type { EventSink } from '../controllers/events.js';
import type { PodUsageLookup } from '../dispatch/pod-usage.js';
import type { Store } from '../store/store.js';
import { installAuthentication, type Authenticate } from './auth.js';
import type { DeviceLiveStatus } from './device-live.js';
import { BODY_LIMIT_BYTES, handleError, handleNotFound } from './errors.js';
import { registerApplyRoute } from './routes/apply.js';
import { registerDeleteRoutes } from './routes/delete.js';
import { registerCredentialRoutes } from './routes/credentials.js';
import { registerDeviceRoutes } from './routes/devices.js';
import { registerEnrolRoutes } from './routes/enroll.js';
import { registerLogRoutes } from './routes/logs.js';
import type { DeviceLogSource } from '../dispatch/device-requests.js';
import { registerInfoRoute, type InfoSource } from './routes/info.js';
import { registerMetricsRoute } from './routes/metrics.js';
import type { HubMetrics } from './metrics.js';
import { registerPodMetricsRoutes } from './routes/pod-metrics.js';
import { registerReadRoutes } from './routes/read.js';
import { registerRolloutRoutes } from './routes/rollout.js';

export interface ApiContext {
  store: Store;
  /** Live heartbeat figures and last contact, merged into Device reads; undefined when none. */
  deviceLive(name: string): DeviceLiveStatus | undefined;
  /** Counters for `GET /api/v1/stats`: what the hub received, dropped and ignored. */
  stats?: () => Record<string, Record<string, number>>;
  /** Fetches container logs from devices, for `GET .../pods/{name}/log`; absent: that route answers 503. */
  logs?: DeviceLogSource;
  /** Prometheus metrics for `GET /metrics`; absent: no such route. */
  metrics?: Pick<HubMetrics, 'text' | 'contentType'>;
  /** Where the fleet topics are, for `GET /api/v1/info`; absent: no such route. */
  info?: InfoSource;
  /** Each pod's figures from its device's last pod stats report, for the metrics.k8s.io routes. */
  podUsage?: PodUsageLookup;
  logger: Logger;
  /** Who may call, and what devices enrol against. */
  access: {
    authenticate: Authenticate;
    authority: CertificateAuthority;
    /** The broker an enrolled device connects to, given the host it reached the API at. */
    deviceBrokerUrl(apiHost: string): string;
    /** The API URL join tokens send devices to; absent: the address the token's creator used. */
    advertiseUrl?: string;
    events?: EventSink;
  };
  /** The API's own certificate; absent only where a test drives the API in-process. */
  https?: { certificatePem: string; keyPem: string };
}

/**
 * A CLI polling with `get -w` makes a request every two seconds: one line per request at
 * info would bury what matters, so requests are logged at debug.
 */
class QuietRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(_error: Error | undefined | null, request: FastifyRequest, reply: FastifyReply): void {
    reply.log.debug(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  }
}

export function buildApi(ctx: ApiContext): FastifyInstance {
  // Typed as fastify's base logger so the instance is the plain `FastifyInstance` callers expect.
  const loggerInstance: FastifyBaseLogger = ctx.logger;
  const app = fastify({
    // A client certificate is asked for, never required: devices renewing present theirs,
    // people and tools come with bearer tokens. `renew` judges the certificate itself.
    ...(ctx.https
      ? { https: { cert: ctx.https.certificatePem, key: ctx.https.keyPem, ca: ctx.access.authority.certificatePem, requestCert: true, rejectUnauthorized: false } }
      : {}),
    loggerInstance,
    logController: new QuietRequestLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    ajv: {
      // Refuse what does not fit instead of quietly coercing or dropping it.
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true },
    },
  });
  const liveOf = (name: string): DeviceLiveStatus | undefined => ctx.deviceLive(name);

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  installAuthentication(app, ctx.access.authenticate);
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/api/v1/stats', async () => ctx.stats?.() ?? {});
  registerReadRoutes(app, ctx.store, liveOf);
  registerApplyRoute(app, ctx.store);
  registerDeleteRoutes(app, ctx.store, liveOf);
  registerDeviceRoutes(app, ctx.store, liveOf);
  registerLogRoutes(app, { store: ctx.store, logs: ctx.logs, liveOf });
  registerRolloutRoutes(app, ctx.store);
  if (ctx.metrics) registerMetricsRoute(app, ctx.metrics);
  if (ctx.podUsage) registerPodMetricsRoutes(app, ctx.store, ctx.podUsage);
  if (ctx.info) registerInfoRoute(app, ctx.info);
  const { authority, deviceBrokerUrl, advertiseUrl, events } = ctx.access;
  registerCredentialRoutes(app, { store: ctx.store, caFingerprint: authority.fingerprint, ...(advertiseUrl === undefined ? {} : { advertiseUrl }) });
  registerEnrolRoutes(app, { store: ctx.store, authority, deviceBrokerUrl, ...(events ? { events } : {}) });
  return app;
}
