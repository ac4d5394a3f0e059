/**
 * Real hubs, agents and CLI runs as separate processes, the way a user runs them: each test
 * gets its own ports, data directories and device names (`test-…`), and a teardown that
 * stops every process and removes every container it started.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { existsSync } from 'node:fs';
import { Child, freePort, waitFor as poll } from '../../scripts/bench/processes.js';
import { adminAccess, call, type HubAccess } from '../../scripts/bench/hub-access.js';
import { runCli, type CliRun } from './run-cli.js';
import { ensurePodmanService, ensureTestImage, removeDeviceContainers, TEST_IMAGE } from './podman.js';

export { freePort };

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(REPO, 'hub', 'cli', 'flotilla.ts');

export function uniqueName(prefix: string): string {
  return `test-${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Polls until `check` returns a value that is not undefined/false, or fails naming what it waited for. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  return poll(what, check, timeoutMs, everyMs);
}

/** The CLI from source, as `flotilla <args>`. */
function cliProcess(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return new Child(process.execPath, ['--import', 'tsx', CLI, ...args], env, { cwd: REPO, keepBytes: 200_000 });
}

export interface HubProcess {
  /** `https://127.0.0.1:<port>` */
  apiUrl: string;
  /** The plain listener: open to devices without credentials unless the hub is `secure`. */
  mqttUrl: string;
  /** The device listener, `mqtts://127.0.0.1:<port>`. */
  mqttTlsUrl: string;
  dataDir: string;
  /** The CLI config the hub wrote, with its CA and an admin token. */
  adminConfig: string;
  admin: HubAccess;
  process: Child;
  stop(): Promise<void>;
}

export interface HubProcessOptions {
  notReadyAfterSeconds?: number;
  offlineAfterSeconds?: number;
  dataDir?: string;
  httpPort?: number;
  mqttPort?: number;
  mqttTlsPort?: number;
  /**
   * Devices only over TLS with enrolled certificates, as a production hub runs. Otherwise the
   * plain listener is open to agents started without a token (development mode), which is
   * what most tests need.
   */
  secure?: boolean;
  /**
   * An external broker (`--mqtt-url`) instead of the embedded one; the hub's `mqttUrl` is then
   * this one, so agents started for the hub connect to it.
   */
  mqttUrl?: string;
}

export async function startHub(t: Test, options: HubProcessOptions = {}): Promise<HubProcess> {
  const dataDir = options.dataDir ?? (await tempDir(t, 'hub'));
  const httpPort = options.httpPort ?? (await freePort());
  const mqttPort = options.mqttPort ?? (await freePort());
  const mqttTlsPort = options.mqttTlsPort ?? (await freePort());
  const proc = cliProcess([
    'hub',
    '--data-dir', dataDir,
    '--http-host', '127.0.0.1',
    '--port', String(httpPort),
    '--mqtt-host', '127.0.0.1',
    '--mqtt-port', String(mqttPort),
    '--mqtt-tls-port', String(mqttTlsPort),
    ...(options.secure ? [] : ['--plain-mqtt']),
    ...(options.mqttUrl ? ['--mqtt-url', options.mqttUrl] : []),
    '--not-ready-after', String(options.notReadyAfterSeconds ?? 4),
    '--offline-after', String(options.offlineAfterSeconds ?? 8),
    '--log-level', 'debug',
  ]);
  t.teardown(() => proc.stop());
  const apiUrl = `https://127.0.0.1:${httpPort}`;
  const adminConfig = join(dataDir, 'admin.yaml');
  const admin = await waitFor(`the hub to answer at ${apiUrl}`, async () => {
    if (!proc.running) throw new Error(`hub exited:\n${proc.output}`);
    if (!existsSync(adminConfig)) return undefined;
    const access = adminAccess(adminConfig);
    return (await call(access, 'GET', '/healthz').catch(() => undefined))?.status === 200 ? access : undefined;
  });
  return {
    apiUrl,
    mqttUrl: options.mqttUrl ?? `mqtt://127.0.0.1:${mqttPort}`,
    mqttTlsUrl: `mqtts://127.0.0.1:${mqttTlsPort}`,
    dataDir,
    adminConfig,
    admin,
    process: proc,
    stop: () => proc.stop(),
  };
}

export interface AgentProcess {
  name: string;
  stateDir: string;
  process: Child;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface AgentProcessOptions {
  name?: string;
  labels?: string;
  stateDir?: string;
  backoffSeconds?: number;
  /** A join token: the agent enrols with it and connects over TLS with its own certificate. */
  token?: string;
  /** More `flotilla agent` flags, after the ones above. */
  flags?: string[];
}

let podmanReady: Promise<void> | undefined;

/** Podman's API service and the test image, once per test process. */
export function ensurePodman(): Promise<void> {
  podmanReady ??= (async () => {
    await ensurePodmanService();
    await ensureTestImage();
  })();
  return podmanReady;
}

export async function startAgent(t: Test, hub: HubProcess, options: AgentProcessOptions = {}): Promise<AgentProcess> {
  await ensurePodman();
  const name = options.name ?? uniqueName('dev');
  const stateDir = options.stateDir ?? (await tempDir(t, `agent-${name}`));
  const proc = cliProcess([
    'agent',
    '--hub', hub.mqttUrl,
    '--name', name,
    '--labels', options.labels ?? 'role=test',
    '--state-dir', stateDir,
    '--heartbeat', '1',
    '--backoff', String(options.backoffSeconds ?? 1),
    '--max-backoff', '8',
    '--resync', '5',
    '--log-level', 'debug',
    ...(options.token ? ['--token', options.token] : []),
    ...(options.flags ?? []),
  ]);
  t.teardown(async () => {
    await proc.stop();
    await removeDeviceContainers(name);
  });
  return { name, stateDir, process: proc, stop: () => proc.stop(), kill: () => proc.kill() };
}

/** Starts another agent process for a device whose agent was stopped (same name, same state). */
export async function restartAgent(t: Test, hub: HubProcess, agent: AgentProcess, labels?: string): Promise<AgentProcess> {
  return startAgent(t, hub, { name: agent.name, stateDir: agent.stateDir, ...(labels ? { labels } : {}) });
}

export type CliResult = CliRun;

/**
 * Runs `flotilla <args>` against the hub as its admin (the hub's admin.yaml), with optional
 * standard input. A bare `{apiUrl}` points the CLI at an address with no credentials.
 */
export function cli(hub: (Pick<HubProcess, 'apiUrl'> & Partial<Pick<HubProcess, 'adminConfig'>>) | undefined, args: string[], stdin?: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const target = hub === undefined ? {} : hub.adminConfig !== undefined ? { FLOTILLA_CONFIG: hub.adminConfig } : { FLOTILLA_SERVER: hub.apiUrl };
  return runCli(args, { env: { ...target, ...env }, ...(stdin === undefined ? {} : { stdin }) });
}

/** `flotilla get <what> -o json`, parsed. */
export async function getJson<T = { items: Record<string, any>[] }>(hub: HubProcess, args: string[]): Promise<T> {
  const result = await cli(hub, ['get', ...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`flotilla get ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** The API's JSON for a path, as the admin, for checks that need no CLI. */
export async function api<T = any>(hub: Pick<HubProcess, 'admin'>, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  return (await call<T>(hub.admin, init.method ?? 'GET', path, init.body)).body;
}

/** A join token from the hub (`flotilla token create`), with these flags. */
export async function joinToken(hub: HubProcess, flags: string[] = []): Promise<string> {
  const made = await cli(hub, ['token', 'create', ...flags]);
  if (made.code !== 0) throw new Error(`flotilla token create failed: ${made.stderr}`);
  return made.stdout.trim();
}

/** The state a device is in (Ready, NotReady, Offline), as `flotilla get devices` shows it. */
export async function deviceState(hub: HubProcess, name: string): Promise<string | undefined> {
  const list = await getJson(hub, ['devices']);
  return list.items.find((d) => d.metadata.name === name)?.status?.state as string | undefined;
}

/**
 * A Pod manifest with one container, `main`, that sleeps for an hour in the test image.
 * `spec` adds fields to the pod spec, e.g. `{ restartPolicy: 'Never' }`.
 */
export function sleeperPodManifest(name: string, spec: Record<string, unknown> = {}): string {
  // JSON is YAML, so any value can go in as it is.
  const extra = Object.entries(spec).map(([field, value]) => `  ${field}: ${JSON.stringify(value)}\n`);
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${extra.join('')}  containers:
    - name: main
      image: ${TEST_IMAGE}
      command: ["sleep", "3600"]
`;
}

/**
 * A pod as `flotilla get pods -o json` shows it, with the ID of its one container. The JSON
 * is typed loosely (`any`), as `getJson` gives it: the checks reach into it field by field.
 */
export type RunningPod = Record<string, any> & { containerId: string };

/** Applies a sleeper pod (see `sleeperPodManifest`) with the CLI and waits until it is Running. */
export async function applySleeperPod(t: Test, hub: HubProcess, name: string, spec: Record<string, unknown> = {}): Promise<RunningPod> {
  const file = join(await tempDir(t, 'manifests'), `${name}.yaml`);
  await writeFile(file, sleeperPodManifest(name, spec));
  const applied = await cli(hub, ['apply', '-f', file]);
  if (applied.code !== 0) throw new Error(`flotilla apply of pod ${name} failed: ${applied.stderr}`);
  const pod = await waitFor(`the pod ${name} Running`, async () => {
    const found = (await getJson(hub, ['pods'])).items.find((p) => p.metadata.name === name);
    return found?.status?.phase === 'Running' ? found : undefined;
  });
  return { ...pod, containerId: pod.status.containerStatuses[0].containerID as string };
}

export async function tempDir(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `flotilla-${prefix}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
