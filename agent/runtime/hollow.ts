/**
 * A simulated ("hollow") container engine, for the fleet simulator only: containers live in
 * memory and no process runs. Where the agent can tell, it behaves as the Docker adapter
 * does — labels, device fencing, create → created, start → running after a delay, quiet stop
 * and remove of what is already stopped or gone, start/die/destroy events — so the agent's
 * reconciler, link and state run unchanged on top of it, and a figure measured with hollow
 * devices says something about the real agent.
 *
 * It is deliberately not in registry.ts: no flag or firmware profile can pick it where a real
 * agent is meant to run containers.
 */
import { randomBytes } from 'node:crypto';
import { arch as hostArch } from 'node:os';
import { Readable } from 'node:stream';
import { FlotillaError } from '../../shared/errors.js';
import type { HeartbeatMessage } from '../../shared/proto/codec.js';
import type { HeartbeatSource } from '../heartbeat.js';
import {
  assertOwnDevice,
  LABEL_DEVICE,
  type ContainerCreateSpec,
  type ContainerRecord,
  type ContainerRuntime,
  type ContainerStats,
  type LogOptions,
  type PullPolicy,
  type RuntimeEvent,
  type RuntimeInfo,
} from './runtime.js';

export const HOLLOW_RUNTIME_NAME = 'hollow';
export const HOLLOW_ENGINE_VERSION = '1.0.0';
export const DEFAULT_START_DELAY_MS = 200;

/** Lines a hollow container has written when its log is first read, one a second from its start. */
export const HOLLOW_LOG_LINES = 5;
/** How often a followed hollow container writes another line. */
const HOLLOW_LOG_EVERY_MS = 1_000;

/** Exit code of a process ended by SIGKILL (128 + 9), as the engines report it. */
const KILLED_EXIT_CODE = 137;

export interface HollowContainer {
  record: ContainerRecord;
  /** A start in progress: a second start waits for it instead of starting twice. */
  starting?: Promise<void>;
}

type EngineListener = (event: RuntimeEvent) => void;

/**
 * The simulated engine: the containers of every device that shares it, and their events.
 * Each HollowRuntime is one device's adapter onto it, as a DockerRuntime is onto a Podman
 * socket. The first two methods are the view from outside, for tests and the simulator to
 * act behind the agent's back; the rest are the adapter's, which does the device fencing.
 */
export class HollowEngine {
  readonly #containers = new Map<string, HollowContainer>();
  /** Engine names are unique across the engine, as Docker's and Podman's are. */
  readonly #byName = new Map<string, HollowContainer>();
  readonly #listeners = new Set<EngineListener>();
  readonly #pulled = new Set<string>();

  /** Every container, of every device, as the engine itself sees it. */
  containers(): ContainerRecord[] {
    return [...this.#containers.values()].map((c) => copyRecord(c.record));
  }

  /**
   * Ends a running container's process as a crash or the OOM killer would: the container
   * exits with `exitCode` and a die event goes out. Returns false when nothing was running.
   */
  kill(id: string, exitCode = KILLED_EXIT_CODE, options: { oomKilled?: boolean } = {}): boolean {
    const container = this.#containers.get(id);
    if (container?.record.state !== 'running') return false;
    if (options.oomKilled) container.record.oomKilled = true;
    this.exit(container, exitCode);
    return true;
  }

  /** A container by id or by name, as the engines look them up. */
  find(idOrName: string): HollowContainer | undefined {
    return this.#containers.get(idOrName) ?? this.#byName.get(idOrName);
  }

  nameTaken(name: string): boolean {
    return this.#byName.has(name);
  }

  add(container: HollowContainer): void {
    this.#containers.set(container.record.id, container);
    this.#byName.set(container.record.name, container);
    this.emit('create', container.record);
  }

  delete(container: HollowContainer): void {
    if (!this.#containers.delete(container.record.id)) return;
    this.#byName.delete(container.record.name);
    this.emit('destroy', container.record);
  }

  exit(container: HollowContainer, exitCode: number): void {
    const record = container.record;
    record.state = 'exited';
    record.exitCode = exitCode;
    record.finishedAt = Date.now();
    this.emit('die', record);
  }

  /** Whether the image was pulled before; from now on it has been. */
  pulledBefore(image: string): boolean {
    const before = this.#pulled.has(image);
    this.#pulled.add(image);
    return before;
  }

  emit(action: string, record: ContainerRecord): void {
    if (this.#listeners.size === 0) return;
    const event: RuntimeEvent = { containerId: record.id, action, labels: { ...record.labels } };
    // Engine events reach their followers after the call that caused them has returned.
    setImmediate(() => {
      for (const listener of this.#listeners) listener(event);
    });
  }

  listen(listener: EngineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export interface HollowRuntimeOptions {
  device: string;
  /** What info() reports as the engine's architecture; the host's by default. */
  arch?: string;
  /** How long a start takes before the container runs (default 200 ms, about Podman's). */
  startDelayMs?: number;
  /** Up to this much more, drawn per start, so a fleet's pods do not all start in step. */
  startJitterMs?: number;
  /** How long pulling an image takes, the first time (or every time under Always). */
  pullDelayMs?: number;
  /** Images whose pull fails, as an unknown image or an unreachable registry would (ErrImagePull). */
  failImages?: RegExp;
  /** Shared with other devices' runtimes; one of its own by default. */
  engine?: HollowEngine;
  /** Source of the jitter; seeded by the fleet simulator so runs repeat. */
  random?: () => number;
}

export class HollowRuntime implements ContainerRuntime {
  readonly name = HOLLOW_RUNTIME_NAME;
  readonly device: string;
  readonly engine: HollowEngine;
  readonly #arch: string;
  readonly #startDelayMs: number;
  readonly #startJitterMs: number;
  readonly #pullDelayMs: number;
  readonly #failImages: RegExp | undefined;
  readonly #random: () => number;
  readonly #openStreams = new Set<() => void>();

  constructor(options: HollowRuntimeOptions) {
    this.device = options.device;
    this.engine = options.engine ?? new HollowEngine();
    this.#arch = options.arch ?? dockerArch(hostArch());
    this.#startDelayMs = Math.max(0, options.startDelayMs ?? DEFAULT_START_DELAY_MS);
    this.#startJitterMs = Math.max(0, options.startJitterMs ?? 0);
    this.#pullDelayMs = Math.max(0, options.pullDelayMs ?? 0);
    this.#failImages = options.failImages;
    this.#random = options.random ?? Math.random;
  }

  async info(): Promise<RuntimeInfo> {
    return { name: HOLLOW_RUNTIME_NAME, version: HOLLOW_ENGINE_VERSION, os: 'linux', arch: this.#arch };
  }

  async list(): Promise<ContainerRecord[]> {
    return this.engine.containers().filter((record) => record.labels[LABEL_DEVICE] === this.device);
  }

  async inspect(id: string): Promise<ContainerRecord | undefined> {
    const container = this.#owned(id);
    return container && copyRecord(container.record);
  }

  async ensureImage(image: string, policy: PullPolicy): Promise<void> {
    const fails = this.#failImages?.test(image) ?? false;
    switch (policy) {
      case 'Never':
        if (!fails) return;
        throw new FlotillaError('NotFound', `image ${image} is not present on device ${this.device} and its pull policy is Never`, {
          hint: 'load the image on the device (`podman load`, `docker load`) or use imagePullPolicy IfNotPresent',
        });
      case 'IfNotPresent':
      case 'Always': {
        if (fails) {
          await sleep(this.#pullDelayMs);
          throw new FlotillaError('Unavailable', `pulling image ${image} failed: manifest unknown (the hollow engine fails images matching ${this.#failImages})`, {
            hint: 'check the image name and tag, that the registry is reachable from the device, and its credentials',
          });
        }
        const pulledBefore = this.engine.pulledBefore(image);
        if (policy === 'Always' || !pulledBefore) await sleep(this.#pullDelayMs);
        return;
      }
      default:
        throw new FlotillaError('Invalid', `unknown image pull policy "${String(policy)}" for image ${image}`, {
          details: [{ field: 'imagePullPolicy', message: 'expected Always, IfNotPresent or Never' }],
        });
    }
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    assertOwnDevice(this.device, spec);
    if (this.engine.nameTaken(spec.name)) {
      throw new FlotillaError('AlreadyExists', `creating container ${spec.name} from image ${spec.image}: the container name "${spec.name}" is already in use`);
    }
    const id = randomBytes(32).toString('hex');
    this.engine.add({ record: { id, name: spec.name, image: spec.image, labels: { ...spec.labels }, state: 'created' } });
    return id;
  }

  async start(id: string): Promise<void> {
    const container = this.#owned(id);
    if (container === undefined) throw this.#missing(id);
    if (container.record.state === 'running') return;
    container.starting ??= this.#startAfterDelay(container).finally(() => {
      delete container.starting;
    });
    return container.starting;
  }

  /** The simulated process honours SIGTERM at once and exits 0, so the grace period is never needed. */
  async stop(id: string, _graceSeconds: number): Promise<void> {
    const container = this.#owned(id);
    if (container?.record.state !== 'running') return;
    this.engine.exit(container, 0);
    this.engine.emit('stop', container.record);
  }

  async remove(id: string): Promise<void> {
    const container = this.#owned(id);
    if (container === undefined) return;
    if (container.record.state === 'running') this.engine.exit(container, KILLED_EXIT_CODE);
    this.engine.delete(container);
  }

  async events(onEvent: (event: RuntimeEvent) => void, _onError: (error: Error) => void): Promise<() => void> {
    let stopped = false;
    const unlisten = this.engine.listen((event) => {
      if (!stopped && event.labels[LABEL_DEVICE] === this.device) onEvent(event);
    });
    const stop = (): void => {
      stopped = true;
      unlisten();
      this.#openStreams.delete(stop);
    };
    this.#openStreams.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    for (const stop of [...this.#openStreams]) stop();
  }

  /**
   * Simulated figures of this device's running containers: each a resting CPU and memory of
   * its own (drawn from its id, so it keeps them), give or take a tenth from sample to sample.
   */
  async stats(): Promise<ContainerStats[]> {
    const running = (await this.list()).filter((record) => record.state === 'running');
    return running.map((record) => {
      const own = seededRandom(record.id);
      const wobble = 0.9 + this.#random() * 0.2;
      return {
        id: record.id,
        labels: record.labels,
        cpuMillis: Math.round((5 + own() * 75) * wobble),
        memoryBytes: Math.round((16 + own() * 80) * MIB * wobble),
      };
    });
  }

  /**
   * No process writes anything, so the log is made up: HOLLOW_LOG_LINES lines, one a second up
   * to the moment it is read, and under follow one more a second while it runs. Enough for
   * `flotilla logs` against a simulated fleet to exercise the whole path, tail and since included.
   */
  async logs(id: string, options: LogOptions): Promise<Readable> {
    const container = this.#owned(id);
    if (container === undefined) throw this.#missing(id);
    const record = container.record;
    const line = (n: number, at: number): string =>
      `${options.timestamps ? `${new Date(at).toISOString()} ` : ''}hollow container ${record.name}: simulated line ${n}\n`;
    const now = Date.now();
    const after = options.sinceSeconds === undefined ? -Infinity : now - options.sinceSeconds * 1000;
    let written = Array.from({ length: HOLLOW_LOG_LINES }, (_, i) => ({ n: i + 1, at: now - (HOLLOW_LOG_LINES - 1 - i) * 1000 })).filter((l) => l.at > after);
    if (options.tailLines !== undefined) written = options.tailLines === 0 ? [] : written.slice(-options.tailLines);
    const text = written.map((l) => line(l.n, l.at)).join('');
    if (!options.follow) return Readable.from([Buffer.from(text)], { objectMode: false });
    const stream = new Readable({ read() {} });
    if (text) stream.push(text);
    let next = HOLLOW_LOG_LINES + 1;
    const timer = setInterval(() => {
      if (record.state !== 'running') {
        clearInterval(timer);
        stream.push(null);
        return;
      }
      stream.push(line(next++, Date.now()));
    }, HOLLOW_LOG_EVERY_MS);
    stream.on('close', () => clearInterval(timer));
    return stream;
  }

  async #startAfterDelay(container: HollowContainer): Promise<void> {
    await sleep(this.#startDelayMs + Math.round(this.#startJitterMs * this.#random()));
    // Removed while it was starting: the engine answers as it would for any missing container.
    if (this.engine.find(container.record.id) !== container) throw this.#missing(container.record.id);
    const record = container.record;
    record.state = 'running';
    record.startedAt = Date.now();
    delete record.exitCode;
    delete record.finishedAt;
    delete record.oomKilled;
    this.engine.emit('start', record);
  }

  /** The container if it exists and is this device's; undefined if missing; an error if another's. */
  #owned(id: string): HollowContainer | undefined {
    const container = this.engine.find(id);
    if (container === undefined) return undefined;
    const owner = container.record.labels[LABEL_DEVICE];
    if (owner !== this.device) {
      const whose = owner === undefined ? 'it is not managed by Flotilla' : `it belongs to device ${owner}`;
      throw new FlotillaError('Conflict', `container ${id} does not belong to device ${this.device}: ${whose}`, {
        hint: 'an agent only touches containers labelled with its own device name',
      });
    }
    return container;
  }

  #missing(id: string): FlotillaError {
    return new FlotillaError('NotFound', `container ${id} does not exist on device ${this.device}`);
  }
}

export interface HollowHeartbeatOptions {
  /** Each device draws its own figures from this; the same seed gives the same device. */
  seed: string | number;
  memoryTotalBytes: number;
  /** Default 32 GiB, an SD card or eMMC of an edge box. */
  diskTotalBytes?: number;
  now?: () => number;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/**
 * Heartbeat figures of a simulated device: a resting load of its own, plus a share per running
 * pod, drifting slowly from beat to beat (no real board jumps from 5 % to 90 % and back).
 */
export class HollowHeartbeat implements HeartbeatSource {
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #memoryTotalBytes: number;
  readonly #diskTotalBytes: number;
  readonly #idleCpuPercent: number;
  readonly #cpuPercentPerPod: number;
  readonly #idleMemoryBytes: number;
  readonly #memoryBytesPerPod: number;
  readonly #ambientCelsius: number;
  readonly #bootedAtMs: number;
  #diskUsedBytes: number;
  /** Slow noise in [-1, 1]: each beat keeps most of the last value. */
  #drift = 0;
  /** Network traffic: a resting rate each way, more per running pod, counted since boot. */
  readonly #network: { rxPerSecond: number; txPerSecond: number; perPod: number; rxBytes: number; txBytes: number; atMs: number };

  constructor(options: HollowHeartbeatOptions) {
    const random = seededRandom(options.seed);
    this.#random = random;
    this.#now = options.now ?? Date.now;
    this.#memoryTotalBytes = options.memoryTotalBytes;
    this.#diskTotalBytes = options.diskTotalBytes ?? 32 * GIB;
    this.#idleCpuPercent = 2 + random() * 10;
    this.#cpuPercentPerPod = 3 + random() * 5;
    this.#idleMemoryBytes = this.#memoryTotalBytes * (0.15 + random() * 0.2);
    this.#memoryBytesPerPod = (40 + random() * 80) * MIB;
    this.#ambientCelsius = 35 + random() * 15;
    this.#diskUsedBytes = this.#diskTotalBytes * (0.2 + random() * 0.4);
    // Devices in a fleet were booted at different times: up to 30 days ago.
    this.#bootedAtMs = this.#now() - Math.round(random() * 30 * 86_400_000);
    // Drawn from a sequence of its own, so the other figures are those of a device without it.
    const network = seededRandom(`${String(options.seed)}/network`);
    const rxPerSecond = (2 + network() * 60) * 1024;
    const txPerSecond = rxPerSecond * (0.1 + network() * 0.4);
    const uptimeSeconds = (this.#now() - this.#bootedAtMs) / 1000;
    this.#network = {
      rxPerSecond,
      txPerSecond,
      perPod: (1 + network() * 20) * 1024,
      rxBytes: Math.round(rxPerSecond * uptimeSeconds),
      txBytes: Math.round(txPerSecond * uptimeSeconds),
      atMs: this.#now(),
    };
  }

  async sample(runningPods: number, bdSeq: number): Promise<HeartbeatMessage> {
    this.#drift = clamp(this.#drift * 0.8 + (this.#random() - 0.5) * 0.6, -1, 1);
    const cpuPercent = clamp(this.#idleCpuPercent + runningPods * this.#cpuPercentPerPod + this.#drift * 3, 0.5, 100);
    const memoryUsedBytes = Math.min(
      this.#memoryTotalBytes * 0.97,
      this.#idleMemoryBytes + runningPods * this.#memoryBytesPerPod + this.#drift * 16 * MIB,
    );
    // Logs and images grow the disk slowly; it never fills in a benchmark's lifetime.
    this.#diskUsedBytes = Math.min(this.#diskTotalBytes * 0.95, this.#diskUsedBytes + this.#random() * MIB);
    const now = this.#now();
    const network = this.#network;
    const rxRate = (network.rxPerSecond + runningPods * network.perPod) * (1 + this.#drift * 0.2);
    const txRate = (network.txPerSecond + runningPods * network.perPod * 0.5) * (1 + this.#drift * 0.2);
    const elapsedSeconds = Math.max(0, (now - network.atMs) / 1000);
    network.rxBytes += Math.round(rxRate * elapsedSeconds);
    network.txBytes += Math.round(txRate * elapsedSeconds);
    network.atMs = now;
    return {
      cpuPercent: round1(cpuPercent),
      memoryUsedBytes: Math.round(memoryUsedBytes),
      memoryTotalBytes: this.#memoryTotalBytes,
      diskUsedBytes: Math.round(this.#diskUsedBytes),
      diskTotalBytes: this.#diskTotalBytes,
      temperatureCelsius: round1(this.#ambientCelsius + cpuPercent * 0.3 + this.#drift),
      uptimeSeconds: Math.round((now - this.#bootedAtMs) / 1000),
      runningPods,
      bdSeq,
      sentAtMs: now,
      networkRxBytes: network.rxBytes,
      networkTxBytes: network.txBytes,
      networkRxBytesPerSecond: Math.round(rxRate),
      networkTxBytesPerSecond: Math.round(txRate),
    };
  }
}

/**
 * A small, fast pseudo-random generator (mulberry32) seeded from any string or number: the
 * same seed gives the same sequence, so a simulated fleet is the same fleet on every run.
 */
export function seededRandom(seed: string | number): () => number {
  let state = hashSeed(String(seed));
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a: spreads similar seeds ("hollow-0001", "hollow-0002") far apart. */
function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Node's architecture names as container engines write them. */
export function dockerArch(nodeArch: string): string {
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm' };
  return names[nodeArch] ?? nodeArch;
}

function copyRecord(record: ContainerRecord): ContainerRecord {
  return { ...record, labels: { ...record.labels } };
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
