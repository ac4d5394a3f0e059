import t from 'tap';
import { CycleContext, cycleKey, isFilterPlugin, isPreFilterResult, isScorePlugin, preFilterResult, Status, type CycleKey } from '../../../hub/scheduler/framework.js';
import { snapshotFleet } from '../../../hub/scheduler/snapshot.js';
import { pod } from './fixtures.js';

t.test('a success carries no reasons and counts as success', async (t) => {
  const status = Status.success();
  t.equal(status.code, 'Success');
  t.ok(status.isSuccess());
  t.same(status.reasons, []);
});

t.test('an unschedulable status keeps each reason, and its summary when one is given', async (t) => {
  const status = Status.unschedulable('device is busy', { reason: 'insufficient cpu (requested 2, 1 free of 4)', summary: 'insufficient cpu' });
  t.equal(status.code, 'Unschedulable');
  t.notOk(status.isSuccess());
  t.same(status.reasons, ['device is busy', 'insufficient cpu (requested 2, 1 free of 4)']);
  t.same(status.summaries, ['device is busy', 'insufficient cpu']);
});

t.test('an unresolvable status is told apart from a merely unschedulable one', async (t) => {
  t.equal(Status.unresolvable('device is cordoned').code, 'UnschedulableAndUnresolvable');
});

t.test('an error status carries the message of what was thrown', async (t) => {
  const status = Status.error(new Error('disk on fire'));
  t.equal(status.code, 'Error');
  t.same(status.reasons, ['disk on fire']);
  t.same(Status.error('plain words').reasons, ['plain words']);
});

t.test('names the plugin that answered when asked to, without changing the original', async (t) => {
  const original = Status.unschedulable('device is busy');
  const named = original.withPlugin('busy-check');
  t.equal(named.plugin, 'busy-check');
  t.equal(original.plugin, undefined);
  t.equal(named.toString(), 'busy-check: Unschedulable: device is busy');
});

t.test('computes a memoized cycle value once however often it is asked for', async (t) => {
  const ctx = new CycleContext(pod('web'), snapshotFleet([], []));
  const key = cycleKey<number>('answer');
  let computed = 0;
  const compute = () => {
    computed += 1;
    return 42;
  };
  t.equal(ctx.memo(key, compute), 42);
  t.equal(ctx.memo(key, compute), 42);
  t.equal(computed, 1);
  t.equal(ctx.read(key), 42);
});

t.test('remembers an undefined cycle value rather than computing it again', async (t) => {
  const ctx = new CycleContext(pod('web'), snapshotFleet([], []));
  const key = cycleKey<string | undefined>('maybe');
  let computed = 0;
  ctx.memo(key, () => {
    computed += 1;
    return undefined;
  });
  ctx.memo(key, () => {
    computed += 1;
    return 'late';
  });
  t.equal(computed, 1);
});

t.test('keeps the state of different cycles apart', async (t) => {
  const key = cycleKey<string>('owner');
  const first = new CycleContext(pod('a'), snapshotFleet([], []));
  const second = new CycleContext(pod('b'), snapshotFleet([], []));
  first.write(key, 'a');
  t.equal(second.read(key), undefined);
});

t.test('tells filter plugins from score plugins by what they implement', async (t) => {
  const filter = { name: 'f', filter: () => Status.success() };
  const score = { name: 's', score: () => 0 };
  t.ok(isFilterPlugin(filter));
  t.notOk(isScorePlugin(filter));
  t.ok(isScorePlugin(score));
  t.notOk(isFilterPlugin(score));
});

t.test("a pre-filter's Skip is neither a success nor a refusal", async (t) => {
  const skip = Status.skip();
  t.equal(skip.code, 'Skip');
  t.notOk(skip.isSuccess());
  t.same(skip.reasons, []);
  t.equal(Status.skip(), skip, 'one shared instance');
});

t.test('a pre-filter result lists devices and says whether its filter vouches for each of them', async (t) => {
  t.same(preFilterResult([1, 3]), { deviceIndexes: [1, 3], exact: false });
  t.same(preFilterResult([2], { exact: true }), { deviceIndexes: [2], exact: true });
  t.ok(isPreFilterResult(preFilterResult([])));
  t.notOk(isPreFilterResult(Status.success()));
  t.notOk(isPreFilterResult(undefined));
});

t.test('keeps values under keys made by hand, without a slot, as well as under cycleKey ones', async (t) => {
  const ctx = new CycleContext(pod('web'), snapshotFleet([], []));
  const handMade: CycleKey<number> = { description: 'hand-made' };
  const made = cycleKey<number>('made');
  t.equal(ctx.read(handMade), undefined);
  ctx.write(handMade, 1);
  ctx.write(made, 2);
  t.equal(ctx.read(handMade), 1);
  t.equal(ctx.read(made), 2);
  t.equal(ctx.memo(handMade, () => 9), 1);
});
