/**
 * Processes a benchmark runs and what it reads of them: hubs and agents as a user starts
 * them (the compiled CLI), CPU and memory from /proc, ports, and polling. The integration
 * tests start their processes with the same Child, port and polling helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { adminAccess, call, type HubAccess } from './hub-access.js';

/**
 * A port nothing listens on, for a process about to be started. It is taken from below the
 * kernel's ephemeral range: a port the kernel handed out (listen on 0) is free only until the
 * next outgoing connection is given it, and a simulated fleet makes thousands of those.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  const low = 10_000;
  const high = Math.max(low + 1_000, ephemeralLow) - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}

function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49_152, 65_535];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 100): Promise<T> {
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
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A child process with its output kept (the last part of it) for error messages. */
export class Child {
  readonly process: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv = {}, options: { cwd?: string; keepBytes?: number } = {}) {
    this.process = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keepBytes = options.keepBytes ?? 20_000;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-keepBytes);
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** SIGTERM, as a service manager stops it; SIGKILL if it does not go within 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: a crash or a power cut, no goodbye. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }
}

export interface HubChild extends Child {
  apiUrl: string;
  /** The plain listener, open to agents without credentials: benchmarks run the development listener. */
  mqttUrl: string;
  /** The admin's way into the API, from the hub's admin.yaml. */
  access: HubAccess;
}

export async function startHub(cli: string, dataDir: string, extra: string[] = []): Promise<HubChild> {
  const port = await freePort();
  const mqttPort = await freePort();
  const mqttTlsPort = await freePort();
  const child = new Child(process.execPath, [
    cli, 'hub',
    '--data-dir', dataDir,
    '--http-host', '127.0.0.1',
    '--port', String(port),
    '--mqtt-host', '127.0.0.1',
    '--mqtt-port', String(mqttPort),
    '--mqtt-tls-port', String(mqttTlsPort),
    '--plain-mqtt',
    '--log-level', 'warn',
    ...extra,
  ]) as HubChild;
  child.apiUrl = `https://127.0.0.1:${port}`;
  child.mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const adminConfig = join(dataDir, 'admin.yaml');
  child.access = await waitFor('the hub', async () => {
    if (!child.running) throw new Error(`hub exited: ${child.output}`);
    if (!existsSync(adminConfig)) return undefined;
    const access = adminAccess(adminConfig);
    return (await call(access, 'GET', '/healthz').catch(() => undefined))?.status === 200 ? access : undefined;
  }, 30_000);
  return child;
}

export async function startAgent(cli: string, hub: HubChild, name: string, stateDir: string, extra: string[] = []): Promise<Child> {
  return new Child(process.execPath, [cli, 'agent', '--hub', hub.mqttUrl, '--name', name, '--state-dir', stateDir, '--log-level', 'warn', ...extra]);
}

/** The hub's API JSON for a path, as its admin; an error for any failed request. */
export async function api<T = unknown>(hub: Pick<HubChild, 'access'>, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const answer = await call<T>(hub.access, init.method ?? 'GET', path, init.body);
  if (answer.status >= 400) throw new Error(`${init.method ?? 'GET'} ${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export function applyObjects(hub: Pick<HubChild, 'access'>, items: unknown[]): Promise<unknown> {
  return api(hub, '/api/v1/apply', { method: 'POST', body: { items } });
}

const CLOCK_TICKS = 100;

/** Resident memory (bytes) and CPU time used so far (seconds) of a process, from /proc. */
export function processUsage(pid: number): { rssBytes: number; cpuSeconds: number } {
  const status = readFileSync(join('/proc', String(pid), 'status'), 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  // Fields after the command name, which may hold spaces, start after its closing ")".
  const stat = readFileSync(join('/proc', String(pid), 'stat'), 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { rssBytes: rssKb * 1024, cpuSeconds: (utime + stime) / CLOCK_TICKS };
}

/** CPU use of a process over a window, as % of one core, and its RSS at the end. */
export async function sampleProcess(pid: number, windowMs: number): Promise<{ cpuPercent: number; rssBytes: number }> {
  const before = processUsage(pid);
  const started = performance.now();
  await sleep(windowMs);
  const after = processUsage(pid);
  const seconds = (performance.now() - started) / 1000;
  return { cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100, rssBytes: after.rssBytes };
}
