/**
 * Real hubs, agents and CLI runs as separate processes, the way a user runs them: each test
 * gets its own ports, data directories and device names (`test-…`), and a teardown that
 * stops every process and removes every container it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { ensurePodmanService, ensureTestImage, removeDeviceContainers, TEST_IMAGE } from './podman.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(REPO, 'hub', 'cli', 'flotilla.ts');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function uniqueName(prefix: string): string {
  return `test-${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Polls until `check` returns a value that is not undefined/false, or fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

class ManagedProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, as a service manager stops it; SIGKILL if it does not go within 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: a crash or a power cut, no goodbye. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export interface HubProcess {
  apiUrl: string;
  mqttUrl: string;
  dataDir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface HubProcessOptions {
  notReadyAfterSeconds?: number;
  offlineAfterSeconds?: number;
  dataDir?: string;
  httpPort?: number;
  mqttPort?: number;
}

export async function startHub(t: Test, options: HubProcessOptions = {}): Promise<HubProcess> {
  const dataDir = options.dataDir ?? (await tempDir(t, 'hub'));
  const httpPort = options.httpPort ?? (await freePort());
  const mqttPort = options.mqttPort ?? (await freePort());
  const proc = new ManagedProcess([
    'hub',
    '--data-dir', dataDir,
    '--http-host', '127.0.0.1',
    '--port', String(httpPort),
    '--mqtt-host', '127.0.0.1',
    '--mqtt-port', String(mqttPort),
    '--not-ready-after', String(options.notReadyAfterSeconds ?? 4),
    '--offline-after', String(options.offlineAfterSeconds ?? 8),
    '--log-level', 'debug',
  ]);
  t.teardown(() => proc.stop());
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  await waitFor(`the hub to answer at ${apiUrl}`, async () => {
    if (!proc.running) throw new Error(`hub exited:\n${proc.output}`);
    const response = await fetch(`${apiUrl}/healthz`);
    return response.ok;
  });
  return { apiUrl, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, dataDir, process: proc, stop: () => proc.stop() };
}

export interface AgentProcess {
  name: string;
  stateDir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface AgentProcessOptions {
  name?: string;
  labels?: string;
  stateDir?: string;
  backoffSeconds?: number;
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
  const proc = new ManagedProcess([
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

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `flotilla <args>` against the hub, with optional standard input. */
export function cli(hub: Pick<HubProcess, 'apiUrl'> | undefined, args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, ...(hub ? { FLOTILLA_SERVER: hub.apiUrl } : {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(stdin ?? '');
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `flotilla get <what> -o json`, parsed. */
export async function getJson<T = { items: Record<string, any>[] }>(hub: HubProcess, args: string[]): Promise<T> {
  const result = await cli(hub, ['get', ...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`flotilla get ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** The API's JSON for a path, for checks that need no CLI. */
export async function api<T = any>(hub: Pick<HubProcess, 'apiUrl'>, path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${hub.apiUrl}${path}`, init);
  return (await response.json()) as T;
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
