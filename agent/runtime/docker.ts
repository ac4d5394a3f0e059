/**
 * The runtime adapter for engines that speak the Docker Engine API: Docker, Podman (its
 * `podman system service` socket) and balenaEngine.
 *
 * Several agents may share one engine, so every call is fenced by the device label: list and
 * events ask the engine to filter by it, and inspect/start/stop/remove look at a container's
 * label before acting and refuse a container of another device.
 *
 * The engine's list gives state, labels, names and image, but no start or finish time, exit
 * code or OOM flag, so a full record needs an inspect. Inspecting every container on every
 * list made a reconcile pass cost grow with the number of containers; instead the adapter
 * remembers inspects while it follows engine events (see InspectMemo), and a list inspects
 * only the containers that are new or changed.
 */
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Docker from 'dockerode';
import { FlotillaError } from '../../shared/errors.js';
import { CpuSamples, workingSetBytes, type EngineStatsSample } from './container-stats.js';
import { parseEngineEndpoint } from './endpoint.js';
import { LogFrameDemuxer } from './log-frames.js';
import {
  assertOwnDevice,
  LABEL_DEVICE,
  type ContainerCreateSpec,
  type ContainerRecord,
  type ContainerRuntime,
  type ContainerState,
  type ContainerStats,
  type LogOptions,
  type PullPolicy,
  type RuntimeEvent,
  type RuntimeFactory,
  type RuntimeInfo,
  type RuntimeOptions,
} from './runtime.js';

export const DOCKER_RUNTIME_NAME = 'docker';

/** What dockerode attaches to a failed request; every field is optional because a socket error has none. */
interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  reason?: string;
  message?: string;
  json?: { message?: string } | null;
}

export class DockerRuntime implements ContainerRuntime {
  readonly name = DOCKER_RUNTIME_NAME;
  readonly device: string;
  readonly endpoint: string;
  private readonly docker: Docker;
  private readonly openStreams = new Set<() => void>();
  private readonly memo = new InspectMemo();
  private readonly cpuSamples = new CpuSamples();

  constructor(options: RuntimeOptions) {
    this.device = options.device;
    this.endpoint = options.endpoint;
    this.docker = new Docker(parseEngineEndpoint(options.endpoint));
  }

  async info(): Promise<RuntimeInfo> {
    const version = await this.call('reading the engine version', () => this.docker.version());
    return runtimeInfoFromVersion(version);
  }

  /**
   * Every field of every record is filled, as inspect() fills it: id, name, image, labels and
   * state, plus startedAt, finishedAt, exitCode and oomKilled where they apply. The list call
   * gives the state; the rest comes from an inspect, remembered while an event stream is open
   * and the container shows no change, so only new or changed containers are inspected.
   */
  async list(): Promise<ContainerRecord[]> {
    const summaries = await this.call('listing containers', () =>
      this.docker.listContainers({ all: true, filters: { label: [this.deviceFilter()] } }),
    );
    const records = await Promise.all(summaries.map((summary) => this.recordOfListed(summary)));
    this.memo.retainOnly(new Set(summaries.map((summary) => summary.Id)));
    return records.filter((record): record is ContainerRecord => record !== undefined);
  }

  async inspect(id: string): Promise<ContainerRecord | undefined> {
    const ticket = this.memo.begin(id);
    let record: ContainerRecord | undefined;
    try {
      const info = await this.ownedContainer(id);
      record = info && recordFromInspect(info);
    } finally {
      // Kept only when asked by full id: events name containers by full id, so a container
      // inspected by name could change without the memo hearing of it.
      this.memo.settle(ticket, record?.id === id ? record : undefined);
    }
    return record;
  }

  async ensureImage(image: string, policy: PullPolicy): Promise<void> {
    switch (policy) {
      case 'Always':
        return this.pull(image);
      case 'IfNotPresent':
        if (!(await this.imagePresent(image))) await this.pull(image);
        return;
      case 'Never':
        if (await this.imagePresent(image)) return;
        throw new FlotillaError('NotFound', `image ${image} is not present on device ${this.device} and its pull policy is Never`, {
          hint: 'load the image on the device (`podman load`, `docker load`) or use imagePullPolicy IfNotPresent',
        });
      default:
        throw new FlotillaError('Invalid', `unknown image pull policy "${String(policy)}" for image ${image}`, {
          details: [{ field: 'imagePullPolicy', message: 'expected Always, IfNotPresent or Never' }],
        });
    }
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    assertOwnDevice(this.device, spec);
    const created = await this.call(`creating container ${spec.name} from image ${spec.image}`, () =>
      this.docker.createContainer(createOptionsFromSpec(spec)),
    );
    return created.id;
  }

  async start(id: string): Promise<void> {
    const info = await this.ownedContainer(id);
    if (info === undefined) throw this.missing(id);
    try {
      // 304: already running, which is what the caller wants.
      await this.call(`starting container ${id}`, () => this.docker.getContainer(info.Id).start(), [304]);
    } finally {
      this.memo.changed(info.Id);
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const info = await this.ownedContainer(id);
    // A missing container is as stopped as it gets: the caller's goal is met.
    if (info === undefined) return;
    try {
      // 304: already stopped; 404: removed since the inspect above. Both leave it stopped.
      await this.call(`stopping container ${id}`, () => this.docker.getContainer(info.Id).stop({ t: Math.max(0, Math.round(graceSeconds)) }), [304, 404]);
    } finally {
      this.memo.changed(info.Id);
    }
  }

  async remove(id: string): Promise<void> {
    const info = await this.ownedContainer(id);
    if (info === undefined) return;
    try {
      // v: anonymous volumes go with the container, or a crash-looping pod fills the disk.
      await this.call(`removing container ${id}`, () => this.docker.getContainer(info.Id).remove({ force: true, v: true }), [404]);
    } finally {
      this.memo.changed(info.Id);
    }
  }

  async events(onEvent: (event: RuntimeEvent) => void, onError: (error: Error) => void): Promise<() => void> {
    const stream = (await this.call('following engine events', () =>
      this.docker.getEvents({ filters: { type: ['container'], label: [this.deviceFilter()] } }),
    )) as Readable;
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.openStreams.delete(stop);
      this.memo.streamClosed();
      stream.destroy();
    };
    const fail = (error: Error): void => {
      if (stopped) return;
      stop();
      onError(error);
    };
    const lines = createLineSplitter((line) => {
      if (stopped) return;
      const event = parseEngineEvent(line, this.device);
      if (event === undefined) return;
      this.memo.changed(event.containerId);
      onEvent(event);
    });
    stream.on('data', (chunk: Buffer | string) => lines.push(chunk));
    stream.on('error', (error: Error) => fail(this.failure('following engine events', error)));
    stream.on('close', () => {
      lines.end();
      fail(new FlotillaError('Unavailable', `the container engine at ${this.endpoint} closed the event stream`));
    });
    this.openStreams.add(stop);
    this.memo.streamOpened();
    return stop;
  }

  /**
   * One stats sample of each running container of this device, asked for together. A
   * container that stops between the list and its sample is left out.
   */
  async stats(): Promise<ContainerStats[]> {
    const summaries = await this.call('listing running containers', () =>
      this.docker.listContainers({ filters: { label: [this.deviceFilter()], status: ['running'] } }),
    );
    this.cpuSamples.retainOnly(new Set(summaries.map((summary) => summary.Id)));
    const sampled = await Promise.all(
      summaries.map(async (summary): Promise<ContainerStats | undefined> => {
        const [record, sample] = await Promise.all([
          this.recordOfListed(summary),
          this.call(`reading the stats of container ${summary.Id}`, () => this.docker.getContainer(summary.Id).stats({ stream: false }), [404]),
        ]);
        if (record === undefined || sample === undefined) return undefined;
        const engineSample = sample as EngineStatsSample;
        return {
          id: summary.Id,
          labels: record.labels,
          cpuMillis: this.cpuSamples.cpuMillis(summary.Id, engineSample, Date.now(), record.startedAt),
          memoryBytes: workingSetBytes(engineSample),
        };
      }),
    );
    return sampled.filter((stats): stats is ContainerStats => stats !== undefined);
  }

  async close(): Promise<void> {
    for (const stop of [...this.openStreams]) stop();
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const info = await this.ownedContainer(id);
    if (info === undefined) throw this.missing(id);
    const query = {
      stdout: true,
      stderr: true,
      follow: options.follow,
      timestamps: options.timestamps,
      ...(options.tailLines === undefined ? {} : { tail: options.tailLines }),
      // The engine takes a point in time; the device's own clock is the one its log was stamped with.
      ...(options.sinceSeconds === undefined ? {} : { since: Math.floor(Date.now() / 1000) - options.sinceSeconds }),
    };
    const stream = await this.call(`reading the log of container ${id}`, () => this.logStream(info.Id, query));
    // Only a container with a TTY sends its log unframed; the agent makes none, but a person may.
    if (info.Config?.Tty === true) return stream;
    // Destroying the demuxer (the reader is done) closes the engine's connection too.
    return pipeline(stream, new LogFrameDemuxer(), () => undefined);
  }

  /**
   * The log as a stream, followed or not: dockerode reads a log that is not followed whole
   * into memory first, and a container's log can be far larger than a device's memory.
   */
  private logStream(id: string, query: Record<string, unknown>): Promise<Readable> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(
        { path: `/containers/${encodeURIComponent(id)}/logs?`, method: 'GET', isStream: true, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' }, options: query },
        (error, result) => (error ? reject(error) : resolve(result as Readable)),
      );
    });
  }

  private deviceFilter(): string {
    return `${LABEL_DEVICE}=${this.device}`;
  }

  /** The container if it exists and is this device's; undefined if missing; an error if another's. */
  private async ownedContainer(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const info = await this.inspectRaw(id);
    if (info === undefined) return undefined;
    const owner = ownerOf(info);
    if (owner !== this.device) {
      const whose = owner === undefined ? 'it is not managed by Flotilla' : `it belongs to device ${owner}`;
      throw new FlotillaError('Conflict', `container ${id} does not belong to device ${this.device}: ${whose}`, {
        hint: 'an agent only touches containers labelled with its own device name',
      });
    }
    return info;
  }

  /** The record of a listed container: remembered if it cannot have changed, else inspected. */
  private async recordOfListed(summary: Docker.ContainerInfo): Promise<ContainerRecord | undefined> {
    const remembered = this.memo.recall(summary.Id, containerState(summary.State));
    if (remembered !== undefined) return remembered;
    const ticket = this.memo.begin(summary.Id);
    let record: ContainerRecord | undefined;
    try {
      const info = await this.inspectRaw(summary.Id);
      // Removed since the list, or relabelled behind the agent's back: not this device's now.
      record = info !== undefined && ownerOf(info) === this.device ? recordFromInspect(info) : undefined;
    } finally {
      this.memo.settle(ticket, record);
    }
    return record;
  }

  private async inspectRaw(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    return this.call(`inspecting container ${id}`, () => this.docker.getContainer(id).inspect(), [404]);
  }

  private missing(id: string): FlotillaError {
    return new FlotillaError('NotFound', `container ${id} does not exist on device ${this.device}`);
  }

  private async imagePresent(image: string): Promise<boolean> {
    const found = await this.call(`inspecting image ${image}`, () => this.docker.getImage(image).inspect(), [404]);
    return found !== undefined;
  }

  /**
   * A pull reports failure inside its progress stream, as a line with `error`, while the HTTP
   * status says 200: the stream has to be read to the end before the pull is known to work.
   */
  private async pull(image: string): Promise<void> {
    const what = `pulling image ${image}`;
    const stream = await this.call(what, () => this.docker.pull(image));
    const output = await new Promise<unknown[]>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, result: unknown[]) =>
        error ? reject(this.failure(what, error)) : resolve(result),
      );
    });
    const failed = output.map(progressError).find((message) => message !== undefined);
    if (failed !== undefined) {
      throw new FlotillaError('Unavailable', `${what} failed: ${failed}`, {
        hint: 'check the image name and tag, that the registry is reachable from the device, and its credentials',
      });
    }
  }

  /**
   * Runs one engine request; statuses in `tolerated` resolve to undefined (the caller decides
   * what "not found" or "not modified" means), anything else becomes a FlotillaError.
   */
  private call<T>(what: string, request: () => Promise<T>): Promise<T>;
  private call<T>(what: string, request: () => Promise<T>, tolerated: number[]): Promise<T | undefined>;
  private async call<T>(what: string, request: () => Promise<T>, tolerated: number[] = []): Promise<T | undefined> {
    try {
      return await request();
    } catch (error) {
      const status = (error as EngineErrorShape).statusCode;
      if (status !== undefined && tolerated.includes(status)) return undefined;
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): FlotillaError {
    const shape = (error ?? {}) as EngineErrorShape;
    if (shape.statusCode === undefined && shape.code !== undefined && CONNECTION_ERRORS.has(shape.code)) {
      return new FlotillaError('Unavailable', `${what}: cannot reach the container engine at ${this.endpoint} (${shape.code})`, {
        cause: error,
        hint: 'start the engine (`podman system service --time=0 unix:///run/podman/podman.sock &` for Podman) or point --runtime-endpoint at its socket',
      });
    }
    const message = engineMessage(shape);
    return new FlotillaError(codeForStatus(shape.statusCode, message), `${what}: ${message}`, { cause: error });
  }
}

export const createDockerRuntime: RuntimeFactory = (options) => new DockerRuntime(options);

/** How long a remembered inspect is trusted at most, so a missed engine event heals by itself. */
export const MEMO_MAX_AGE_MS = 60_000;

/** One inspect in flight; `stale` is set when the container changes before the answer is in. */
export interface InspectTicket {
  readonly id: string;
  readonly epoch: number;
  stale: boolean;
}

/**
 * Inspect results the adapter may give again instead of asking the engine. A container's
 * details (start and finish time, exit code, OOM flag) change only when the engine reports an
 * event for it, so a remembered record holds while:
 * - an event stream is open, and was open before the inspect began (events before it are lost);
 * - no event for the container arrived, and this adapter did not start, stop or remove it,
 *   since the inspect began;
 * - the engine lists it in the state the record has;
 * - it is younger than MEMO_MAX_AGE_MS.
 * An event can arrive a little after the change it reports: a list in between may still give
 * the old record, and the event then wakes the reconciler to look again.
 */
export class InspectMemo {
  readonly #records = new Map<string, { record: ContainerRecord; at: number }>();
  readonly #inFlight = new Map<string, Set<InspectTicket>>();
  readonly #now: () => number;
  #streams = 0;
  /** Changes whenever a stream opens or closes: an inspect that spans it is not trusted. */
  #epoch = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  streamOpened(): void {
    this.#streams++;
    this.#forgetAll();
  }

  streamClosed(): void {
    this.#streams = Math.max(0, this.#streams - 1);
    this.#forgetAll();
  }

  /** The container changed (an event, or this adapter acted on it): what is known of it is old. */
  changed(id: string): void {
    this.#records.delete(id);
    for (const ticket of this.#inFlight.get(id) ?? []) ticket.stale = true;
  }

  /** A copy of the remembered record, if it still holds for a container listed in `state`. */
  recall(id: string, state: ContainerRecord['state']): ContainerRecord | undefined {
    const entry = this.#records.get(id);
    if (entry === undefined || this.#streams === 0) return undefined;
    if (entry.record.state !== state || this.#now() - entry.at > MEMO_MAX_AGE_MS) {
      this.#records.delete(id);
      return undefined;
    }
    return copyRecord(entry.record);
  }

  /** Call before asking the engine about `id`; hand the answer to settle(). */
  begin(id: string): InspectTicket {
    const ticket: InspectTicket = { id, epoch: this.#epoch, stale: false };
    let tickets = this.#inFlight.get(id);
    if (tickets === undefined) this.#inFlight.set(id, (tickets = new Set()));
    tickets.add(ticket);
    return ticket;
  }

  /** Remembers the engine's answer unless the container or the event stream changed meanwhile. */
  settle(ticket: InspectTicket, record: ContainerRecord | undefined): void {
    const tickets = this.#inFlight.get(ticket.id);
    tickets?.delete(ticket);
    if (tickets?.size === 0) this.#inFlight.delete(ticket.id);
    if (record === undefined || ticket.stale || ticket.epoch !== this.#epoch || this.#streams === 0) return;
    this.#records.set(ticket.id, { record: copyRecord(record), at: this.#now() });
  }

  /** Forgets containers the engine no longer lists. */
  retainOnly(ids: ReadonlySet<string>): void {
    for (const id of this.#records.keys()) if (!ids.has(id)) this.#records.delete(id);
  }

  get size(): number {
    return this.#records.size;
  }

  #forgetAll(): void {
    this.#epoch++;
    this.#records.clear();
  }
}

function copyRecord(record: ContainerRecord): ContainerRecord {
  return { ...record, labels: { ...record.labels } };
}

const CONNECTION_ERRORS = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EACCES', 'EPIPE', 'EHOSTUNREACH', 'ETIMEDOUT']);

function engineMessage(shape: EngineErrorShape): string {
  return shape.json?.message || shape.reason || shape.message || 'the engine gave no reason';
}

function codeForStatus(status: number | undefined, message: string): FlotillaError['code'] {
  switch (status) {
    case 400:
      return 'Invalid';
    case 404:
      return 'NotFound';
    case 409:
      return 'AlreadyExists';
    default:
      // Podman answers a taken container name with 500.
      return /already in use/i.test(message) ? 'AlreadyExists' : 'Internal';
  }
}

function progressError(line: unknown): string | undefined {
  if (typeof line !== 'object' || line === null) return undefined;
  const { error, errorDetail } = line as { error?: unknown; errorDetail?: { message?: unknown } };
  if (typeof errorDetail?.message === 'string' && errorDetail.message) return errorDetail.message;
  if (typeof error === 'string' && error) return error;
  return undefined;
}

function ownerOf(info: Docker.ContainerInspectInfo): string | undefined {
  return info.Config?.Labels?.[LABEL_DEVICE];
}

/** The engine's create body for a spec; the agent restarts containers itself, with back-off. */
export function createOptionsFromSpec(spec: ContainerCreateSpec): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string }[]> = {};
  for (const port of spec.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    if (port.hostPort !== undefined && port.hostPort > 0) {
      (bindings[key] ??= []).push({ HostPort: String(port.hostPort) });
    }
  }
  const hostConfig: Docker.HostConfig = { RestartPolicy: { Name: 'no' } };
  if (Object.keys(bindings).length > 0) hostConfig.PortBindings = bindings;
  if (spec.cpuMillis !== undefined && spec.cpuMillis > 0) hostConfig.NanoCpus = Math.round(spec.cpuMillis * 1e6);
  if (spec.memoryBytes !== undefined && spec.memoryBytes > 0) hostConfig.Memory = Math.round(spec.memoryBytes);
  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Env: spec.env.map((variable) => `${variable.name}=${variable.value}`),
    Labels: { ...spec.labels },
    HostConfig: hostConfig,
  };
  if (Object.keys(exposed).length > 0) options.ExposedPorts = exposed;
  if (spec.entrypoint !== undefined) options.Entrypoint = spec.entrypoint;
  if (spec.cmd !== undefined) options.Cmd = spec.cmd;
  return options;
}

/** Docker's states, plus Podman's own words for the same things. */
const STATES: Record<string, ContainerState> = {
  created: 'created',
  configured: 'created',
  initialized: 'created',
  running: 'running',
  stopping: 'running',
  paused: 'paused',
  restarting: 'restarting',
  exited: 'exited',
  stopped: 'exited',
  removing: 'dead',
  dead: 'dead',
};

export function containerState(engineState: string | undefined): ContainerState {
  return STATES[(engineState ?? '').toLowerCase()] ?? 'unknown';
}

/** Epoch ms, or undefined for the zero time engines use for "never" ("0001-01-01T00:00:00Z"). */
export function engineTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export function recordFromInspect(info: Docker.ContainerInspectInfo): ContainerRecord {
  const state = containerState(info.State?.Status);
  const record: ContainerRecord = {
    id: info.Id,
    name: (info.Name ?? '').replace(/^\//, ''),
    image: info.Config?.Image ?? info.Image,
    labels: { ...(info.Config?.Labels ?? {}) },
    state,
  };
  const startedAt = engineTime(info.State?.StartedAt);
  if (startedAt !== undefined) record.startedAt = startedAt;
  if (state === 'exited' || state === 'dead') {
    record.exitCode = info.State.ExitCode;
    const finishedAt = engineTime(info.State.FinishedAt);
    // Podman stamps StartedAt once its start call returns, which can be after a short-lived
    // process already exited: a container never finishes before it started.
    if (finishedAt !== undefined) record.finishedAt = Math.max(finishedAt, startedAt ?? finishedAt);
  }
  if (info.State?.OOMKilled) record.oomKilled = true;
  return record;
}

export function runtimeInfoFromVersion(version: Docker.DockerVersion): RuntimeInfo {
  const components = version.Components ?? [];
  const podman = components.find((component) => /podman/i.test(component.Name));
  const platform = version.Platform?.Name ?? '';
  const name = podman ? 'podman' : /balena/i.test(platform) ? 'balena-engine' : 'docker';
  return { name, version: podman?.Version ?? version.Version, os: version.Os, arch: version.Arch };
}

/**
 * Event attributes that are the engine's own, not container labels: Docker and Podman put
 * both in `Actor.Attributes`.
 */
const ENGINE_ATTRIBUTES = new Set(['image', 'name', 'exitCode', 'containerExitCode', 'podId', 'signal', 'execID', 'health_status']);

/**
 * One event line from the engine, or undefined when it is not a container event of `device`.
 * Docker puts the action in `Action` (and the older `status`), the id in `Actor.ID` (and the
 * older `id`); Podman fills both. Exec events read "exec_start: sh": the word before the colon
 * is the action.
 */
export function parseEngineEvent(line: string, device: string): RuntimeEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    // Only a corrupted stream gets here: partial lines are joined before parsing.
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const event = raw as {
    Type?: string;
    Action?: string;
    status?: string;
    id?: string;
    Actor?: { ID?: string; Attributes?: Record<string, string> };
  };
  if (event.Type !== undefined && event.Type !== 'container') return undefined;
  const attributes = event.Actor?.Attributes ?? {};
  if (attributes[LABEL_DEVICE] !== device) return undefined;
  const containerId = event.Actor?.ID || event.id;
  const action = (event.Action || event.status || '').split(':')[0]?.trim();
  if (!containerId || !action) return undefined;
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!ENGINE_ATTRIBUTES.has(key)) labels[key] = value;
  }
  return { containerId, action, labels };
}

/**
 * Splits a byte stream into lines. Chunks break anywhere, even inside a UTF-8 character, so
 * bytes are decoded across chunk boundaries and an unfinished line waits for the next chunk.
 */
export function createLineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const emit = (line: string): void => {
    const trimmed = line.trim();
    if (trimmed) onLine(trimmed);
  };
  return {
    push(chunk) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        emit(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    end() {
      pending += decoder.end();
      emit(pending);
      pending = '';
    },
  };
}
