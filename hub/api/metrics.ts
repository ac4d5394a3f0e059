/**
 * The hub's Prometheus metrics (prom-client), served as text on `GET /metrics`. Gauges are
 * read from the hub's counts when scraped; counters and histograms are fed where things
 * happen: heartbeats by the ingest, bindings by the scheduler, desired states by the
 * dispatcher. The registry is the hub's own, so two hubs in one process never share one.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DEVICE_STATES, POD_PHASES, ROLLOUT_PHASES, type DeviceStateCounts, type FleetRollout, type PodPhaseCounts } from '../../shared/fleet.js';

export interface MetricsSources {
  devicesByState(): DeviceStateCounts;
  podsByPhase(): PodPhaseCounts;
  /** Every Deployment's and DaemonSet's rollout. */
  rollouts(): Iterable<FleetRollout>;
  /** Clients connected to the embedded broker by who they are (device, watcher, hub); undefined with an external broker. */
  brokerConnections?(): Record<string, number> | undefined;
}

/** Where scheduling a pod lands: most bind in milliseconds, a pod that waited for room in minutes. */
const SCHEDULING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const PUBLISH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const ROLLOUT_LABELS = ['kind', 'namespace', 'name'] as const;

export class HubMetrics {
  readonly registry = new Registry();
  readonly #heartbeats: Counter;
  readonly #scheduling: Histogram;
  readonly #publishing: Histogram;

  constructor(sources: MetricsSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: 'flotilla_devices',
      help: 'Devices by state (Ready, NotReady, Offline).',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = sources.devicesByState();
        for (const state of DEVICE_STATES) this.set({ state }, counts[state]);
      },
    });
    new Gauge({
      name: 'flotilla_pods',
      help: 'Pods by phase.',
      labelNames: ['phase'],
      registers,
      collect() {
        const counts = sources.podsByPhase();
        for (const phase of POD_PHASES) this.set({ phase }, counts[phase]);
      },
    });
    this.#heartbeats = new Counter({
      name: 'flotilla_heartbeats_total',
      help: 'Heartbeats received from devices; rate() of it is heartbeats per second.',
      registers,
    });
    this.#scheduling = new Histogram({
      name: 'flotilla_scheduling_latency_seconds',
      help: 'From a pod\'s creation to its binding to a device.',
      buckets: SCHEDULING_BUCKETS,
      registers,
    });
    this.#publishing = new Histogram({
      name: 'flotilla_desired_state_publish_latency_seconds',
      help: "From the change of a device's pods to the broker's acknowledgement of its new desired state.",
      buckets: PUBLISH_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'flotilla_rollout_pods',
      help: "Pods of a workload's rollout: target, updated (of the new revision), ready, failed, pending (waiting for an Offline device).",
      labelNames: [...ROLLOUT_LABELS, 'status'],
      registers,
      collect() {
        this.reset();
        for (const rollout of sources.rollouts()) {
          const labels = rolloutLabels(rollout);
          for (const status of ['target', 'updated', 'ready', 'failed', 'pending'] as const) this.set({ ...labels, status }, rollout[status]);
        }
      },
    });
    new Gauge({
      name: 'flotilla_rollout_wave',
      help: "The wave a workload's rollout is in (1-based).",
      labelNames: ROLLOUT_LABELS,
      registers,
      collect() {
        this.reset();
        for (const rollout of sources.rollouts()) this.set(rolloutLabels(rollout), rollout.wave);
      },
    });
    new Gauge({
      name: 'flotilla_rollout_waves',
      help: "How many waves a workload's rollout has.",
      labelNames: ROLLOUT_LABELS,
      registers,
      collect() {
        this.reset();
        for (const rollout of sources.rollouts()) this.set(rolloutLabels(rollout), rollout.waves);
      },
    });
    new Gauge({
      name: 'flotilla_rollout_phase',
      help: "1 for the phase a workload's rollout is in, 0 for the others.",
      labelNames: [...ROLLOUT_LABELS, 'phase'],
      registers,
      collect() {
        this.reset();
        for (const rollout of sources.rollouts()) {
          for (const phase of ROLLOUT_PHASES) this.set({ ...rolloutLabels(rollout), phase }, rollout.phase === phase ? 1 : 0);
        }
      },
    });
    if (sources.brokerConnections !== undefined) {
      const connections = sources.brokerConnections.bind(sources);
      new Gauge({
        name: 'flotilla_broker_connections',
        help: 'Clients connected to the embedded MQTT broker, by who they are: device, watcher, hub, open (development listener).',
        labelNames: ['client'],
        registers,
        collect() {
          this.reset();
          for (const [client, count] of Object.entries(connections() ?? {})) this.set({ client }, count);
        },
      });
    }
  }

  heartbeat(): void {
    this.#heartbeats.inc();
  }

  /** A pod was bound `seconds` after it was created. */
  scheduled(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.#scheduling.observe(seconds);
  }

  /** A device's desired state was acknowledged by the broker `seconds` after its pods changed. */
  desiredPublished(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.#publishing.observe(seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function rolloutLabels(rollout: FleetRollout): Record<(typeof ROLLOUT_LABELS)[number], string> {
  return { kind: rollout.kind, namespace: rollout.namespace, name: rollout.name };
}
