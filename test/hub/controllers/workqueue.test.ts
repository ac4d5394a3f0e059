import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue, type WorkQueueOptions } from '../../../hub/controllers/workqueue.js';

/** Polls until the condition holds, failing after a generous time so a broken queue cannot hang the suite. */
async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** A promise the test resolves when it chooses, to hold a key in processing. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function queue(process: WorkQueueOptions['process'], options: Partial<WorkQueueOptions> = {}): WorkQueue {
  return new WorkQueue({ process, onError: () => undefined, ...options });
}

t.test('processes a key added many times while it waits only once', async (t) => {
  const seen: string[] = [];
  const q = queue(async (key) => void seen.push(key));
  for (let i = 0; i < 5; i++) q.add('default/web');
  q.add('default/db');
  q.add('default/web');
  await q.drained();
  t.same(seen, ['default/web', 'default/db']);
});

t.test('processes keys one at a time, in the order they were added', async (t) => {
  const seen: string[] = [];
  let active = 0;
  let most = 0;
  const q = queue(async (key) => {
    active++;
    most = Math.max(most, active);
    await sleep(2);
    seen.push(key);
    active--;
  });
  for (const key of ['a', 'b', 'c']) q.add(key);
  await q.drained();
  t.same(seen, ['a', 'b', 'c']);
  t.equal(most, 1);
});

t.test('runs a key again afterwards when it is added while being processed, never twice at once', async (t) => {
  const first = gate();
  let calls = 0;
  let active = 0;
  let overlapped = false;
  const q = queue(async () => {
    calls++;
    active++;
    if (active > 1) overlapped = true;
    if (calls === 1) await first.promise;
    active--;
  });
  q.add('web');
  await until(() => calls === 1, 'the first run');
  q.add('web');
  q.add('web');
  q.add('web');
  first.open();
  await until(() => calls === 2, 'the second run');
  await q.drained();
  await sleep(20);
  t.equal(calls, 2, 'three adds during the run give one more run');
  t.notOk(overlapped);
});

t.test('retries a failing key with a delay that grows per failure, telling onError the attempt', async (t) => {
  const at: number[] = [];
  const attempts: number[] = [];
  const q = queue(
    async () => {
      at.push(Date.now());
      if (at.length <= 3) throw new Error('store unavailable');
    },
    { baseDelayMs: 25, maxDelayMs: 1_000, onError: (_key, _error, attempt) => attempts.push(attempt) },
  );
  t.teardown(() => q.stop());
  q.add('web');
  await until(() => at.length === 4, 'the fourth attempt');
  t.same(attempts, [1, 2, 3]);
  const gaps = [at[1]! - at[0]!, at[2]! - at[1]!, at[3]! - at[2]!];
  // Timers may fire a millisecond early; the delays are 25, 50 and 100 ms.
  t.ok(gaps[0]! >= 24, `first retry after ${gaps[0]}ms`);
  t.ok(gaps[1]! >= 49, `second retry after ${gaps[1]}ms`);
  t.ok(gaps[2]! >= 99, `third retry after ${gaps[2]}ms`);
  await sleep(150);
  t.equal(at.length, 4, 'no retry once it succeeded');
});

t.test('caps the retry delay at maxDelayMs', async (t) => {
  const at: number[] = [];
  const q = queue(
    async () => {
      at.push(Date.now());
      throw new Error('always');
    },
    { baseDelayMs: 20, maxDelayMs: 30 },
  );
  t.teardown(() => q.stop());
  q.add('web');
  await until(() => at.length === 5, 'five attempts');
  const lastGap = at[4]! - at[3]!;
  t.ok(lastGap < 120, `the fourth retry came after ${lastGap}ms, not after 160ms`);
});

t.test('starts the back-off afresh after a success', async (t) => {
  const attempts: number[] = [];
  let calls = 0;
  const q = queue(
    async () => {
      calls++;
      if (calls === 1 || calls === 3) throw new Error('flaky');
    },
    { baseDelayMs: 5, onError: (_key, _error, attempt) => attempts.push(attempt) },
  );
  t.teardown(() => q.stop());
  q.add('web');
  await until(() => calls === 2, 'the retry');
  await q.drained();
  q.add('web');
  await until(() => calls === 4, 'the second retry');
  t.same(attempts, [1, 1]);
});

t.test('calls a key again after the requeueAfterMs it asked for', async (t) => {
  const at: number[] = [];
  const q = queue(async () => {
    at.push(Date.now());
    return at.length === 1 ? { requeueAfterMs: 40 } : undefined;
  });
  t.teardown(() => q.stop());
  q.add('scheduling');
  await until(() => at.length === 2, 'the requeue');
  t.ok(at[1]! - at[0]! >= 39, `requeued after ${at[1]! - at[0]!}ms`);
  await sleep(80);
  t.equal(at.length, 2, 'only once');
});

t.test('adds a key after a delay with addAfter', async (t) => {
  const seen: number[] = [];
  const q = queue(async () => void seen.push(Date.now()));
  t.teardown(() => q.stop());
  const start = Date.now();
  q.addAfter('web', 30);
  await sleep(10);
  t.same(seen, [], 'not before the delay');
  await until(() => seen.length === 1, 'the delayed key');
  t.ok(seen[0]! - start >= 29);
});

t.test(
  'retries a key that fails while a later requeue is pending after its back-off, not at the later time',

  async (t) => {
    let calls = 0;
    const q = queue(
      async () => {
        calls++;
        if (calls === 1) return { requeueAfterMs: 60_000 };
        if (calls === 2) throw new Error('conflict');
        return undefined;
      },
      { baseDelayMs: 10 },
    );
    t.teardown(() => q.stop());
    q.add('web');
    await until(() => calls === 1, 'the first run');
    await q.drained();
    q.add('web');
    await until(() => calls === 2, 'the failing run');
    await until(() => calls === 3, 'the retry', 1_000);
    t.pass('retried');
  },
);

t.test(
  'keeps processing other keys when the error callback itself throws',

  async (t) => {
    const seen: string[] = [];
    const q = queue(
      async (key) => {
        seen.push(key);
        if (key === 'bad') throw new Error('reconcile failed');
      },
      {
        onError: () => {
          throw new TypeError('logger failed');
        },
      },
    );
    t.teardown(() => q.stop());
    q.add('bad');
    await until(() => seen.length === 1, 'the failing key');
    await sleep(10);
    q.add('good');
    await until(() => seen.includes('good'), 'the next key', 500);
    t.pass('the queue still runs');
  },
);

t.test('stop() waits for the key being processed, then processes nothing more', async (t) => {
  const running = gate();
  const seen: string[] = [];
  let finished = false;
  const q = queue(async (key) => {
    seen.push(key);
    if (key === 'slow') {
      await running.promise;
      finished = true;
      return { requeueAfterMs: 5 };
    }
    return undefined;
  });
  q.add('slow');
  q.add('queued');
  q.addAfter('delayed', 10);
  await until(() => seen.length === 1, 'the slow key to start');
  const stopped = q.stop();
  q.add('late');
  running.open();
  await stopped;
  t.ok(finished, 'stop resolved after the running key finished');
  await sleep(40);
  t.same(seen, ['slow'], 'no queued, delayed, late or requeued key ran');
  t.equal(q.length, 0);
});

t.test('drained() resolves at once on an idle queue', async (t) => {
  const q = queue(async () => undefined);
  await q.drained();
  t.equal(q.length, 0);
});

t.test('with a concurrency of n, processes up to n different keys at once, taking them in the order added', async (t) => {
  const started: string[] = [];
  const gates = new Map<string, ReturnType<typeof gate>>();
  let active = 0;
  let most = 0;
  const q = queue(
    async (key) => {
      started.push(key);
      active++;
      most = Math.max(most, active);
      const held = gate();
      gates.set(key, held);
      await held.promise;
      active--;
    },
    { concurrency: 3 },
  );
  for (const key of ['a', 'b', 'c', 'd', 'e']) q.add(key);
  await until(() => started.length === 3, 'three keys under way');
  await sleep(20);
  t.same(started, ['a', 'b', 'c'], 'the first three, and no more while they run');
  gates.get('b')?.open();
  await until(() => started.length === 4, 'a fourth key once one is done');
  t.same(started, ['a', 'b', 'c', 'd']);
  for (const key of ['a', 'c', 'd']) gates.get(key)?.open();
  await until(() => started.length === 5, 'the last key');
  gates.get('e')?.open();
  await q.drained();
  t.equal(most, 3, 'never more than three at once');
});

t.test('with a concurrency above 1, a key added while it is processed still waits for that run to end', async (t) => {
  const first = gate();
  let calls = 0;
  let active = 0;
  let overlapped = false;
  const q = queue(
    async (key) => {
      if (key !== 'web') return;
      calls++;
      active++;
      if (active > 1) overlapped = true;
      if (calls === 1) await first.promise;
      active--;
    },
    { concurrency: 4 },
  );
  q.add('web');
  await until(() => calls === 1, 'the first run');
  for (const key of ['web', 'other', 'web']) q.add(key);
  await sleep(20);
  t.equal(calls, 1, 'idle workers do not take a key that is being processed');
  first.open();
  await q.drained();
  t.equal(calls, 2, 'it runs once more afterwards');
  t.notOk(overlapped);
});
