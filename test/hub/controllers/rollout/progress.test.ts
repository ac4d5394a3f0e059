import t from 'tap';
import { decideRollout, waveSize, type RolloutDecision, type RolloutInput, type RolloutPod } from '../../../../hub/controllers/rollout/progress.js';
import type { RolloutStatus, RolloutWave } from '../../../../shared/objects.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');
const SECOND = 1000;

let serial = 0;
interface PodOptions {
  updated?: boolean;
  /** Ready since this many ms before now; undefined: not Ready. */
  readyFor?: number;
  /** Bound this many ms before now. */
  boundFor?: number;
  problem?: string;
  offline?: boolean;
}

function pods(count: number, options: PodOptions, now = T0): RolloutPod[] {
  return Array.from({ length: count }, () => {
    serial++;
    const pod: RolloutPod = { name: `web-${serial}`, updated: options.updated ?? true, offline: options.offline ?? false, device: `dev-${serial}` };
    if (options.readyFor !== undefined) pod.readySince = now - options.readyFor;
    pod.boundAt = now - (options.boundFor ?? options.readyFor ?? 0);
    if (options.problem !== undefined) pod.problem = options.problem;
    return pod;
  });
}

const ready = (count: number, now = T0) => pods(count, { readyFor: 60 * SECOND }, now);
const oldReady = (count: number, now = T0) => pods(count, { updated: false, readyFor: 3600 * SECOND }, now);

function input(overrides: Partial<RolloutInput> & { waves?: RolloutWave[] }): RolloutInput {
  const { waves, ...rest } = overrides;
  return {
    revision: 2,
    previousRevision: 1,
    target: 10,
    strategy: waves === undefined ? {} : { waves },
    spec: {},
    pods: [],
    now: T0,
    ...rest,
  };
}

/** Runs the engine as a controller would: the status it wrote is the next call's previous. */
function after(decision: RolloutDecision, next: Partial<RolloutInput> & { waves?: RolloutWave[] }): RolloutDecision {
  return decideRollout(input({ previous: decision.status, ...next }));
}

const CANARY: RolloutWave[] = [{ size: 1 }, { size: '50%' }, { size: '100%' }];

t.test('wave sizes are cumulative shares of the target, rounded up, at least one pod, the last always all', async (t) => {
  const waves: RolloutWave[] = [{ size: '1%' }, { size: '10%' }, { size: 3 }, { size: '50%' }];
  t.same([1, 2, 3, 4].map((k) => waveSize(waves, k, 25)), [1, 3, 3, 25]);
  t.same([1, 2, 3, 4].map((k) => waveSize(waves, k, 2)), [1, 1, 2, 2], 'never more than the target');
  t.equal(waveSize(waves, 1, 0), 0, 'nothing of nothing');
});

t.test('an update starts at wave 1 with room for one canary pod, and says so', async (t) => {
  const decision = decideRollout(input({ waves: CANARY, pods: oldReady(10) }));
  t.match(decision.status, { revision: 2, phase: 'Progressing', wave: 1, waves: 3, target: 10, updated: 0, waveStartedAt: '2025-06-01T12:00:00.000Z' });
  t.equal(decision.updatedCap, 1);
  t.same(decision.events, [{ type: 'Normal', reason: 'WaveStarted', message: 'revision 2: wave 1 of 3 started: up to 1 pod' }]);
  t.match(decision.status.message, /wave 1 of 3: 0 of 1 pods updated and available/);
});

t.test("a workload's first start goes straight to the last wave: waves stage updates, not starts", async (t) => {
  const decision = decideRollout(input({ revision: 1, waves: CANARY, pods: [] }));
  t.match(decision.status, { phase: 'Progressing', wave: 3, waves: 3 });
  t.equal(decision.updatedCap, 10);
  t.same(decision.events, []);
});

t.test('a wave that succeeds starts the next at once when it has no pause', async (t) => {
  const first = decideRollout(input({ waves: CANARY, pods: oldReady(10) }));
  const later = T0 + 30 * SECOND;
  const second = after(first, { waves: CANARY, now: later, pods: [...ready(1, later), ...oldReady(9, later)] });
  t.match(second.status, { phase: 'Progressing', wave: 2, updated: 1, ready: 1, waveStartedAt: new Date(later).toISOString() });
  t.equal(second.updatedCap, 5);
  t.same(
    second.events.map((e) => `${e.reason}: ${e.message}`),
    ['WaveSucceeded: revision 2: wave 1 of 3 succeeded: 1 pod updated and available', 'WaveStarted: revision 2: wave 2 of 3 started: up to 5 pods'],
  );
  t.same(after(second, { waves: CANARY, now: later, pods: [...ready(1, later), ...oldReady(9, later)] }).events, [], 'the same standing again records nothing');
});

t.test('a pod counts for its wave only once it has been Ready for minReadySeconds, and the engine asks to look again then', async (t) => {
  const spec = { minReadySeconds: 30 };
  const first = decideRollout(input({ waves: CANARY, spec, pods: oldReady(10) }));
  const canary = pods(1, { readyFor: 10 * SECOND });
  const waiting = after(first, { waves: CANARY, spec, pods: [...canary, ...oldReady(9)] });
  t.match(waiting.status, { wave: 1, ready: 1, phase: 'Progressing' });
  t.match(waiting.status.message, /0 of 1 pods updated and available \(Ready for 30s\)/);
  t.equal(waiting.requeueAfterMs, 20 * SECOND);
  const done = after(waiting, { waves: CANARY, spec, now: T0 + 20 * SECOND, pods: [...canary, ...oldReady(9)] });
  t.equal(done.status.wave, 2);
});

t.test('a timed pause holds the next wave until it ends', async (t) => {
  const waves: RolloutWave[] = [{ size: 1, pause: { seconds: 120 } }, { size: '100%' }];
  const first = decideRollout(input({ waves, pods: oldReady(10) }));
  const paused = after(first, { waves, pods: [...ready(1), ...oldReady(9)] });
  t.match(paused.status, { phase: 'Paused', wave: 1, pausedUntil: '2025-06-01T12:02:00.000Z', waveSucceededAt: '2025-06-01T12:00:00.000Z' });
  t.equal(paused.updatedCap, 1, 'no new pods during the pause');
  t.equal(paused.requeueAfterMs, 120 * SECOND);
  t.match(paused.status.message, /wave 1 of 2 done: wave 2 starts in 120s/);
  const still = after(paused, { waves, now: T0 + 119 * SECOND, pods: [...ready(1), ...oldReady(9)] });
  t.equal(still.status.phase, 'Paused');
  const next = after(still, { waves, now: T0 + 120 * SECOND, pods: [...ready(1), ...oldReady(9)] });
  t.match(next.status, { phase: 'Progressing', wave: 2 });
  t.equal(next.status.pausedUntil, undefined);
  t.equal(next.status.waveSucceededAt, undefined);
  t.equal(next.updatedCap, 10);
});

t.test('an open pause waits for rollout resume of this revision and wave, not an older one', async (t) => {
  const waves: RolloutWave[] = [{ size: 1, pause: {} }, { size: '100%' }];
  const first = decideRollout(input({ waves, pods: oldReady(10) }));
  const paused = after(first, { waves, pods: [...ready(1), ...oldReady(9)] });
  t.match(paused.status, { phase: 'Paused', wave: 1 });
  t.equal(paused.status.pausedUntil, undefined);
  t.match(paused.status.message, /flotilla rollout resume starts wave 2/);
  t.equal(paused.requeueAfterMs, undefined, 'nothing to wait for but a person');
  const stale = after(paused, { waves, now: T0 + 3600 * SECOND, resumed: { revision: 1, wave: 1 }, pods: [...ready(1), ...oldReady(9)] });
  t.equal(stale.status.phase, 'Paused', "a resume of the previous revision's rollout does not count");
  const resumed = after(stale, { waves, now: T0 + 3600 * SECOND, resumed: { revision: 2, wave: 1 }, pods: [...ready(1), ...oldReady(9)] });
  t.match(resumed.status, { phase: 'Progressing', wave: 2 });
  t.match(resumed.events, [{ reason: 'WaveStarted' }]);
});

t.test('rollout resume also cuts a timed pause short', async (t) => {
  const waves: RolloutWave[] = [{ size: 1, pause: { seconds: 600 } }, { size: '100%' }];
  const paused = after(decideRollout(input({ waves, pods: oldReady(10) })), { waves, pods: [...ready(1), ...oldReady(9)] });
  t.equal(paused.status.phase, 'Paused');
  t.equal(after(paused, { waves, resumed: { revision: 2, wave: 1 }, pods: [...ready(1), ...oldReady(9)] }).status.wave, 2);
});

t.test('more failed pods than a count threshold stops the rollout and rolls back to the previous revision', async (t) => {
  const strategy = { waves: CANARY, failureThreshold: 0, rollbackOnFailure: true };
  const first = decideRollout(input({ strategy, pods: oldReady(10) }));
  const crashed = pods(1, { boundFor: 5 * SECOND, problem: 'CrashLoopBackOff' });
  const decision = decideRollout(input({ strategy, previous: first.status, pods: [...crashed, ...oldReady(9)] }));
  t.equal(decision.rollbackTo, 1);
  t.match(decision.status, { phase: 'RolledBack', rolledBackFrom: 2, failed: 1, wave: 1 });
  t.match(decision.status.message, /^revision 2 failed in wave 1 of 3: 1 of 1 updated pod failed, more than the threshold of 0: web-\d+ on dev-\d+: CrashLoopBackOff; rolled back to revision 1$/);
  t.same(decision.events.map((e) => [e.type, e.reason]), [['Warning', 'RolloutFailed'], ['Warning', 'RolledBack']]);
  t.equal(decision.updatedCap, 1, 'no more pods of the failed revision');
});

t.test('without rollbackOnFailure, or with nothing to go back to, a failed rollout stops where it is', async (t) => {
  const crashed = pods(1, { problem: 'ErrImagePull' });
  const stopped = decideRollout(input({ strategy: { waves: CANARY, failureThreshold: 0 }, pods: [...crashed, ...oldReady(9)] }));
  t.match(stopped.status, { phase: 'Failed' });
  t.equal(stopped.rollbackTo, undefined);
  const { previousRevision: _none, ...firstRevision } = input({ revision: 1, strategy: { failureThreshold: 0, rollbackOnFailure: true }, pods: crashed });
  const alone = decideRollout(firstRevision);
  t.match(alone.status, { phase: 'Failed' });
  t.match(alone.status.message, /there is no earlier revision to roll back to/);
  t.equal(alone.rollbackTo, undefined);
  const later = decideRollout(input({ strategy: { waves: CANARY, failureThreshold: 0 }, previous: stopped.status, pods: [...ready(1), ...oldReady(9)] }));
  t.match(later.status, { phase: 'Failed', wave: 1 }, 'Failed holds even when the pod recovers');
  t.same(later.events, []);
});

t.test('a percentage threshold stops only when strictly more than that share of updated pods failed', async (t) => {
  const strategy = { failureThreshold: '25%' };
  const one = decideRollout(input({ target: 4, strategy, pods: [...pods(1, { problem: 'CrashLoopBackOff' }), ...ready(3)] }));
  t.not(one.status.phase, 'Failed', '1 of 4 is exactly 25%');
  const two = decideRollout(input({ target: 4, strategy, pods: [...pods(2, { problem: 'CrashLoopBackOff' }), ...ready(2)] }));
  t.equal(two.status.phase, 'Failed');
});

t.test('a pod not Ready within the progress deadline on an online device has failed; one on an Offline device waits', async (t) => {
  const strategy = { failureThreshold: 0 };
  const spec = { progressDeadlineSeconds: 60 };
  const slow = pods(1, { boundFor: 61 * SECOND });
  const failed = decideRollout(input({ target: 1, strategy, spec, pods: slow }));
  t.equal(failed.status.phase, 'Failed');
  t.match(failed.status.message, /not Ready 60s after it was placed/);
  const early = decideRollout(input({ target: 1, strategy, spec, pods: pods(1, { boundFor: 40 * SECOND }) }));
  t.equal(early.status.phase, 'Progressing');
  t.equal(early.requeueAfterMs, 20 * SECOND, 'looks again when the deadline passes');
  const away = decideRollout(input({ target: 1, strategy, spec, pods: pods(1, { boundFor: 3600 * SECOND, offline: true, problem: 'CrashLoopBackOff' }) }));
  t.not(away.status.phase, 'Failed');
  t.equal(away.status.pending, 1);
});

t.test('pods waiting for Offline devices never hold the rollout up: it completes for the rest and says how many wait', async (t) => {
  const waiting = pods(3, { updated: false, offline: true });
  const decision = decideRollout(input({ pods: [...ready(7), ...waiting] }));
  t.match(decision.status, { phase: 'Complete', pending: 3, updated: 7 });
  t.match(decision.status.message, /3 pods wait for Offline devices \(.+\) and update when they return/, 'naming the devices they wait for');
  t.match(decision.events, [{ reason: 'RolloutComplete', message: /revision 2 rolled out: 7 of 10 pods available; 3 pods wait for Offline devices/ }]);
  const back = after(decision, { pods: ready(10) });
  t.match(back.status, { phase: 'Complete', pending: 0, updated: 10 });
  t.equal(back.status.message, undefined);
});

t.test('an updated pod on a device that went Offline does not use up its wave: another pod takes its turn', async (t) => {
  const first = decideRollout(input({ waves: CANARY, pods: oldReady(10) }));
  const stranded = pods(1, { boundFor: 5 * SECOND, offline: true });
  const decision = after(first, { waves: CANARY, pods: [...stranded, ...oldReady(9)] });
  t.equal(decision.updatedCap, 2);
  t.match(decision.status, { wave: 1, pending: 1 });
});

t.test('failures within the threshold do not use up a wave either, and do not hold it', async (t) => {
  const strategy = { waves: CANARY, failureThreshold: 1 };
  const first = decideRollout(input({ strategy, pods: oldReady(10) }));
  const crashed = pods(1, { problem: 'CrashLoopBackOff' });
  const retry = decideRollout(input({ strategy, previous: first.status, pods: [...crashed, ...oldReady(9)] }));
  t.match(retry.status, { phase: 'Progressing', wave: 1, failed: 1 });
  t.equal(retry.updatedCap, 2);
  t.match(retry.status.message, /1 failed: web-\d+ on dev-\d+: CrashLoopBackOff/);
  const next = decideRollout(input({ strategy, previous: retry.status, pods: [...crashed, ...ready(1), ...oldReady(8)] }));
  t.equal(next.status.wave, 2);
});

t.test('the last wave completes only once no old pod runs on an online device', async (t) => {
  const decision = decideRollout(input({ pods: [...ready(10), ...oldReady(1)] }));
  t.match(decision.status, { phase: 'Progressing', wave: 1, waves: 1 });
  t.match(decision.status.message, /waiting for 1 old pod to go/);
  t.match(after(decision, { pods: ready(10) }).status, { phase: 'Complete' });
});

t.test('spec.paused freezes the rollout at the pods it has, records the pause once and judges no failures', async (t) => {
  const strategy = { waves: CANARY, failureThreshold: 0, rollbackOnFailure: true };
  const first = decideRollout(input({ strategy, pods: oldReady(10) }));
  const spec = { paused: true };
  const crashed = pods(1, { problem: 'CrashLoopBackOff' });
  const paused = decideRollout(input({ strategy, spec, previous: first.status, pods: [...crashed, ...oldReady(9)] }));
  t.match(paused.status, { phase: 'Paused', wave: 1 });
  t.equal(paused.updatedCap, 1);
  t.equal(paused.rollbackTo, undefined);
  t.match(paused.events, [{ reason: 'RolloutPaused', message: /revision 2 paused at wave 1 of 3/ }]);
  t.same(decideRollout(input({ strategy, spec, previous: paused.status, pods: [...crashed, ...oldReady(9)] })).events, []);
});

t.test('a new revision starts over at wave 1, whatever the previous one reached', async (t) => {
  const done = decideRollout(input({ waves: CANARY, pods: ready(10) }));
  t.equal(done.status.phase, 'Complete');
  const next = decideRollout(input({ revision: 3, previousRevision: 2, waves: CANARY, previous: done.status, pods: ready(10).map((p) => ({ ...p, updated: false })) }));
  t.match(next.status, { revision: 3, phase: 'Progressing', wave: 1 });
  t.equal(next.updatedCap, 1);
});

t.test('a completed rollout stays complete: a later crash is no reason to roll the fleet back', async (t) => {
  const strategy = { failureThreshold: 0, rollbackOnFailure: true };
  const done = decideRollout(input({ strategy, pods: ready(10) }));
  const later = decideRollout(input({ strategy, previous: done.status, pods: [...ready(9), ...pods(1, { problem: 'CrashLoopBackOff' })] }));
  t.match(later.status, { phase: 'Complete', failed: 1 });
  t.equal(later.rollbackTo, undefined);
  t.equal(later.updatedCap, 10);
});

t.test('a rollback rolls the old template out in one go and keeps saying why', async (t) => {
  const strategy = { waves: CANARY, failureThreshold: 0, rollbackOnFailure: true };
  const failed = decideRollout(input({ strategy, pods: [...pods(1, { problem: 'CrashLoopBackOff' }), ...oldReady(9)] }));
  const back = decideRollout(input({ revision: 3, previousRevision: 2, rollbackFrom: 2, strategy, previous: failed.status, pods: oldReady(9).map((p) => ({ ...p, updated: true })) }));
  t.match(back.status, { revision: 3, phase: 'RolledBack', rolledBackFrom: 2, wave: 1, waves: 1, updated: 9 });
  t.equal(back.status.message, failed.status.message);
  t.equal(back.updatedCap, 10);
  t.equal(back.rollbackTo, undefined);
});

t.test('decides a 10,000-pod rollout step in well under a second', async (t) => {
  const strategy = { waves: [{ size: '1%' }, { size: '10%' }, { size: '100%' }], failureThreshold: '5%', rollbackOnFailure: true };
  const fleet = [...ready(4000), ...pods(100, { boundFor: 10 * SECOND }), ...pods(50, { problem: 'CrashLoopBackOff' }), ...pods(300, { updated: false, offline: true }), ...oldReady(5550)];
  const first = decideRollout(input({ target: 10_000, strategy, pods: fleet }));
  const started = performance.now();
  const rounds = 20;
  let decision = first;
  for (let i = 0; i < rounds; i++) decision = decideRollout(input({ target: 10_000, strategy, previous: first.status, pods: fleet }));
  const ms = (performance.now() - started) / rounds;
  t.comment(`one decision over 10,000 pods: ${ms.toFixed(2)} ms`);
  t.ok(ms < 250, `took ${ms.toFixed(2)} ms`);
  t.match(decision.status, { wave: 3, updated: 4150, failed: 50, pending: 300 });
});
