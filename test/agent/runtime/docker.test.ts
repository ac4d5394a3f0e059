import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import {
  createDockerRuntime,
  createLineSplitter,
  createOptionsFromSpec,
  containerState,
  engineTime,
  InspectMemo,
  MEMO_MAX_AGE_MS,
  parseEngineEvent,
  runtimeInfoFromVersion,
} from '../../../agent/runtime/docker.js';
import { LABEL_DEVICE, LABEL_POD_NAME, type ContainerCreateSpec, type ContainerRecord, type RuntimeEvent } from '../../../agent/runtime/runtime.js';
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
import { containerSpec, deviceOf, runtimeContract, runtimeFor, waitFor, type ContractEngine, type EngineView } from './runtime-contract.js';

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

/**
 * A Docker-API endpoint in front of Podman's that counts the container inspects passing
 * through, so a test can tell how often the adapter asked the engine for details.
 */
async function countingEndpoint(t: Test, upstream: string): Promise<{ socketPath: string; inspects: () => number }> {
  let inspects = 0;
  // A short path of its own: a unix socket path is limited to about 100 bytes.
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-count-'));
  const socketPath = join(dir, 'engine.sock');
  const server = createServer((req, res) => {
    if (/\/containers\/[^/]+\/json/.test(req.url ?? '')) inspects++;
    const forwarded = request({ socketPath: upstream, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // The event stream sends nothing until an event: the headers must not wait for a body.
      res.flushHeaders();
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    // A client that hangs up (an event stream stopped) ends the engine's side too.
    res.on('close', () => forwarded.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return { socketPath, inspects: () => inspects };
}

t.test('listing while following engine events', async (t) => {
  const SLEEP = ['sleep', '300'];

  t.test('inspects each container once, not on every list, and again only after it changes', async (t) => {
    const endpoint = await countingEndpoint(t, service.socketPath);
    const runtime = runtimeFor(t, (device) => createDockerRuntime({ device, endpoint: endpoint.socketPath }), engine);
    const device = deviceOf(runtime);
    const events: RuntimeEvent[] = [];
    await runtime.events((event) => events.push(event), (error) => t.fail(error.message));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await runtime.create(containerSpec(engine, device, SLEEP));
      await runtime.start(id);
      ids.push(id);
    }
    // Let the start events of the three arrive first: each of them makes the adapter look again.
    await waitFor('the start events', async () => (ids.every((id) => events.some((e) => e.containerId === id && e.action === 'start')) ? true : undefined));

    const first = await runtime.list();
    t.same(first.map((r) => r.state), ['running', 'running', 'running']);
    const afterFirst = endpoint.inspects();
    const second = await runtime.list();
    t.equal(endpoint.inspects(), afterFirst, 'a second list asks the engine for no details');
    t.same(second, first, 'and gives the same records, start times included');

    const victim = ids[1]!;
    await engine.kill(victim);
    await waitFor('the die event', async () => (events.some((e) => e.containerId === victim && e.action === 'die') ? true : undefined));
    const third = await runtime.list();
    t.equal(endpoint.inspects(), afterFirst + 1, 'only the killed container is inspected again');
    const killed = third.find((r) => r.id === victim);
    t.equal(killed?.state, 'exited');
    t.equal(killed?.exitCode, 137, 'with the exit code of the kill');
    t.ok(killed?.finishedAt !== undefined, 'and its finish time');
  });

  t.test('gives a container restarted behind its back its new start time once the engine reports it', async (t) => {
    const runtime = runtimeFor(t, build, engine);
    const events: RuntimeEvent[] = [];
    await runtime.events((event) => events.push(event), (error) => t.fail(error.message));
    const id = await runtime.create(containerSpec(engine, deviceOf(runtime), SLEEP));
    await runtime.start(id);
    const before = (await runtime.list())[0];
    const seen = events.length;
    await run('podman', ['restart', '--time', '0', id]);
    await waitFor('the restart’s start event', async () => (events.slice(seen).some((e) => e.containerId === id && e.action === 'start') ? true : undefined));
    const after = (await runtime.list())[0];
    t.equal(after?.state, 'running');
    t.ok((after?.startedAt ?? 0) > (before?.startedAt ?? Infinity), 'the start time moved on');
    t.same(after, await runtime.inspect(id), 'list and inspect agree');
  });

  t.test('without an event stream, inspects every container on every list', async (t) => {
    const endpoint = await countingEndpoint(t, service.socketPath);
    const runtime = runtimeFor(t, (device) => createDockerRuntime({ device, endpoint: endpoint.socketPath }), engine);
    const id = await runtime.create(containerSpec(engine, deviceOf(runtime), SLEEP));
    await runtime.start(id);
    await runtime.list();
    const afterFirst = endpoint.inspects();
    await runtime.list();
    t.equal(endpoint.inspects(), afterFirst + 1, 'nothing tells it the container is unchanged');
  });
});

t.test('remembered inspects', async (t) => {
  const running = (id: string, startedAt = 1_000): ContainerRecord => ({ id, name: id, image: 'i', labels: { [LABEL_DEVICE]: 'd' }, state: 'running', startedAt });
  const remembered = (memo: InspectMemo, record: ContainerRecord): void => memo.settle(memo.begin(record.id), record);

  t.test('gives back an inspect while a stream is open and the container shows no change', async (t) => {
    const memo = new InspectMemo();
    memo.streamOpened();
    remembered(memo, running('a'));
    t.same(memo.recall('a', 'running'), running('a'));
    t.equal(memo.recall('b', 'running'), undefined, 'nothing for a container never inspected');
  });

  t.test('forgets a container when an event names it, even while its inspect is in flight', async (t) => {
    const memo = new InspectMemo();
    memo.streamOpened();
    remembered(memo, running('a'));
    memo.changed('a');
    t.equal(memo.recall('a', 'running'), undefined, 'an event makes the record old');

    const ticket = memo.begin('b');
    memo.changed('b');
    memo.settle(ticket, running('b'));
    t.equal(memo.recall('b', 'running'), undefined, 'an answer that may predate the change is not kept');
  });

  t.test('trusts nothing without an open stream, nor an inspect begun before a stream opened or closed', async (t) => {
    const memo = new InspectMemo();
    remembered(memo, running('a'));
    memo.streamOpened();
    t.equal(memo.recall('a', 'running'), undefined, 'kept with no stream to report changes');

    const spanning = memo.begin('b');
    memo.streamOpened();
    memo.settle(spanning, running('b'));
    t.equal(memo.recall('b', 'running'), undefined, 'begun before the second stream opened');

    remembered(memo, running('c'));
    memo.streamClosed();
    t.equal(memo.recall('c', 'running'), undefined, 'a stream closed: events may be missed');
    memo.streamClosed();
    remembered(memo, running('d'));
    t.equal(memo.recall('d', 'running'), undefined, 'no stream open at all');
  });

  t.test('drops a record when the engine lists the container in another state, or when it is too old', async (t) => {
    let now = 0;
    const memo = new InspectMemo(() => now);
    memo.streamOpened();
    remembered(memo, running('a'));
    t.equal(memo.recall('a', 'exited'), undefined, 'listed as exited: the running record is old');
    t.equal(memo.recall('a', 'running'), undefined, 'and it is gone for good');

    remembered(memo, running('b'));
    now = MEMO_MAX_AGE_MS;
    t.ok(memo.recall('b', 'running'), 'trusted up to the maximum age');
    now = MEMO_MAX_AGE_MS + 1;
    t.equal(memo.recall('b', 'running'), undefined, 'not after it');
  });

  t.test('forgets containers the engine no longer lists, and hands out copies', async (t) => {
    const memo = new InspectMemo();
    memo.streamOpened();
    remembered(memo, running('a'));
    remembered(memo, running('b'));
    memo.retainOnly(new Set(['b']));
    t.equal(memo.size, 1);
    t.equal(memo.recall('a', 'running'), undefined);
    const copy = memo.recall('b', 'running');
    copy!.labels['changed'] = 'yes';
    t.same(memo.recall('b', 'running')?.labels, { [LABEL_DEVICE]: 'd' }, 'a caller’s change does not reach the memo');
  });
});
