import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import {
  createDockerRuntime,
  createLineSplitter,
  createOptionsFromSpec,
  containerState,
  engineTime,
  parseEngineEvent,
  runtimeInfoFromVersion,
} from '../../../agent/runtime/docker.js';
import { LABEL_DEVICE, LABEL_POD_NAME, type ContainerCreateSpec } from '../../../agent/runtime/runtime.js';
import { hasCode } from '../../../shared/errors.js';
import {
  TEST_IMAGE,
  ensurePodmanService,
  ensureTestImage,
  podmanInspect,
  podmanKill,
  podmanLogs,
  removeDeviceContainers,
} from '../../helpers/podman.js';
import { containerSpec, deviceOf, runtimeContract, runtimeFor, type ContractEngine, type EngineView } from './runtime-contract.js';

const run = promisify(execFile);

const service = await ensurePodmanService();
if (service.stop) t.teardown(service.stop);
await ensureTestImage();

const engine: ContractEngine = {
  image: TEST_IMAGE,
  async view(id): Promise<EngineView> {
    const container = await podmanInspect(id);
    const words = (value: string | string[] | null): string => (Array.isArray(value) ? value.join(' ') : value ?? '');
    const publishedPorts: Record<string, string[]> = {};
    for (const [port, bindings] of Object.entries(container.HostConfig.PortBindings ?? {})) {
      // Podman lists an exposed but unpublished port with null bindings.
      if (bindings && bindings.length > 0) publishedPorts[port] = bindings.map((binding) => binding.HostPort);
    }
    return {
      running: container.State.Running,
      status: container.State.Status,
      exitCode: container.State.ExitCode,
      labels: container.Config.Labels ?? {},
      env: container.Config.Env ?? [],
      entrypoint: words(container.Config.Entrypoint),
      cmd: words(container.Config.Cmd),
      memoryBytes: container.HostConfig.Memory,
      nanoCpus: container.HostConfig.NanoCpus,
      publishedPorts,
      restartPolicy: container.HostConfig.RestartPolicy.Name,
    };
  },
  kill: (id) => podmanKill(id),
  logs: (id) => podmanLogs(id),
  removeDeviceContainers,
};

const build = (device: string) => createDockerRuntime({ device, endpoint: service.socketPath });

t.test('the runtime contract, against Podman', async (t) => {
  runtimeContract(t, build, engine);
});

t.test('Docker Engine API adapter on Podman', async (t) => {
  t.test('reports the engine as podman, with the version the podman CLI gives', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const { stdout } = await run('podman', ['version', '--format', '{{.Server.Version}}']);
    const info = await runtime.info();
    t.equal(info.name, 'podman');
    t.equal(info.version, stdout.trim());
    t.equal(info.os, 'linux');
  });

  t.test('accepts an endpoint written as a unix:// URL', async (t) => {
    const runtime = createDockerRuntime({ device: 'test-url', endpoint: `unix://${service.socketPath}` });
    t.teardown(() => runtime.close());
    t.equal((await runtime.info()).name, 'podman');
  });

  t.test('names the image and the engine’s reason when a pull fails', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    // Port 1 on loopback refuses at once: a registry that is down, without waiting for DNS.
    const image = 'localhost:1/flotilla/unreachable:1';
    const error = await runtime.ensureImage(image, 'Always').then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(hasCode(error, 'Unavailable'), 'an Unavailable FlotillaError');
    t.match(String((error as Error).message), 'pulling image localhost:1/flotilla/unreachable:1 failed');
    t.match(String((error as Error).message), /connection refused/, 'the engine’s own reason is kept');
  });

  t.test('pulls a missing image with IfNotPresent, and fails the same way when it cannot', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    await t.rejects(runtime.ensureImage('localhost:1/flotilla/absent:2', 'IfNotPresent'), /pulling image localhost:1\/flotilla\/absent:2 failed/);
  });

  t.test('refuses to create a container from a missing image, naming the image', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const spec = containerSpec(engine, deviceOf(runtime), ['true'], { image: 'localhost/flotilla-nothing-here:1' });
    await t.rejects(runtime.create(spec), /localhost\/flotilla-nothing-here:1/);
  });

  t.test('refuses a container name that is already taken, as AlreadyExists', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const spec = containerSpec(engine, deviceOf(runtime), ['sleep', '300']);
    await runtime.create(spec);
    const error = await runtime.create(spec).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(hasCode(error, 'AlreadyExists'), `got ${String(error)}`);
    t.match(String((error as Error).message), spec.name);
  });

  t.test('refuses a container of a process outside Flotilla, saying it is not managed', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const name = `test-unmanaged-${randomBytes(3).toString('hex')}`;
    await run('podman', ['create', '--name', name, TEST_IMAGE, 'sleep', '1']);
    t.teardown(() => run('podman', ['rm', '--force', name]));
    await t.rejects(runtime.remove(name), /does not belong to device .*: it is not managed by Flotilla/);
    t.equal((await podmanInspect(name)).Name, name, 'the container is still there');
  });

  t.test('says which endpoint it cannot reach when the engine is down', async (t) => {
    const endpoint = join(tmpdir(), `flotilla-no-engine-${randomBytes(3).toString('hex')}.sock`);
    const runtime = createDockerRuntime({ device: 'test-down', endpoint });
    const error = await runtime.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(hasCode(error, 'Unavailable'));
    t.match(String((error as Error).message), `cannot reach the container engine at ${endpoint}`);
    t.match(String((error as { hint?: string }).hint), /podman system service/);
  });
});

t.test('engine events', async (t) => {
  const podmanEvent = {
    status: 'die',
    id: 'abc123',
    from: 'localhost/busybox:test',
    Type: 'container',
    Action: 'die',
    Actor: {
      ID: 'abc123',
      Attributes: { containerExitCode: '137', exitCode: '137', image: 'localhost/busybox:test', [LABEL_DEVICE]: 'cam-1', name: 'x', podId: '' },
    },
    scope: 'local',
    time: 1,
    timeNano: 1,
  };
  const dockerEvent = {
    Type: 'container',
    Action: 'exec_start: sh -c true',
    Actor: { ID: 'def456', Attributes: { image: 'busybox', name: 'y', [LABEL_DEVICE]: 'cam-1', [LABEL_POD_NAME]: 'web' } },
    scope: 'local',
    time: 1,
  };

  t.test('reads Podman’s event, keeping container labels and dropping engine attributes', async (t) => {
    t.same(parseEngineEvent(JSON.stringify(podmanEvent), 'cam-1'), {
      containerId: 'abc123',
      action: 'die',
      labels: { [LABEL_DEVICE]: 'cam-1' },
    });
  });

  t.test('reads Docker’s event, taking the word before the colon of an exec action', async (t) => {
    t.same(parseEngineEvent(JSON.stringify(dockerEvent), 'cam-1'), {
      containerId: 'def456',
      action: 'exec_start',
      labels: { [LABEL_DEVICE]: 'cam-1', [LABEL_POD_NAME]: 'web' },
    });
  });

  t.test('reads the older status and id fields when Action and Actor.ID are absent', async (t) => {
    const old = { status: 'start', id: 'old1', Actor: { Attributes: { [LABEL_DEVICE]: 'cam-1' } } };
    t.same(parseEngineEvent(JSON.stringify(old), 'cam-1'), { containerId: 'old1', action: 'start', labels: { [LABEL_DEVICE]: 'cam-1' } });
  });

  t.test('ignores events of another device, of other object types, and lines that are not JSON', async (t) => {
    t.equal(parseEngineEvent(JSON.stringify(podmanEvent), 'cam-2'), undefined);
    t.equal(parseEngineEvent(JSON.stringify({ ...podmanEvent, Type: 'image' }), 'cam-1'), undefined);
    t.equal(parseEngineEvent('{"status":"die"', 'cam-1'), undefined);
  });

  t.test('joins lines split across chunks, even inside a multi-byte character', async (t) => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    const text = Buffer.from('{"a":"caf\u00e9"}\n{"b":2}\n\n{"c":', 'utf8');
    const cut = text.indexOf(0xa9); // the second byte of é
    splitter.push(text.subarray(0, cut));
    t.same(lines, [], 'nothing before the first newline');
    splitter.push(text.subarray(cut));
    t.same(lines, ['{"a":"café"}', '{"b":2}'], 'blank lines are skipped');
    splitter.push('3}');
    splitter.end();
    t.same(lines, ['{"a":"café"}', '{"b":2}', '{"c":3}'], 'the last line without a newline is flushed at the end');
  });
});

t.test('engine data mapping', async (t) => {
  t.test('maps a spec to the engine create body', async (t) => {
    const spec: ContainerCreateSpec = {
      name: 'cam-1-web',
      image: 'busybox:1',
      entrypoint: ['/bin/sh', '-c'],
      cmd: ['echo hi'],
      env: [{ name: 'A', value: 'x=y' }],
      ports: [
        { containerPort: 80, hostPort: 8080, protocol: 'tcp' },
        { containerPort: 80, hostPort: 8081, protocol: 'tcp' },
        { containerPort: 53, protocol: 'udp' },
      ],
      cpuMillis: 1500,
      memoryBytes: 1024,
      labels: { [LABEL_DEVICE]: 'cam-1' },
    };
    t.same(createOptionsFromSpec(spec), {
      name: 'cam-1-web',
      Image: 'busybox:1',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo hi'],
      Env: ['A=x=y'],
      Labels: { [LABEL_DEVICE]: 'cam-1' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      HostConfig: {
        RestartPolicy: { Name: 'no' },
        PortBindings: { '80/tcp': [{ HostPort: '8080' }, { HostPort: '8081' }] },
        NanoCpus: 1_500_000_000,
        Memory: 1024,
      },
    });
  });

  t.test('leaves the image entrypoint and cmd, and sets no limits, when the spec gives none', async (t) => {
    const body = createOptionsFromSpec({ name: 'n', image: 'i', env: [], ports: [], labels: { [LABEL_DEVICE]: 'd' }, cpuMillis: 0 });
    t.notOk('Entrypoint' in body);
    t.notOk('Cmd' in body);
    t.notOk('ExposedPorts' in body);
    t.same(body.HostConfig, { RestartPolicy: { Name: 'no' } });
  });

  t.test('maps Docker and Podman state words onto the runtime states', async (t) => {
    t.equal(containerState('running'), 'running');
    t.equal(containerState('exited'), 'exited');
    t.equal(containerState('stopped'), 'exited', 'Podman says stopped');
    t.equal(containerState('configured'), 'created', 'Podman says configured');
    t.equal(containerState('Running'), 'running');
    t.equal(containerState('weird'), 'unknown');
    t.equal(containerState(undefined), 'unknown');
  });

  t.test('treats the engine zero time as absent', async (t) => {
    t.equal(engineTime('0001-01-01T00:00:00Z'), undefined);
    t.equal(engineTime(''), undefined);
    t.equal(engineTime('2026-01-02T03:04:05.123456789Z'), Date.UTC(2026, 0, 2, 3, 4, 5, 123));
  });

  t.test('names Docker and balenaEngine from their version answers', async (t) => {
    const base = { ApiVersion: '1.43', Arch: 'arm64', Os: 'linux', Version: '24.0.7', GitCommit: '', GoVersion: '', KernelVersion: '', MinAPIVersion: '', BuildTime: new Date(0) };
    const docker = { ...base, Platform: { Name: 'Docker Engine - Community' }, Components: [] };
    t.same(runtimeInfoFromVersion(docker), { name: 'docker', version: '24.0.7', os: 'linux', arch: 'arm64' });
    const balena = { ...base, Version: '20.10.43', Platform: { Name: 'balenaEngine' }, Components: [] };
    t.equal(runtimeInfoFromVersion(balena).name, 'balena-engine');
  });
});
