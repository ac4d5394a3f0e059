/**
 * The hub's composition root: store → broker → MQTT link → controllers → dispatcher → API.
 * Stopping goes the other way, so no component outlives what it depends on.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../shared/log.js';
import { Topics } from '../shared/topics.js';
import { HubMetrics } from './api/metrics.js';
import { buildApi } from './api/server.js';
import { parseAccessToken, verifyAccessToken } from './auth/access-token.js';
import { ensureAdminAccess } from './auth/admin-access.js';
import { openAuthority } from './auth/authority.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded.js';
import { HUB_USERNAME } from './broker/identity.js';
import type { DeviceUsage } from '../shared/objects.js';
import type { HubOptions } from './config.js';
import { DaemonSetController } from './controllers/daemonset/index.js';
import { DeploymentController } from './controllers/deployment/index.js';
import { DeviceConditionsController } from './controllers/device-conditions/index.js';
import { DeviceLifecycleController } from './controllers/device-lifecycle/index.js';
import { EventRecorder } from './controllers/events.js';
import { EvictionController } from './controllers/eviction/index.js';
import { Informer } from './controllers/informer.js';
import { ControllerManager } from './controllers/manager.js';
import { podInformer } from './controllers/pods.js';
import { SchedulingController } from './controllers/scheduling/index.js';
import { DeviceRequests } from './dispatch/device-requests.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { FleetTopics } from './dispatch/fleet-topics.js';
import { HubLink } from './dispatch/hub-link.js';
import { Ingest } from './dispatch/ingest.js';
import { PodUsageBook } from './dispatch/pod-usage.js';
import { openStore } from './store/index.js';

export interface RunningHub {
  /** The HTTPS API's base URL. */
  apiUrl: string;
  /** The plain MQTT listener: the hub's own link, and devices too with plainMqtt. */
  mqttUrl: string;
  /** The device listener (`mqtts://`), when the broker is embedded. */
  mqttTlsUrl?: string;
  /** `sha256:<hex>` of the hub's CA, which join tokens pin. */
  caFingerprint: string;
  /** The CLI config with an admin token: `<dataDir>/admin.yaml`. */
  adminConfig: string;
  ingest: Ingest;
  stop(): Promise<void>;
}

export async function startHub(options: HubOptions): Promise<RunningHub> {
  const log = createLogger('hub', options.logLevel);
  const topics = new Topics(options.topicPrefix);
  mkdirSync(options.dataDir, { recursive: true });
  const store = await openStore(undefined, {
    dataDir: options.dataDir,
    ...(options.secretsKeyFile === undefined ? {} : { secretsKeyFile: options.secretsKeyFile }),
    onWatcherError: (error) => log.error({ err: (error as Error).message }, 'store watcher failed'),
  });
  const stack: (() => Promise<void> | void)[] = [() => store.close()];
  const unwind = async () => {
    for (const stop of stack.reverse()) await stop();
  };

  try {
    const authority = await openAuthority(join(options.dataDir, 'pki'));
    const serverNames = certificateNames(options);
    const serverCertificate = await authority.issueServerCertificate(serverNames);
    log.debug({ names: serverNames }, 'server certificate issued');

    // Which certificate each enrolled device may use: the broker asks at every CONNECT.
    const devices = new Informer(store, 'Device', {});
    await devices.start();
    stack.push(() => devices.stop());
    const enrolledFingerprint = (name: string) => devices.get(undefined, name)?.status?.identity?.certificateFingerprint;

    let broker: EmbeddedBroker | undefined;
    const hubPassword = randomBytes(24).toString('base64url');
    if (!options.mqttUrl) {
      broker = await startEmbeddedBroker({
        plain: { host: options.plainMqtt ? options.mqttHost : '127.0.0.1', port: options.mqttPort, open: options.plainMqtt },
        hubPassword,
        topics,
        log,
        tls: {
          host: options.mqttHost,
          port: options.mqttTlsPort,
          certificatePem: serverCertificate.certificatePem,
          keyPem: serverCertificate.keyPem,
          caPem: authority.certificatePem,
          enrolledFingerprint,
          async authenticateWatcher(username, password) {
            if (parseAccessToken(password)?.name !== username) return undefined;
            return verifyAccessToken(password, await store.get('AccessToken', undefined, username)).name;
          },
        },
      });
      stack.push(() => broker?.close());
      const embedded = broker;
      // A removed or re-enrolled device's session ends now, not at its next reconnect.
      devices.onChange((event, previous) => {
        const before = previous?.status?.identity?.certificateFingerprint;
        const after = event.type === 'DELETED' ? undefined : event.object.status?.identity?.certificateFingerprint;
        if (before !== undefined && before !== after) embedded.disconnectDevice(event.object.metadata.name);
      });
      log.info({ port: broker.tlsPort, ca: authority.fingerprint }, "device listener ready; devices pin the hub's CA by this fingerprint");
    }
    const mqttUrl = options.mqttUrl ?? broker?.url ?? '';

    // The link needs the ingest and the ingest needs the controllers: late-bound by closure.
    // A session lost before these exist loses little: the dispatcher sends every desired state
    // when it starts, and the fleet topics send every document when they start.
    let ingest: Ingest | undefined;
    let fleet: FleetTopics | undefined;
    let dispatcher: Dispatcher | undefined;
    const link = await HubLink.connect({
      url: mqttUrl,
      ...(broker ? { credentials: { username: HUB_USERNAME, password: hubPassword } } : {}),
      topics,
      log,
      onMessage: (topic, payload) => ingest?.handle(topic, payload),
      onSessionLost: () => {
        dispatcher?.republishAll().catch((error: Error) => log.warn({ err: error.message }, 'desired states not republished'));
        fleet?.republishAll();
      },
    });
    stack.push(() => link.close());

    const events = new EventRecorder({ store, log, source: 'hub', publish: (event) => fleet?.event(event) });
    events.start();
    stack.push(() => events.stop());
    // One cache of the pods for every controller, so none of them lists the store per reconcile.
    const pods = podInformer(store);
    await pods.start();
    // Each heartbeat is judged against the device's thresholds as it arrives; pod figures are kept in memory.
    const conditions: DeviceConditionsController = new DeviceConditionsController({
      store,
      events,
      log,
      usage: (name): DeviceUsage | undefined => lifecycle.live(name)?.usage,
      ...(options.deviceHealth === undefined ? {} : { thresholds: options.deviceHealth }),
    });
    const lifecycle: DeviceLifecycleController = new DeviceLifecycleController({
      store,
      pods,
      events,
      conditions,
      log,
      thresholds: { notReadyAfterMs: options.notReadyAfterSeconds * 1000, offlineAfterMs: options.offlineAfterSeconds * 1000 },
    });
    const podUsage = new PodUsageBook();
    // What the hub knows of a device from its last messages: for API reads and the fleet topics alike.
    const deviceLive = (name: string) => {
      const live = lifecycle.live(name);
      const desiredGeneration = dispatcher?.publishedGeneration(name);
      return live === undefined || desiredGeneration === undefined ? live : { ...live, desiredGeneration };
    };
    const fleetTopics = new FleetTopics({
      topics,
      store,
      devices,
      pods,
      live: deviceLive,
      publish: (t, v, r) => link.publishJson(t, v, r),
      ...(options.fleetGroupLabels === undefined ? {} : { groupLabels: options.fleetGroupLabels }),
    });
    fleet = fleetTopics;
    await fleetTopics.start();
    stack.push(() => fleetTopics.stop());
    const metrics = new HubMetrics({
      devicesByState: () => fleetTopics.counts.devicesByState(),
      podsByPhase: () => fleetTopics.counts.podsByPhase(),
      rollouts: () => fleetTopics.counts.rollouts(),
      ...(broker === undefined ? {} : { brokerConnections: () => broker?.connections() }),
    });
    ingest = new Ingest({
      topics,
      store,
      lifecycle,
      log,
      events,
      onHeartbeat: (device) => {
        metrics.heartbeat();
        fleetTopics.heartbeat(device);
        conditions.observe(device);
      },
      onPodStats: (device, report) => podUsage.record(device, report),
    });

    const manager = new ControllerManager(store, log);
    const lifecycleQueue = manager.add(lifecycle);
    lifecycle.attach((key) => lifecycleQueue.add(key));
    const conditionsQueue = manager.add(conditions);
    conditions.attach((key) => conditionsQueue.add(key));
    manager.add(new DeploymentController({ store, events, log, pods, devices }));
    // Daemon pods pass the same filters as every other pod, less those about the device's state.
    manager.add(new DaemonSetController({ store, events, log, pods, devices, ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }) }));
    manager.add(
      new SchedulingController({
        store,
        events,
        log,
        pods,
        ...(options.scheduler === undefined ? {} : { config: options.scheduler }),
        onBound: (pod) => metrics.scheduled((Date.now() - Date.parse(pod.metadata.creationTimestamp ?? '')) / 1000),
      }),
    );
    // Devices get the offline threshold after a hub start to reach it before any eviction.
    manager.add(new EvictionController({ store, events, log, pods, devices, startGraceMs: options.offlineAfterSeconds * 1000 }));
    const started = new Dispatcher({ store, publisher: link, log, events, onPublished: (seconds) => metrics.desiredPublished(seconds) });
    dispatcher = started;
    await started.start();
    stack.push(() => started.stop());
    await manager.start();
    stack.push(() => manager.stop());

    // Requests to devices (logs), on a connection of their own: a large log never queues in front of heartbeats.
    const deviceRequests = await DeviceRequests.connect({
      url: mqttUrl,
      ...(broker ? { credentials: { username: HUB_USERNAME, password: hubPassword } } : {}),
      topics,
      log,
      contactOf: (name) => {
        const device = devices.get(undefined, name);
        return { state: device?.status?.state, lastSeen: lifecycle.live(name)?.lastSeen ?? device?.status?.lastSeen };
      },
    });
    stack.push(() => deviceRequests.close());
    const api = buildApi({
      store,
      podUsage: (pod) => podUsage.of(pod),
      logs: deviceRequests,
      deviceLive,
      metrics,
      info: {
        topicPrefix: topics.prefix,
        // Watchers log in to the embedded broker's TLS listener with their access token; an external broker is the user's to configure.
        watcherBrokerUrl: (apiHost) => (broker?.tlsPort === undefined ? mqttUrl : `mqtts://${apiHost}:${broker.tlsPort}`),
        accessTokenLogin: broker?.tlsPort !== undefined,
      },
      stats: () => ({
        mqtt: { ...ingest.counters, ignoredDeviceMessages: lifecycle.ignored, refusedByBroker: broker?.refused ?? 0 },
        heartbeatDelayMs: {
          count: ingest.heartbeatDelay.count,
          p50: ingest.heartbeatDelay.percentile(50),
          p99: ingest.heartbeatDelay.percentile(99),
        },
      }),
      logger: log,
      access: {
        authenticate: async (text) => verifyAccessToken(text, await store.get('AccessToken', undefined, parseAccessToken(text)?.name ?? '')),
        authority,
        // The embedded device listener, at the host the device reached the API by: that name
        // or address is known to work from the device. An external broker is the user's to name.
        deviceBrokerUrl: (apiHost) => (broker?.tlsPort === undefined ? mqttUrl : `mqtts://${apiHost}:${broker.tlsPort}`),
        ...(options.advertiseUrl === undefined ? {} : { advertiseUrl: options.advertiseUrl }),
        events,
      },
      https: serverCertificate,
    });
    await api.listen({ host: options.httpHost, port: options.httpPort });
    stack.push(() => api.close());
    const address = api.server.address();
    const port = typeof address === 'object' && address ? address.port : options.httpPort;
    const host = options.httpHost === '0.0.0.0' || options.httpHost === '::' ? '127.0.0.1' : options.httpHost;
    const apiUrl = `https://${host}:${port}`;
    const admin = await ensureAdminAccess({ store, dataDir: options.dataDir, apiUrl, caPem: authority.certificatePem, contextName: hostname().toLowerCase() || 'flotilla' });
    if (admin.created) log.info({ config: admin.path }, 'admin access written; use it with: export FLOTILLA_CONFIG=' + admin.path);
    log.info({ api: apiUrl, mqtt: mqttUrl, mqtts: broker?.tlsPort, dataDir: options.dataDir }, 'hub started');

    return {
      apiUrl,
      mqttUrl,
      ...(broker?.tlsPort === undefined ? {} : { mqttTlsUrl: `mqtts://${isUnspecified(options.mqttHost) ? '127.0.0.1' : options.mqttHost}:${broker.tlsPort}` }),
      caFingerprint: authority.fingerprint,
      adminConfig: admin.path,
      ingest,
      async stop() {
        await unwind();
        log.info('hub stopped');
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/**
 * Every name and address the hub may be reached at, for its server certificate: devices and
 * the CLI check it against the address they dialled.
 */
function certificateNames(options: HubOptions): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .map((address) => address?.address)
    .filter((address): address is string => address !== undefined && !address.startsWith('fe80:'));
  const specific = [options.httpHost, options.mqttHost].filter((host) => !isUnspecified(host));
  const advertised = options.advertiseUrl === undefined ? [] : [new URL(options.advertiseUrl).hostname.replace(/^\[|\]$/g, '')];
  return [...new Set([hostname(), 'localhost', '127.0.0.1', '::1', ...addresses, ...specific, ...advertised])];
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
