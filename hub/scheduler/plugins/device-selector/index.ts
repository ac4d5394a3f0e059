/**
 * device-selector: a pod runs only on devices whose labels match both its nodeSelector (every
 * label given) and its deviceSelector (a selector string, `role=camera,site in (a,b)`).
 * More room on a device would not help, so a mismatch is UnschedulableAndUnresolvable.
 */
import type { Labels, Pod } from '../../../../shared/objects.js';
import { parseSelector, selectorFromLabels, SelectorSyntaxError, type Selector } from '../../../../shared/selector.js';
import { cycleKey, Status, type CycleContext, type FilterPlugin } from '../../framework.js';
import type { FleetSnapshot } from '../../snapshot.js';

export const NAME = 'device-selector';

interface Selection {
  selector: Selector;
  /** One status for every mismatching device: the selector is the pod's, not the device's. */
  mismatch: Status;
  /**
   * Answers so far per fleet snapshot, by device index (MATCHES, DIFFERS, or 0 for not asked
   * yet): replicas sharing a selector ask about the same devices over and over.
   */
  answers: WeakMap<FleetSnapshot, Uint8Array>;
}

const MATCHES = 1;
const DIFFERS = 2;

/** The pod's selection with its answers for this cycle's fleet. */
interface Prepared {
  selection: Selection;
  answers: Uint8Array;
}

/** A Status when the pod's selector cannot be read, null when it selects every device. */
const PREPARED = cycleKey<Prepared | Status | null>(`${NAME}/prepared`);

// Replicas of one Deployment share their selector, so a few entries serve thousands of pods.
const MAX_REMEMBERED = 512;

export function create() {
  const remembered = new Map<string, Selection | Status>();

  function selectionFor(pod: Pod): Selection | Status | null {
    const { nodeSelector = {}, deviceSelector = '' } = pod.spec;
    if (deviceSelector.trim() === '' && Object.keys(nodeSelector).length === 0) return null;
    const key = JSON.stringify([deviceSelector, Object.entries(nodeSelector).sort()]);
    let found = remembered.get(key);
    if (found === undefined) {
      found = selectionOf(nodeSelector, deviceSelector);
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.set(key, found);
    }
    return found;
  }

  function prepare(ctx: CycleContext): Prepared | Status | null {
    const selection = selectionFor(ctx.pod);
    if (selection === null || selection instanceof Status) return selection;
    let answers = selection.answers.get(ctx.fleet);
    if (answers === undefined) {
      answers = new Uint8Array(ctx.fleet.devices.length);
      selection.answers.set(ctx.fleet, answers);
    }
    return { selection, answers };
  }

  return {
    name: NAME,
    preFilter(ctx) {
      const prepared = ctx.memo(PREPARED, () => prepare(ctx));
      return prepared instanceof Status ? prepared : Status.success();
    },
    filter(ctx, _pod, device) {
      const prepared = ctx.memo(PREPARED, () => prepare(ctx));
      if (prepared === null) return Status.success();
      if (prepared instanceof Status) return prepared;
      const { selection, answers } = prepared;
      let answer = answers[device.index];
      if (answer !== MATCHES && answer !== DIFFERS) {
        answer = selection.selector.matches(device.labels) ? MATCHES : DIFFERS;
        // A device not in this fleet's list (a test's stray snapshot) is answered but not remembered.
        if (ctx.fleet.devices[device.index] === device) answers[device.index] = answer;
      }
      return answer === MATCHES ? Status.success() : selection.mismatch;
    },
  } satisfies FilterPlugin;
}

function selectionOf(nodeSelector: Labels, deviceSelector: string): Selection | Status {
  let fromLabels: Selector;
  let parsed: Selector;
  try {
    fromLabels = selectorFromLabels(nodeSelector);
  } catch (error) {
    return Status.unresolvable(`nodeSelector is invalid: ${messageOf(error)}`);
  }
  try {
    parsed = parseSelector(deviceSelector);
  } catch (error) {
    const problem = error instanceof SelectorSyntaxError ? error.problem : messageOf(error);
    return Status.unresolvable(`deviceSelector "${deviceSelector}" is invalid ${problem}`);
  }
  const selector = fromLabels.and(parsed);
  return { selector, mismatch: Status.unresolvable(`labels do not match selector ${selector.toString()}`), answers: new WeakMap() };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
