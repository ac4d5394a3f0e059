import t from 'tap';
import { DockerRuntime } from '../../../agent/runtime/docker.js';
import { createRuntime, knownRuntimes, registerRuntime } from '../../../agent/runtime/registry.js';
import type { ContainerRuntime } from '../../../agent/runtime/runtime.js';

const options = { device: 'cam-1', endpoint: '/run/podman/podman.sock' };

t.test('serves docker, podman and balena-engine with the Docker Engine API adapter', async (t) => {
  for (const name of ['docker', 'podman', 'balena-engine']) {
    const runtime = createRuntime(name, options);
    t.ok(runtime instanceof DockerRuntime, name);
    t.equal((runtime as DockerRuntime).device, 'cam-1');
  }
});

t.test('refuses an unknown runtime, listing the known ones', async (t) => {
  t.throws(() => createRuntime('containerd', options), {
    code: 'Invalid',
    message: 'unknown container runtime "containerd"; known runtimes: balena-engine, docker, podman',
  });
});

t.test('creates a registered adapter by its name with the options given', async (t) => {
  let received: unknown;
  const hollow = {} as ContainerRuntime;
  registerRuntime('test-hollow', (given) => {
    received = given;
    return hollow;
  });
  t.equal(createRuntime('test-hollow', options), hollow);
  t.same(received, options);
  t.ok(knownRuntimes().includes('test-hollow'));
});

t.test('refuses to register a name twice', async (t) => {
  t.throws(() => registerRuntime('docker', () => ({}) as ContainerRuntime), { code: 'AlreadyExists', message: /"docker" is already registered/ });
});
