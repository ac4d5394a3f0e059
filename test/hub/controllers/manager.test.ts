import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import type { Controller } from '../../../hub/controllers/controller.js';
import { ControllerManager } from '../../../hub/controllers/manager.js';
import type { Logger } from '../../../shared/log.js';
import { createLevelStore } from '../../../hub/store/level-store.js';

function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

function slowController(name: string, keys: string[], reconciled: string[]): Controller {
  return {
    name,
    watches: ['Pod'],
    keysFor: () => [],
    initialKeys: async () => keys,
    async reconcile(key) {
      await sleep(20);
      reconciled.push(`${name}:${key}`);
    },
  };
}

t.test('synced() resolves once every key of every controller enqueued at start has been reconciled, and says so in the log', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  const { log, lines } = capturingLogger();
  const manager = new ControllerManager(store, log);
  const reconciled: string[] = [];
  manager.add(slowController('first', ['a', 'b', 'c'], reconciled));
  manager.add(slowController('second', ['x'], reconciled));
  await manager.start();
  t.ok(reconciled.length < 4, 'start() does not wait for the reconciles');
  await manager.synced();
  t.same(reconciled.sort(), ['first:a', 'first:b', 'first:c', 'second:x']);
  await sleep(10);
  const synced = lines.find((line) => line['msg'] === 'controllers synced');
  t.match(synced, { keys: 4, ms: Number }, 'the log tells how many keys and how long');
  t.ok((synced?.['ms'] as number) >= 60, 'three keys of one controller, one after the other, at 20 ms each');
  await manager.stop();
});

t.test('a controller that asks for a concurrency has that many of its keys reconciled at once, and others one at a time', async (t) => {
  const store = await createLevelStore({ dataDir: t.testdir(), onWatcherError: () => {} });
  t.teardown(() => store.close());
  const manager = new ControllerManager(store, capturingLogger().log);
  const most = new Map<string, number>();
  const counting = (name: string, concurrency?: number): Controller => {
    let active = 0;
    return {
      name,
      watches: ['Pod'],
      ...(concurrency === undefined ? {} : { concurrency }),
      keysFor: () => [],
      initialKeys: async () => Array.from({ length: 12 }, (_, i) => `k${i}`),
      async reconcile() {
        active++;
        most.set(name, Math.max(most.get(name) ?? 0, active));
        await sleep(10);
        active--;
      },
    };
  };
  manager.add(counting('wide', 4));
  manager.add(counting('narrow'));
  await manager.start();
  await manager.synced();
  t.equal(most.get('wide'), 4);
  t.equal(most.get('narrow'), 1);
  await manager.stop();
});
