/**
 * Real Podman for tests: its Docker-API service, a busybox test image built without a
 * registry, and the podman CLI to look at containers from outside the code under test.
 *
 * Test files run in parallel processes and share one service. Starting it is done under a
 * lock (a second `podman system service` on the same path takes over the socket and leaves
 * the first one orphaned), and the process that started it stops it only once no other live
 * test process is still using it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, copyFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PODMAN_SOCKET = '/run/podman/podman.sock';
export const TEST_IMAGE = 'localhost/busybox:test';
export const DEVICE_LABEL = 'io.flotilla.device';

/** The applets the test image links to busybox; it has nothing else. */
const BUSYBOX_APPLETS = ['sh', 'echo', 'sleep', 'cat', 'ls', 'httpd', 'wget', 'true', 'false', 'env'];
const BUSYBOX = '/bin/busybox';

export interface PodmanService {
  socketPath: string;
  /** Present only when this process started the service. */
  stop?: () => Promise<void>;
}

/** True when something answers the Docker API's `/_ping` on the socket. */
export function podmanAnswers(socketPath: string = PODMAN_SOCKET, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Makes sure Podman's Docker-API service answers on the socket, starting
 * `podman system service --time=0` when it does not.
 */
export async function ensurePodmanService(socketPath: string = PODMAN_SOCKET): Promise<PodmanService> {
  const stateDir = serviceStateDir(socketPath);
  await mkdir(join(stateDir, 'users'), { recursive: true });
  registerUser(stateDir);
  if (await podmanAnswers(socketPath)) return { socketPath };
  return withLock(join(stateDir, 'start.lock'), async () => {
    // Another test process may have started it while this one waited for the lock.
    if (await podmanAnswers(socketPath)) return { socketPath };
    const child = await startService(socketPath, join(stateDir, 'service.log'));
    return { socketPath, stop: () => stopService(child, stateDir) };
  });
}

async function startService(socketPath: string, logPath: string): Promise<ChildProcess> {
  await mkdir(dirname(socketPath), { recursive: true });
  const log = openSync(logPath, 'w');
  // Detached and unreferenced: the service must not keep the test process alive, and it is
  // stopped by process group.
  const child = spawn('podman', ['system', 'service', '--time=0', `unix://${socketPath}`], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  let exited: string | undefined;
  child.on('error', (error) => (exited = error.message));
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const deadline = Date.now() + 20_000;
  while (!(await podmanAnswers(socketPath, 500))) {
    if (exited !== undefined || Date.now() > deadline) {
      const why = exited ?? 'did not answer within 20 s';
      if (exited === undefined) killGroup(child, 'SIGKILL');
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`podman system service on ${socketPath} ${why}; its log ends with:\n${tail}`);
    }
    await sleep(100);
  }
  return child;
}

async function stopService(child: ChildProcess, stateDir: string): Promise<void> {
  unregisterUser(stateDir);
  // Leave it to the others still using it, but not forever: a stuck test must not hold it.
  const deadline = Date.now() + 240_000;
  while ((await liveUsers(stateDir)) > 0 && Date.now() < deadline) await sleep(500);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!killed) {
    killGroup(child, 'SIGKILL');
    await exited;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function serviceStateDir(socketPath: string): string {
  return join(tmpdir(), `flotilla-podman-service${socketPath.replace(/[^A-Za-z0-9]+/g, '-')}`);
}

function registerUser(stateDir: string): void {
  const file = join(stateDir, 'users', String(process.pid));
  closeSync(openSync(file, 'w'));
  process.once('exit', () => rmSync(file, { force: true }));
}

function unregisterUser(stateDir: string): void {
  rmSync(join(stateDir, 'users', String(process.pid)), { force: true });
}

async function liveUsers(stateDir: string): Promise<number> {
  const users = await readdir(join(stateDir, 'users'));
  return users.filter((name) => Number(name) !== process.pid && isAlive(Number(name))).length;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` holding a lock file; a lock whose holder died is taken over. */
async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await lockIsStale(lockPath)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath}`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function lockIsStale(lockPath: string): Promise<boolean> {
  try {
    const holder = Number(await readFile(lockPath, 'utf8'));
    // An empty file is a lock being written right now, unless it has been empty for long.
    if (!holder) return Date.now() - (await stat(lockPath)).mtimeMs > 5000;
    return !isAlive(holder);
  } catch {
    return false;
  }
}

/** Builds TEST_IMAGE from the host's static busybox when Podman does not have it. */
export async function ensureTestImage(): Promise<void> {
  if (await imageExists(TEST_IMAGE)) return;
  const root = await mkdtemp(join(tmpdir(), 'flotilla-busybox-'));
  try {
    await mkdir(join(root, 'bin'));
    await copyFile(BUSYBOX, join(root, 'bin', 'busybox'));
    for (const applet of BUSYBOX_APPLETS) await symlink('busybox', join(root, 'bin', applet));
    const tarball = `${root}.tar`;
    await run('tar', ['-C', root, '-cf', tarball, '.']);
    try {
      await run('podman', ['import', tarball, TEST_IMAGE]);
    } finally {
      await rm(tarball, { force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function imageExists(image: string): Promise<boolean> {
  try {
    await run('podman', ['image', 'exists', image]);
    return true;
  } catch {
    return false;
  }
}

/** Removes every container labelled with the device, running or not. */
export async function removeDeviceContainers(device: string): Promise<void> {
  const { stdout } = await run('podman', ['ps', '--all', '--quiet', '--filter', `label=${DEVICE_LABEL}=${device}`]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await run('podman', ['rm', '--force', '--volumes', ...ids]);
}

/** What `podman container inspect` says, for the fields tests look at. */
export interface PodmanContainer {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean };
  Config: { Labels: Record<string, string> | null; Env: string[] | null; Cmd: string[] | null; Entrypoint: string | string[] | null };
  HostConfig: {
    Memory: number;
    NanoCpus: number;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
  };
  [field: string]: unknown;
}

export async function podmanInspect(nameOrId: string): Promise<PodmanContainer> {
  const { stdout } = await run('podman', ['container', 'inspect', nameOrId]);
  const [container] = JSON.parse(stdout) as PodmanContainer[];
  if (container === undefined) throw new Error(`podman container inspect ${nameOrId} returned nothing`);
  return container;
}

export async function podmanKill(nameOrId: string, signal = 'KILL'): Promise<void> {
  await run('podman', ['kill', '--signal', signal, nameOrId]);
}

/** Stops the container as a shutdown would (SIGTERM, then SIGKILL after a second). */
export async function podmanStop(nameOrId: string): Promise<void> {
  await run('podman', ['stop', '--time', '1', nameOrId]);
}

/** Standard output and error of the container, as one string. */
export async function podmanLogs(nameOrId: string): Promise<string> {
  const { stdout, stderr } = await run('podman', ['logs', nameOrId]);
  return stdout + stderr;
}
