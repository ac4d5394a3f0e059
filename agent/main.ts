/**
 * The agent's composition root: local state → runtime → reconciler → outbox → MQTT link →
 * heartbeat. It starts the pods it remembers before the hub is reachable, so a device that
 * reboots offline runs its workload again, and keeps what it has to tell the hub (status and
 * events) in its outbox until the hub can hear it.
 */
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import { createLogger, type Logger } from '../shared/log.js';
import { encode, type BirthMessage, type CapacityMessage, type HealthThresholdsMessage } from '../shared/proto/codec.js';
import type { DeviceHealthThresholds } from '../shared/objects.js';
import { Topics, deviceNameProblem } from '../shared/topics.js';
import type { AgentOptions } from './config.js';
import { enrol } from './enrolment.js';
import { identityDir, loadIdentity, saveIdentity, type DeviceIdentity } from './identity.js';
import { HeartbeatSampler, type HeartbeatSource } from './heartbeat.js';
import { AgentLink, DEFAULT_RECONNECT } from './link.js';
import { Outbox } from './outbox.js';
import { OutboxSender } from './outbox-sender.js';
import { PodStatsReporter } from './pod-stats.js';
import { Reconciler } from './reconciler/reconciler.js';
import { RENEWAL_CHECK_MS, renewalDue, renewIdentity } from './renewal.js';
import { resolveEngineEndpoint } from './runtime/endpoint.js';
import { createRuntime } from './runtime/registry.js';
import type { ContainerRuntime, RuntimeInfo } from './runtime/runtime.js';
import { LocalState } from './state/local-state.js';
import type { LogRequestServer } from './requests/logs.js';
import { allocatable } from './profile.js';

export const AGENT_VERSION = '0.1.0';

/** Pods a device accepts, as the kubelet's default. */
const MAX_PODS = 110;

export interface RunningAgent {
  /** Whether the MQTT session with the hub is up now. */
  readonly connected: boolean;
  stop(): Promise<void>;
}

/**
 * Parts a caller may supply instead of the real ones. Only the fleet simulator does, to run
 * many simulated devices in one process on the agent's own code; a device never does.
 */
export interface AgentParts {
  runtime?: ContainerRuntime;
  heartbeat?: HeartbeatSource;
  log?: Logger;
  capacity?: CapacityMessage;
}

export async function startAgent(options: AgentOptions, parts: AgentParts = {}): Promise<RunningAgent> {
  const problem = deviceNameProblem(options.name);
  if (problem) throw new Error(`device name "${options.name}" ${problem}`);
  const log = parts.log ?? createLogger(`agent/${options.name}`, options.logLevel);
  const state = LocalState.open(options.stateDir, (error) => log.warn({ err: error.message, dir: options.stateDir }, 'local state not saved; will retry'));
  // On disk before the Will that carries it reaches the broker, so a crash cannot reuse it.
  const firstBdSeq = state.nextBdSeq();
  await state.flushed();
  const endpoint = parts.runtime ? 'supplied' : resolveEngineEndpoint(options.runtimeEndpoint);
  const runtime = parts.runtime ?? createRuntime(options.runtime, { device: options.name, endpoint });
  const engine = await engineInfo(runtime, log);
  const capacity = parts.capacity ?? allocatable({ cpuMillis: cpus().length * 1000, memoryBytes: totalmem(), pods: MAX_PODS }, options.profile?.reserved);

  const identity = await establishIdentity(options, log);
  const hubUrl = identity?.mqttUrl ?? options.hubUrl;
  const topics = new Topics(options.topicPrefix);
  const link = new AgentLink({
    url: hubUrl,
    ...(identity ? { tls: identity } : {}),
    device: options.name,
    topics,
    firstBdSeq,
    reconnect: DEFAULT_RECONNECT,
    log,
  });

  // Status and events go out through the outbox, so none is lost while the hub is out of reach.
  const outbox = Outbox.open(options.stateDir, {
    onWriteFailure: (error) => log.warn({ err: error.message, dir: options.stateDir }, 'outbox not saved; will retry'),
  });
  const sender = new OutboxSender({ outbox, channel: link, log });
  const reconciler = new Reconciler({
    device: options.name,
    runtime,
    state,
    backoff: { baseMs: options.backoffSeconds * 1000, maxMs: options.maxBackoffSeconds * 1000 },
    resyncMs: options.resyncSeconds * 1000,
    log,
    onStatus: (status) => {
      outbox.addStatus(status);
      sender.wake();
    },
    onEvent: (event) => {
      outbox.addEvent(event);
      sender.wake();
    },
  });

  link.on('disconnected', () => outbox.setOnline(false));
  link.on('connected', (bdSeq) => {
    state.rememberBdSeq(bdSeq);
    outbox.setOnline(true);
    const birth: BirthMessage = {
      bdSeq,
      info: {
        arch: engine.arch || arch(),
        os: `${platform()}`,
        kernel: release(),
        hostname: hostname(),
        runtime: engine.name,
        runtimeVersion: engine.version,
        agentVersion: AGENT_VERSION,
        profile: options.profile?.name ?? '',
        health: healthMessage(options.health),
      },
      capacity,
      labels: options.labels,
      status: reconciler.status,
    };
    link.publishBirth(birth).catch((error: Error) => log.warn({ err: error.message }, 'birth not sent'));
    if (outbox.length > 0 || outbox.dropped > 0) log.info({ entries: outbox.length, dropped: outbox.dropped }, 'sending what was kept while offline');
    // After the birth, in the order they happened.
    sender.wake();
    // A fresh status follows (replacing a queued one), whatever the last pass reported.
    reconciler.forgetReported();
    reconciler.trigger();
  });
  link.on('desired', (desired) => {
    if (desired.generation < reconciler.desiredGeneration) {
      log.info({ generation: desired.generation }, 'ignored an older desired state');
      return;
    }
    log.info({ generation: desired.generation, pods: desired.pods.length }, 'desired state received');
    reconciler.setDesired(desired);
  });
  link.on('desiredCleared', () => {
    log.info('the hub cleared this device: removing its pods');
    reconciler.setDesired({ generation: 0, pods: [] });
  });
  // Loaded on the first log request: most devices go a long time without one.
  let logServer: Promise<LogRequestServer> | undefined;
  const logRequests = () =>
    (logServer ??= import('./requests/logs.js').then(
      ({ LogRequestServer }) => new LogRequestServer({ device: options.name, runtime, log, send: (id, chunk) => link.publishResponse('logs', id, encode('LogChunk', chunk)) }),
    ));
  link.on('request', (kind, payload) => {
    if (kind === 'logs') void logRequests().then((server) => server.handle(payload));
  });
  // Nothing could reach the hub now: its end of every stream times out, and it asks again.
  link.on('disconnected', () => void logServer?.then((server) => server.stopAll()));

  await reconciler.start();
  link.start();

  const sampler = parts.heartbeat ?? new HeartbeatSampler();
  const beat = async () => {
    if (!link.connected) return;
    const running = reconciler.status.pods.filter((p) => p.phase === 'Running').length;
    const heartbeat = await sampler.sample(running, link.bdSeq);
    await link.publishHeartbeat({ ...heartbeat, sentAtMs: Date.now() });
  };
  let current = identity;
  const renewIfDue = async () => {
    if (current === undefined || !renewalDue(current.certificatePem)) return;
    const renewed = await renewIdentity(current);
    saveIdentity(options.stateDir, renewed);
    link.useCertificate(renewed);
    current = renewed;
    log.info('certificate renewed');
  };
  const checkRenewal = () => void renewIfDue().catch((error: Error) => log.warn({ err: error.message }, 'certificate not renewed yet; will try again'));
  const renewalTimer = setInterval(checkRenewal, RENEWAL_CHECK_MS);
  checkRenewal();
  const heartbeatTimer = setInterval(() => {
    beat().catch((error: Error) => log.warn({ err: error.message }, 'heartbeat not sent'));
  }, options.heartbeatSeconds * 1000);
  link.on('connected', () => void beat().catch(() => undefined));
  // Per-pod figures come from the engine's stats; a runtime without them reports none.
  const podStats =
    runtime.stats === undefined
      ? undefined
      : new PodStatsReporter({
          sample: () => runtime.stats?.() ?? Promise.resolve([]),
          publish: (report) => link.publishPodStats(report),
          connected: () => link.connected,
          intervalSeconds: options.podStatsSeconds,
          log,
        });
  podStats?.start();

  log.info({ hub: hubUrl, engine: `${engine.name} ${engine.version}`, endpoint }, 'agent started');
  return {
    get connected() {
      return link.connected;
    },
    async stop() {
      clearInterval(heartbeatTimer);
      clearInterval(renewalTimer);
      podStats?.stop();
      await reconciler.stop();
      (await logServer)?.stopAll();
      sender.stop();
      await link.stop();
      await outbox.close();
      await runtime.close();
      state.flush();
      await state.flushed();
      log.info('agent stopped; its containers keep running');
    },
  };
}

/**
 * The identity kept from an earlier enrolment, or a new one from the join token; none without
 * a token (a development hub's plain listener). A device keeps its first identity: a token
 * given again later is not used.
 */
async function establishIdentity(options: AgentOptions, log: Logger): Promise<DeviceIdentity | undefined> {
  const kept = loadIdentity(options.stateDir);
  if (kept !== undefined) {
    if (kept.device !== options.name) {
      throw new Error(
        `this device enrolled as ${kept.device}, not ${options.name}: start it with --name ${kept.device}, or remove ${identityDir(options.stateDir)} and enrol again with a new join token`,
      );
    }
    if (options.token !== undefined) log.debug('already enrolled; the join token is not needed any more');
    return kept;
  }
  if (options.token === undefined) return undefined;
  log.info({ device: options.name }, 'enrolling with the join token');
  const caPem = options.caFile === undefined ? undefined : readFileSync(options.caFile, 'utf8');
  const identity = await enrol({ token: options.token, device: options.name, labels: options.labels, ...(caPem ? { caPem } : {}), log });
  saveIdentity(options.stateDir, identity);
  log.info({ device: identity.device, broker: identity.mqttUrl }, 'enrolled: this device has its own certificate now');
  return identity;
}

/** Waits for the engine: on boot the agent may come up before Docker or Podman. */
async function engineInfo(runtime: ContainerRuntime, log: Logger): Promise<RuntimeInfo> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runtime.info();
    } catch (error) {
      if (attempt >= 5) throw new Error(`the container engine does not answer: ${(error as Error).message}`);
      log.warn({ err: (error as Error).message }, 'container engine not answering yet');
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
    }
  }
}

/** The thresholds for the birth: 0 for each one the device leaves to the hub; none without any. */
function healthMessage(health: DeviceHealthThresholds | undefined): HealthThresholdsMessage | null {
  if (health === undefined) return null;
  return {
    memoryPressurePercent: health.memoryPressurePercent ?? 0,
    diskPressurePercent: health.diskPressurePercent ?? 0,
    highTemperatureCelsius: health.highTemperatureCelsius ?? 0,
  };
}
