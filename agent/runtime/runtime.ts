/**
 * What the agent needs from a container engine. Adapters register by name in registry.ts;
 * each must pass the contract suite in test/agent/runtime/runtime-contract.ts.
 *
 * An adapter only ever touches containers that carry the label `io.flotilla.device` with its
 * own device name: several agents can share one engine without seeing each other's work.
 */
import type { Readable } from 'node:stream';
import { FlotillaError } from '../../shared/errors.js';

export const LABEL_DEVICE = 'io.flotilla.device';
export const LABEL_POD_NAMESPACE = 'io.flotilla.pod.namespace';
export const LABEL_POD_NAME = 'io.flotilla.pod.name';
export const LABEL_POD_UID = 'io.flotilla.pod.uid';
export const LABEL_CONTAINER = 'io.flotilla.container';
/** Seconds the container gets between SIGTERM and SIGKILL, kept for when its pod is gone. */
export const LABEL_GRACE_SECONDS = 'io.flotilla.grace-seconds';
/** Hash of the container's spec: a different hash means the container must be replaced. */
export const LABEL_SPEC_HASH = 'io.flotilla.spec-hash';
/** The host ports the container binds, `8080/tcp,53/udp`, so a successor knows whether it must wait for them. */
export const LABEL_HOST_PORTS = 'io.flotilla.host-ports';

/** Refuses a spec not labelled with the runtime's own device: no adapter creates for another. */
export function assertOwnDevice(device: string, spec: ContainerCreateSpec): void {
  const owner = spec.labels[LABEL_DEVICE];
  if (owner === device) return;
  const message =
    owner === undefined
      ? `lacks the label ${LABEL_DEVICE}=${device}`
      : `carries ${LABEL_DEVICE}=${owner}, but this runtime serves device ${device}`;
  throw new FlotillaError('Invalid', `container ${spec.name} ${message}`, {
    details: [{ field: `labels["${LABEL_DEVICE}"]`, message }],
  });
}

export interface PortBinding {
  containerPort: number;
  /** 0 or absent: not published on the host. */
  hostPort?: number;
  protocol: 'tcp' | 'udp';
}

export interface ContainerCreateSpec {
  /** Engine-level container name, unique on the engine. */
  name: string;
  image: string;
  /** Replaces the image entrypoint when given. */
  entrypoint?: string[];
  /** Replaces the image cmd when given. */
  cmd?: string[];
  env: { name: string; value: string }[];
  ports: PortBinding[];
  /** CPU limit in millicores; 0 or absent for none. */
  cpuMillis?: number;
  /** Memory limit in bytes; 0 or absent for none. */
  memoryBytes?: number;
  /** Must include LABEL_DEVICE; the adapter refuses to create without it. */
  labels: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'unknown';

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  /** Meaningful when state is `exited`. */
  exitCode?: number;
  /** Epoch milliseconds, when the engine reports them. */
  startedAt?: number;
  finishedAt?: number;
  /** Set when the engine killed it for exceeding its memory limit. */
  oomKilled?: boolean;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface RuntimeInfo {
  /** Engine name as it reports itself ("podman", "docker"). */
  name: string;
  version: string;
  os: string;
  arch: string;
}

export interface RuntimeEvent {
  containerId: string;
  /** The engine's action word: start, die, stop, kill, destroy... */
  action: string;
  labels: Record<string, string>;
}

/** What to read of a container's log, as Kubernetes' log options say it. */
export interface LogOptions {
  /** Lines from the end; undefined for the whole log. */
  tailLines?: number;
  /** Only what was written in the last this many seconds; undefined for no limit. */
  sinceSeconds?: number;
  /** Keep the stream open for what the container writes next, until it stops or the stream is destroyed. */
  follow: boolean;
  /** Each line starts with the engine's RFC 3339 timestamp. */
  timestamps: boolean;
}

export interface ContainerRuntime {
  readonly name: string;
  info(): Promise<RuntimeInfo>;
  /** Containers of this device (running or not), found by LABEL_DEVICE. */
  list(): Promise<ContainerRecord[]>;
  inspect(id: string): Promise<ContainerRecord | undefined>;
  /** Makes the image present according to the policy; fails with a message naming the image. */
  ensureImage(image: string, policy: PullPolicy): Promise<void>;
  /** Creates (does not start) a container; returns its id. */
  create(spec: ContainerCreateSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** Stops with SIGTERM, then SIGKILL after the grace period. Stopping a stopped container is not an error. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Removes, forcing if running. Removing a missing container is not an error. */
  remove(id: string): Promise<void>;
  /** Follows engine events for this device's containers until the returned function is called. */
  events(onEvent: (event: RuntimeEvent) => void, onError: (error: Error) => void): Promise<() => void>;
  close(): Promise<void>;
  /**
   * The output of one of this device's containers, stdout and stderr interleaved as written,
   * as a byte stream; destroying it ends a follow. Optional, so a test double need not have
   * it: a runtime without it answers `flotilla logs` with an error saying so.
   */
  logs?(id: string, options: LogOptions): Promise<Readable>;
  /**
   * CPU and memory of this device's running containers, from one sample of the engine's
   * stats each. Optional: a runtime without it reports no per-pod figures.
   */
  stats?(): Promise<ContainerStats[]>;
}

/** One running container's use of the device. */
export interface ContainerStats {
  id: string;
  labels: Record<string, string>;
  /** Millicores, averaged since the adapter's previous sample of the container (or since it started). */
  cpuMillis: number;
  /** Working set: memory in use less the page cache the kernel can take back, as kubelet counts it. */
  memoryBytes: number;
}

export interface RuntimeOptions {
  device: string;
  /** Engine API endpoint: a unix socket path, or http://host:port. */
  endpoint: string;
}

export type RuntimeFactory = (options: RuntimeOptions) => ContainerRuntime;
