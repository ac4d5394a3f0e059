import t from 'tap';
import { createPreFilter, firstAtOrAfter, isTurnedAway, type CyclePlan } from '../../../hub/scheduler/candidates.js';
import { CycleContext, preFilterResult, Status, type FilterPlugin, type PreFilterResult } from '../../../hub/scheduler/framework.js';
import { snapshotFleet } from '../../../hub/scheduler/snapshot.js';
import { device, pod } from './fixtures.js';

const fleet = snapshotFleet(['a', 'b', 'c', 'd', 'e'].map((name) => device(name)), []);

function answering(name: string, answer: () => Status | PreFilterResult): FilterPlugin {
  return { name, preFilter: answer, filter: () => Status.success() };
}

function plan(filters: FilterPlugin[]): CyclePlan {
  const outcome = createPreFilter(filters)(new CycleContext(pod('web'), fleet));
  if (isTurnedAway(outcome)) throw new Error(`turned away by ${outcome.plugin}: ${outcome.status.toString()}`);
  return outcome;
}

t.test('leaves every device and every filter in play when no pre-filter narrows anything', async (t) => {
  const plain: FilterPlugin = { name: 'plain', filter: () => Status.success() };
  const fine = answering('fine', () => Status.success());
  const outcome = plan([plain, fine]);
  t.equal(outcome.candidates, undefined);
  t.same(outcome.searchFilters.map((f) => f.name), ['plain', 'fine']);
  t.same(outcome.fullFilters.map((f) => f.name), ['plain', 'fine']);
});

t.test('keeps the devices all pre-filters named, and drops the filters that skipped or vouched', async (t) => {
  const skipping = answering('skipping', () => Status.skip());
  const vouching = answering('vouching', () => preFilterResult([0, 2, 3, 4], { exact: true }));
  const guessing = answering('guessing', () => preFilterResult([1, 2, 4]));
  const outcome = plan([skipping, vouching, guessing]);
  t.same(outcome.candidates, [2, 4]);
  t.same(outcome.searchFilters.map((f) => f.name), ['guessing'], 'candidates are asked only what nobody vouched for');
  t.same(outcome.fullFilters.map((f) => f.name), ['vouching', 'guessing'], 'other devices are asked by all but the skipping one');
});

t.test('turns the pod away as soon as a pre-filter refuses it, saying which', async (t) => {
  let askedAfter = false;
  const refusing = answering('refusing', () => Status.unresolvable('selector is invalid'));
  const later = answering('later', () => {
    askedAfter = true;
    return Status.success();
  });
  const outcome = createPreFilter([refusing, later])(new CycleContext(pod('web'), fleet));
  t.ok(isTurnedAway(outcome));
  t.match(outcome, { plugin: 'refusing', status: { code: 'UnschedulableAndUnresolvable', reasons: ['selector is invalid'] } });
  t.notOk(askedAfter);
});

t.test('reports a pre-filter that throws or answers nonsense as an Error naming it', async (t) => {
  const throwing = answering('throwing', () => {
    throw new Error('no config');
  });
  const odd = answering('odd', () => 42 as unknown as Status);
  t.match(createPreFilter([throwing])(new CycleContext(pod('web'), fleet)), { plugin: 'throwing', status: { code: 'Error', reasons: ['no config'] } });
  t.match(createPreFilter([odd])(new CycleContext(pod('web'), fleet)), { plugin: 'odd', status: { code: 'Error', reasons: ['returned 42 instead of a Status'] } });
});

t.test('works out the meeting of two lists once, however many pods bring the same two', async (t) => {
  const first: readonly number[] = [0, 1, 2, 3];
  const second: readonly number[] = [1, 3, 4];
  const preFilter = createPreFilter([answering('x', () => preFilterResult(first)), answering('y', () => preFilterResult(second))]);
  const one = preFilter(new CycleContext(pod('a'), fleet)) as CyclePlan;
  const two = preFilter(new CycleContext(pod('b'), fleet)) as CyclePlan;
  t.same(one.candidates, [1, 3]);
  t.equal(two.candidates, one.candidates, 'the very same list');
});

t.test('finds where a search from a given device starts in a candidate list, wrapping round past the end', async (t) => {
  const list = [2, 5, 9];
  t.equal(firstAtOrAfter(list, 0), 0);
  t.equal(firstAtOrAfter(list, 5), 1);
  t.equal(firstAtOrAfter(list, 6), 2);
  t.equal(firstAtOrAfter(list, 10), 0);
  t.equal(firstAtOrAfter([], 3), 0);
});
