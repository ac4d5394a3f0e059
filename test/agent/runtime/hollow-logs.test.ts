/**
 * The hollow runtime's made-up logs: enough for `flotilla logs` against a simulated fleet to
 * run the whole path, tail, since and follow included.
 */
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import t from 'tap';
import { HOLLOW_LOG_LINES, HollowRuntime } from '../../../agent/runtime/hollow.js';
import { LABEL_DEVICE, type LogOptions } from '../../../agent/runtime/runtime.js';

async function running(device = 'hollow-1'): Promise<{ runtime: HollowRuntime; id: string }> {
  const runtime = new HollowRuntime({ device, startDelayMs: 0 });
  const id = await runtime.create({ name: `${device}-web`, image: 'example/web:1', env: [], ports: [], labels: { [LABEL_DEVICE]: device } });
  await runtime.start(id);
  return { runtime, id };
}

async function read(runtime: HollowRuntime, id: string, options: Partial<LogOptions> = {}): Promise<string> {
  return text(await runtime.logs(id, { follow: false, timestamps: false, ...options }));
}

t.test('a hollow container has written a few numbered lines', async (t) => {
  const { runtime, id } = await running();
  const lines = (await read(runtime, id)).split('\n').filter(Boolean);
  t.equal(lines.length, HOLLOW_LOG_LINES);
  t.equal(lines[0], 'hollow container hollow-1-web: simulated line 1');
});

t.test('tail gives the last lines, and tail 0 none', async (t) => {
  const { runtime, id } = await running();
  t.equal(await read(runtime, id, { tailLines: 2 }), `hollow container hollow-1-web: simulated line ${HOLLOW_LOG_LINES - 1}\nhollow container hollow-1-web: simulated line ${HOLLOW_LOG_LINES}\n`);
  t.equal(await read(runtime, id, { tailLines: 0 }), '');
});

t.test('since leaves out lines stamped before it', async (t) => {
  const { runtime, id } = await running();
  // The lines are stamped a second apart up to now: the last second holds the last line only.
  t.equal(await read(runtime, id, { sinceSeconds: 1 }), `hollow container hollow-1-web: simulated line ${HOLLOW_LOG_LINES}\n`);
  t.equal((await read(runtime, id, { sinceSeconds: 3 })).split('\n').filter(Boolean).length, 3);
});

t.test('timestamps start each line with an ISO time', async (t) => {
  const { runtime, id } = await running();
  t.match(await read(runtime, id, { timestamps: true, tailLines: 1 }), /^\d{4}-\d\d-\d\dT[\d:.]+Z hollow container/);
});

t.test('a follow adds a line a second while the container runs, and ends when it stops', async (t) => {
  const { runtime, id } = await running();
  const stream: Readable = await runtime.logs(id, { follow: true, timestamps: false, tailLines: 0 });
  let seen = '';
  stream.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  const ended = new Promise<void>((resolve) => stream.once('end', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1_300));
  t.match(seen, new RegExp(`simulated line ${HOLLOW_LOG_LINES + 1}\\n`));
  await runtime.stop(id, 0);
  await ended;
});

t.test("another device's container is refused, a missing one named", async (t) => {
  const { runtime: other, id } = await running('hollow-2');
  const runtime = new HollowRuntime({ device: 'hollow-1', engine: other.engine });
  await t.rejects(runtime.logs(id, { follow: false, timestamps: false }), { code: 'Conflict' });
  await t.rejects(runtime.logs('nope', { follow: false, timestamps: false }), { code: 'NotFound', message: /container nope does not exist/ });
});
