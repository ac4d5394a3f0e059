/**
 * The hub's composition root: store → broker → MQTT link → controllers → dispatcher → API.
 * Stopping goes the other way, so no component outlives what it depends on.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../shared/log.js';
import { Topics } from '../shared/topics.js';
import { buildApi } from './api/server.js';
import { openAuthority, type CertificateAuthority } from './auth/authority.js';
import { startEmbeddedBroker, type DeviceTlsListener, type EmbeddedBroker } from './broker/embedded.js';
import type { HubOptions } from './config.js';
import { DeploymentController } from './controllers/deployment/index.js';
import { DeviceLifecycleController } from './controllers/device-lifecycle/index.js';
import { EventRecorder } from './controllers/events.js';
import { ControllerManager } from './controllers/manager.js';
import { podInformer } from './controllers/pods.js';
import { SchedulingController } from './controllers/scheduling/index.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { FleetTopics } from './dispatch/fleet-topics.js';
import { HubLink } from './dispatch/hub-link.js';
import { Ingest } from './dispatch/ingest.js';
import { openStore } from './store/index.js';

export interface RunningHub {
  /** The HTTP API's base URL. */
  apiUrl: string;
  /** The MQTT broker agents connect to. */
  mqttUrl: string;
  /** The device listener (`mqtts://`), when the hub has one. */
  mqttTlsUrl?: string;
  /** `sha256:<hex>` of the hub's CA, which join tokens pin; set with the device listener. */
  caFingerprint?: string;
  ingest: Ingest;
  stop(): Promise<void>;
}

export async function startHub(options: HubOptions): Promise<RunningHub> {
  const log = createLogger('hub', options.logLevel);
  const topics = new Topics(options.topicPrefix);
  mkdirSync(options.dataDir, { recursive: true });
  const store = await openStore(undefined, {
    dataDir: options.dataDir,
    onWatcherError: (error) => log.error({ err: (error as Error).message }, 'store watcher failed'),
  });
  const stack: (() => Promise<void> | void)[] = [() => store.close()];
  const unwind = async () => {
    for (const stop of stack.reverse()) await stop();
  };

  try {
    let broker: EmbeddedBroker | undefined;
    let authority: CertificateAuthority | undefined;
    if (!options.mqttUrl) {
      const tls = options.mqttTlsPort === undefined ? undefined : await deviceListener(options, options.mqttTlsPort, log);
      authority = tls?.authority;
      broker = await startEmbeddedBroker({ host: options.mqttHost, port: options.mqttPort, topics, log, ...(tls ? { tls: tls.listener } : {}) });
      stack.push(() => broker?.close());
      if (authority) log.info({ port: broker.tlsPort, ca: authority.fingerprint }, "device listener ready; devices pin the hub's CA by this fingerprint");
    }
    const mqttUrl = options.mqttUrl ?? broker?.url ?? '';

    // The link needs the ingest and the ingest needs the controllers: late-bound by closure.
    let ingest: Ingest | undefined;
    const link = await HubLink.connect({ url: mqttUrl, topics, log, onMessage: (topic, payload) => ingest?.handle(topic, payload) });
    stack.push(() => link.close());

    let fleet: FleetTopics | undefined;
    const events = new EventRecorder({ store, log, source: 'hub', publish: (event) => fleet?.event(event) });
    events.start();
    stack.push(() => events.stop());
    // One cache of the pods for every controller, so none of them lists the store per reconcile.
    const pods = podInformer(store);
    await pods.start();
    const lifecycle = new DeviceLifecycleController({
      store,
      pods,
      events,
      log,
      thresholds: { notReadyAfterMs: options.notReadyAfterSeconds * 1000, offlineAfterMs: options.offlineAfterSeconds * 1000 },
      onDeviceChanged: (device) => fleet?.deviceChanged(device),
    });
    fleet = new FleetTopics({ topics, store, live: (name) => lifecycle.live(name), publish: (t, v, r) => link.publishJson(t, v, r) });
    ingest = new Ingest({ topics, store, lifecycle, log, events, onHeartbeat: (device) => void fleet?.heartbeat(device) });

    const manager = new ControllerManager(store, log);
    const lifecycleQueue = manager.add(lifecycle);
    lifecycle.attach((key) => lifecycleQueue.add(key));
    manager.add(new DeploymentController({ store, events, log, pods }));
    manager.add(new SchedulingController({ store, events, log, pods }));
    const dispatcher = new Dispatcher({ store, publisher: link, log });
    await dispatcher.start();
    stack.push(() => dispatcher.stop());
    await manager.start();
    stack.push(() => manager.stop());

    const api = buildApi({
      store,
      deviceLive: (name) => lifecycle.live(name),
      stats: () => ({
        mqtt: { ...ingest.counters, ignoredDeviceMessages: lifecycle.ignored, refusedByBroker: broker?.refused ?? 0 },
        heartbeatDelayMs: {
          count: ingest.heartbeatDelay.count,
          p50: ingest.heartbeatDelay.percentile(50),
          p99: ingest.heartbeatDelay.percentile(99),
        },
      }),
      logger: log,
    });
    await api.listen({ host: options.httpHost, port: options.httpPort });
    stack.push(() => api.close());
    const address = api.server.address();
    const port = typeof address === 'object' && address ? address.port : options.httpPort;
    const host = options.httpHost === '0.0.0.0' || options.httpHost === '::' ? '127.0.0.1' : options.httpHost;
    const apiUrl = `http://${host}:${port}`;
    log.info({ api: apiUrl, mqtt: mqttUrl, dataDir: options.dataDir }, 'hub started');

    return {
      apiUrl,
      mqttUrl,
      ...(broker?.tlsPort === undefined ? {} : { mqttTlsUrl: `mqtts://${isUnspecified(options.mqttHost) ? '127.0.0.1' : options.mqttHost}:${broker.tlsPort}` }),
      ...(authority ? { caFingerprint: authority.fingerprint } : {}),
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

/** The CA (made on first start) and a fresh server certificate for this host's names. */
async function deviceListener(
  options: HubOptions,
  port: number,
  log: Logger,
): Promise<{ authority: CertificateAuthority; listener: DeviceTlsListener }> {
  const authority = await openAuthority(join(options.dataDir, 'pki'));
  const names = [...new Set([hostname(), 'localhost', '127.0.0.1', ...(isUnspecified(options.mqttHost) ? [] : [options.mqttHost])])];
  const server = await authority.issueServerCertificate(names);
  log.debug({ names }, 'server certificate issued');
  return { authority, listener: { port, certificatePem: server.certificatePem, keyPem: server.keyPem, caPem: authority.certificatePem } };
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
