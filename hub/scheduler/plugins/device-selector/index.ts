/**
 * device-selector: a pod runs only on devices whose labels match both its nodeSelector (every
 * label given) and its deviceSelector (a selector string with Kubernetes' equality and
 * set-based requirements: `role=camera,site in (a,b),tier notin (test),gpu,!retired`).
 * More room on a device would not help, so a mismatch is UnschedulableAndUnresolvable.
 * Requirements on the device's arch and OS are device-platform's (see pod-selection.ts).
 *
 * Its pre-filter names the matching devices, found through the fleet snapshot's label index
 * and worked out once per selector and snapshot, so the scheduler looks at no other device
 * while a pod fits somewhere.
 */
import type { Selector } from '../../../../shared/selector.js';
import { cycleKey, preFilterResult, Status, type CycleContext, type FilterPlugin, type PreFilterResult } from '../../framework.js';
import { podSelectionOf } from '../../pod-selection.js';
import type { DeviceSnapshot, FleetSnapshot } from '../../snapshot.js';

export const NAME = 'device-selector';

interface Selection {
  selector: Selector;
  /** One status for every mismatching device: the selector is the pod's, not the device's. */
  mismatch: Status;
  /**
   * What is known of each fleet snapshot the selection met: replicas sharing a selector ask
   * about the same devices over and over.
   */
  fleets: WeakMap<FleetSnapshot, FleetAnswers>;
}

interface FleetAnswers {
  /** By device index: MATCHES, DIFFERS, or 0 for not asked yet. */
  answers: Uint8Array;
  /** The pre-filter's answer for this fleet, once worked out. */
  candidates: PreFilterResult | Status | undefined;
}

const MATCHES = 1;
const DIFFERS = 2;

/** The pod's selection with what is known of this cycle's fleet. */
interface Prepared {
  selection: Selection;
  known: FleetAnswers;
}

/** A Status when the pod's selector cannot be read, null when it selects every device. */
const PREPARED = cycleKey<Prepared | Status | null>(`${NAME}/prepared`);

export function create() {
  // By the shared Selector object pod-selection hands every pod alike.
  const selections = new WeakMap<Selector, Selection>();

  function prepare(ctx: CycleContext): Prepared | Status | null {
    const selected = podSelectionOf(ctx);
    if (selected instanceof Status) return selected;
    const selector = selected.labels;
    if (selector === null) return null;
    let selection = selections.get(selector);
    if (selection === undefined) {
      selection = { selector, mismatch: mismatchOf(selector), fleets: new WeakMap() };
      selections.set(selector, selection);
    }
    let known = selection.fleets.get(ctx.fleet);
    if (known === undefined) {
      known = { answers: new Uint8Array(ctx.fleet.devices.length), candidates: undefined };
      selection.fleets.set(ctx.fleet, known);
    }
    return { selection, known };
  }

  return {
    name: NAME,
    preFilter(ctx) {
      const prepared = ctx.memo(PREPARED, () => prepare(ctx));
      if (prepared === null) return Status.skip();
      if (prepared instanceof Status) return prepared;
      const { selection, known } = prepared;
      known.candidates ??= candidatesFor(selection.selector, ctx.fleet, known.answers);
      return known.candidates;
    },
    filter(ctx, _pod, device) {
      const prepared = ctx.memo(PREPARED, () => prepare(ctx));
      if (prepared === null) return Status.success();
      if (prepared instanceof Status) return prepared;
      const { selection, known } = prepared;
      // A device not in this fleet's list (a test's stray snapshot) is answered afresh, never from memory.
      if (ctx.fleet.devices[device.index] !== device) return selection.selector.matches(device.labels) ? Status.success() : selection.mismatch;
      const answers = known.answers;
      let answer = answers[device.index];
      if (answer !== MATCHES && answer !== DIFFERS) {
        answer = selection.selector.matches(device.labels) ? MATCHES : DIFFERS;
        answers[device.index] = answer;
      }
      return answer === MATCHES ? Status.success() : selection.mismatch;
    },
  } satisfies FilterPlugin;
}

/**
 * Exactly the devices the selector matches, as a pre-filter result; Skip when that is every
 * device. Only the devices carrying the rarest label the selector requires are looked at
 * (through the snapshot's label index), and what is learnt is kept in `answers` for `filter`.
 */
function candidatesFor(selector: Selector, fleet: FleetSnapshot, answers: Uint8Array): PreFilterResult | Status {
  const devices = fleet.devices;
  const narrowest = narrowestRequirement(selector, fleet);
  const matching: number[] = [];
  const consider = (index: number): void => {
    const matches = selector.matches((devices[index] as DeviceSnapshot).labels);
    answers[index] = matches ? MATCHES : DIFFERS;
    if (matches) matching.push(index);
  };
  if (narrowest === undefined) {
    for (let index = 0; index < devices.length; index++) consider(index);
  } else {
    // Every device outside the narrowest requirement's lists lacks a label the selector requires.
    answers.fill(DIFFERS);
    for (const list of narrowest) for (const index of list) consider(index);
    // An `in` requirement's lists are each ascending but follow one another; a device carries one value per key, so none repeats.
    if (narrowest.length > 1) matching.sort((a, b) => a - b);
  }
  return matching.length === devices.length ? Status.skip() : preFilterResult(matching, { exact: true });
}

/**
 * The device lists of the requirement that lets the fewest devices through: `key=value`,
 * `key in (...)` (one list per value) or `key` (exists). Undefined when the selector only
 * excludes (`!=`, `notin`, `!key`), which no index narrows.
 */
function narrowestRequirement(selector: Selector, fleet: FleetSnapshot): (readonly number[])[] | undefined {
  let narrowest: (readonly number[])[] | undefined;
  let narrowestSize = Infinity;
  for (const { key, operator, values } of selector.requirements) {
    let lists: (readonly number[])[];
    if (operator === 'Equals' || operator === 'In') lists = values.map((value) => fleet.devicesLabelled(key, value));
    else if (operator === 'Exists') lists = [fleet.devicesWithLabel(key)];
    else continue;
    let size = 0;
    for (const list of lists) size += list.length;
    if (size < narrowestSize) {
      narrowest = lists;
      narrowestSize = size;
    }
  }
  return narrowest;
}

/** "25 do not match role=camera" in the fleet-wide message. */
function mismatchOf(selector: Selector): Status {
  return Status.unresolvable(`device does not match ${selector.toString()}`);
}
