/**
 * The agent's log request server against real Podman: busybox containers print lines, the
 * server reads them through the Docker API adapter, and the chunks it would publish are
 * gathered here as the hub would get them.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { LogRequestServer, type LogLimits } from '../../../agent/requests/logs.js';
import { createDockerRuntime } from '../../../agent/runtime/docker.js';
import { LABEL_CONTAINER, LABEL_DEVICE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type ContainerRuntime } from '../../../agent/runtime/runtime.js';
import { encode, type LogChunkMessage, type LogRequestMessage } from '../../../shared/proto/codec.js';
import { ensurePodmanService, ensureTestImage, podmanLogs, removeDeviceContainers, TEST_IMAGE } from '../../helpers/podman.js';

const service = await ensurePodmanService();
if (service.stop) t.teardown(service.stop);
await ensureTestImage();

const log = pino({ level: 'silent' });

/** Waits for `check` to hold, polling; the machine may be busy, so the limit is generous. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Harness {
  device: string;
  runtime: ContainerRuntime;
  server: LogRequestServer;
  /** Every chunk sent, by exchange id, in the order sent. */
  sent: Map<string, LogChunkMessage[]>;
  /** Starts a container of pod `uid` running `script` in sh; resolves with its id once it runs. */
  pod(script: string, options?: { uid?: string; container?: string }): Promise<{ uid: string; container: string; id: string }>;
  ask(id: string, request: Partial<LogRequestMessage>): void;
  /** The text of an exchange so far, and whether its last chunk came. */
  text(id: string): string;
  last(id: string): LogChunkMessage | undefined;
}

function harness(t: Test, limits: Partial<LogLimits> = {}): Harness {
  const device = `test-logs-${randomBytes(3).toString('hex')}`;
  const runtime = createDockerRuntime({ device, endpoint: service.socketPath });
  const sent = new Map<string, LogChunkMessage[]>();
  const server = new LogRequestServer({
    device,
    runtime,
    log,
    limits,
    async send(id, chunk) {
      const chunks = sent.get(id) ?? [];
      chunks.push({ ...chunk, data: Buffer.from(chunk.data) });
      sent.set(id, chunks);
    },
  });
  t.teardown(async () => {
    server.stopAll();
    await runtime.close();
    await removeDeviceContainers(device);
  });
  return {
    device,
    runtime,
    server,
    sent,
    async pod(script, options = {}) {
      const uid = options.uid ?? randomBytes(8).toString('hex');
      const container = options.container ?? 'main';
      const id = await runtime.create({
        name: `${device}-${uid.slice(0, 6)}-${container}`,
        image: TEST_IMAGE,
        cmd: ['sh', '-c', script],
        env: [],
        ports: [],
        labels: { [LABEL_DEVICE]: device, [LABEL_POD_NAMESPACE]: 'default', [LABEL_POD_NAME]: 'app', [LABEL_POD_UID]: uid, [LABEL_CONTAINER]: container },
      });
      await runtime.start(id);
      return { uid, container, id };
    },
    ask(id, request) {
      this.server.handle(encode('LogRequest', { id, action: 'start', namespace: 'default', podName: 'app', container: 'main', tailLines: -1, leaseSeconds: 30, ...request }));
    },
    text(id) {
      return Buffer.concat((sent.get(id) ?? []).map((chunk) => chunk.data)).toString('utf8');
    },
    last(id) {
      const chunks = sent.get(id) ?? [];
      const final = chunks[chunks.length - 1];
      return final?.done ? final : undefined;
    },
  };
}

/** Waits until the container's own log, as podman shows it, has `lines` lines. */
async function printed(id: string, lines: number): Promise<void> {
  await until(`container ${id} to print ${lines} lines`, async () => (await podmanLogs(id)).split('\n').filter(Boolean).length >= lines);
}

t.test('sends the whole log of a container, numbered from 0, then a last chunk without error', async (t) => {
  const h = harness(t);
  const pod = await h.pod('for i in 1 2 3 4 5; do echo "line $i"; done; sleep 3600');
  await printed(pod.id, 5);
  h.ask('whole', { podUid: pod.uid });
  await until('the last chunk', () => h.last('whole') !== undefined);
  t.equal(h.text('whole'), 'line 1\nline 2\nline 3\nline 4\nline 5\n');
  t.same(h.sent.get('whole')?.map((chunk) => chunk.sequence), [...Array(h.sent.get('whole')?.length).keys()], 'sequence numbers count up from 0 without a gap');
  t.match(h.last('whole'), { done: true, errorCode: '', error: '' });
  t.equal(h.server.streams, 0, 'the stream is over');
});

t.test('gives only the last lines asked for with tail', async (t) => {
  const h = harness(t);
  const pod = await h.pod('for i in 1 2 3 4 5; do echo "line $i"; done; sleep 3600');
  await printed(pod.id, 5);
  h.ask('tail', { podUid: pod.uid, tailLines: 2 });
  await until('the last chunk', () => h.last('tail') !== undefined);
  t.equal(h.text('tail'), 'line 4\nline 5\n');
});

t.test('gives only what was written in the last seconds asked for with since', async (t) => {
  const h = harness(t);
  const pod = await h.pod('echo old; sleep 6; echo new; sleep 3600');
  await printed(pod.id, 2);
  h.ask('since', { podUid: pod.uid, sinceSeconds: 3 });
  await until('the last chunk', () => h.last('since') !== undefined);
  t.equal(h.text('since'), 'new\n');
});

t.test('starts each line with the engine\'s timestamp when asked', async (t) => {
  const h = harness(t);
  const pod = await h.pod('echo stamped; sleep 3600');
  await printed(pod.id, 1);
  h.ask('stamps', { podUid: pod.uid, timestamps: true });
  await until('the last chunk', () => h.last('stamps') !== undefined);
  t.match(h.text('stamps'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) stamped\n$/);
});

t.test('follows new lines as the container prints them, answers a renew, and stops at a cancel', async (t) => {
  const h = harness(t);
  const pod = await h.pod('i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.3; done');
  h.ask('follow', { podUid: pod.uid, follow: true });
  await until('three ticks', () => (h.text('follow').match(/tick/g)?.length ?? 0) >= 3);
  const seen = h.text('follow').match(/tick/g)?.length ?? 0;
  await until('more ticks after those', () => (h.text('follow').match(/tick/g)?.length ?? 0) > seen + 1);
  t.equal(h.last('follow'), undefined, 'a follow does not end by itself');

  const before = h.sent.get('follow')?.length ?? 0;
  h.server.handle(encode('LogRequest', { id: 'follow', action: 'renew', leaseSeconds: 30 }));
  await until('an answer to the renew', () => (h.sent.get('follow')?.length ?? 0) > before);

  h.server.handle(encode('LogRequest', { id: 'follow', action: 'cancel' }));
  t.equal(h.server.streams, 0, 'the stream ends at once');
  const atCancel = h.sent.get('follow')?.length ?? 0;
  await sleep(1_500);
  t.equal(h.sent.get('follow')?.length ?? 0, atCancel, 'nothing more is sent after the cancel, though the container keeps printing');
  t.match(await podmanLogs(pod.id), /tick/, 'the container itself runs on');
});

t.test('cuts a large log into chunks of at most 16 KiB that add up to the log, in order', async (t) => {
  const h = harness(t, { bytesPerSecond: 4 * 1024 * 1024 });
  const line = 'x'.repeat(60);
  const pod = await h.pod(`i=0; while [ $i -lt 4000 ]; do echo "$i ${line}"; i=$((i+1)); done; sleep 3600`);
  await printed(pod.id, 4000);
  h.ask('large', { podUid: pod.uid });
  await until('the last chunk', () => h.last('large') !== undefined, 60_000);
  const chunks = h.sent.get('large') ?? [];
  const expected = Array.from({ length: 4000 }, (_, i) => `${i} ${line}\n`).join('');
  t.equal(h.text('large'), expected, 'every byte, in order');
  t.ok(chunks.every((chunk) => chunk.data.length <= 16 * 1024), 'no chunk is over 16 KiB');
  t.ok(chunks.length >= Math.ceil(expected.length / (16 * 1024)), `${chunks.length} chunks for ${expected.length} bytes`);
  t.same(chunks.map((chunk) => chunk.sequence), [...Array(chunks.length).keys()]);
});

t.test('keeps all streams together to the byte rate', async (t) => {
  const h = harness(t, { bytesPerSecond: 32 * 1024 });
  const pod = await h.pod(`i=0; while [ $i -lt 1000 ]; do echo "$i ${'y'.repeat(90)}"; i=$((i+1)); done; sleep 3600`);
  await printed(pod.id, 1000);
  const started = Date.now();
  h.ask('slow', { podUid: pod.uid });
  await until('the last chunk', () => h.last('slow') !== undefined, 60_000);
  const bytes = Buffer.byteLength(h.text('slow'));
  const elapsed = Date.now() - started;
  // One second's worth goes at once; the rest at 32 KiB a second.
  const least = ((bytes - 32 * 1024) / (32 * 1024)) * 1000;
  t.ok(elapsed >= least * 0.9, `${bytes} bytes took ${elapsed} ms, at least ${Math.round(least)} ms at 32 KiB/s`);
});

t.test('ends a stream whose lease the hub does not renew, saying so', async (t) => {
  const h = harness(t);
  const pod = await h.pod('while true; do echo beat; sleep 1; done');
  h.ask('lease', { podUid: pod.uid, follow: true, leaseSeconds: 5 });
  await until('the stream to begin', () => (h.sent.get('lease')?.length ?? 0) > 0);
  await until('the lease to run out', () => h.last('lease') !== undefined, 30_000);
  t.match(h.last('lease'), { errorCode: 'Gone', error: /did not renew it within 5 s/ });
  t.equal(h.server.streams, 0);
});

t.test('refuses, in one last chunk, a pod that has no container on this device', async (t) => {
  const h = harness(t);
  h.ask('elsewhere', { podUid: 'not-here', podName: 'web' });
  await until('the answer', () => h.last('elsewhere') !== undefined);
  const chunks = h.sent.get('elsewhere') ?? [];
  t.equal(chunks.length, 1, 'one chunk: the refusal');
  t.match(chunks[0], { sequence: 0, done: true, errorCode: 'NotFound', error: new RegExp(`no container of pod default/web is on device ${h.device}`), hint: /flotilla describe pod web/ });
});

t.test("refuses a container the pod does not have here, naming the ones it has", async (t) => {
  const h = harness(t);
  const pod = await h.pod('sleep 3600', { container: 'main' });
  await h.pod('sleep 3600', { uid: pod.uid, container: 'sidecar' });
  h.ask('wrong', { podUid: pod.uid, container: 'web' });
  await until('the answer', () => h.last('wrong') !== undefined);
  t.match(h.last('wrong'), { errorCode: 'BadRequest', error: /no container "web".*its containers here: main, sidecar/ });
});

t.test('serves only so many streams at once, and says so to one more', async (t) => {
  const h = harness(t, { maxStreams: 2 });
  const pod = await h.pod('while true; do echo on; sleep 1; done');
  h.ask('one', { podUid: pod.uid, follow: true });
  h.ask('two', { podUid: pod.uid, follow: true });
  h.ask('three', { podUid: pod.uid, follow: true });
  await until('the refusal', () => h.last('three') !== undefined);
  t.match(h.last('three'), { errorCode: 'Unavailable', error: /already serving 2 log streams/ });
  t.equal(h.server.streams, 2);
  t.equal(h.last('one'), undefined, 'the first two stream on');
});

t.test('a request delivered twice starts one stream', async (t) => {
  const h = harness(t);
  const pod = await h.pod('echo once; sleep 3600');
  await printed(pod.id, 1);
  h.ask('twice', { podUid: pod.uid, follow: true });
  h.ask('twice', { podUid: pod.uid, follow: true });
  await until('the line', () => h.text('twice').includes('once'));
  await sleep(500);
  t.equal(h.text('twice'), 'once\n');
  t.equal(h.server.streams, 1);
});

t.test('drops an unreadable request, or one with no id to answer on, and serves the next', async (t) => {
  const h = harness(t);
  h.server.handle(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  h.server.handle(encode('LogRequest', { id: 'a/b', action: 'start', namespace: 'default', podName: 'app', container: 'main', tailLines: -1, leaseSeconds: 30 }));
  t.equal(h.server.streams, 0, 'nothing started');
  t.equal(h.last('a/b'), undefined, 'and nothing sent where no one listens');
});
