/**
 * taint-toleration: a device's taints keep off every pod that does not tolerate them, as
 * Kubernetes' TaintToleration filter. A device's taints are the ones people set in
 * `spec.taints` and, while it is Offline, the hub's `flotilla.io/unreachable:NoExecute` (the
 * taint the eviction controller counts tolerations against). Both effects keep new pods off:
 * NoSchedule only that, NoExecute also makes the eviction controller move pods away from an
 * Offline device. Tolerations match as in Kubernetes (see controllers/eviction/taints.ts).
 *
 * Most devices carry no taint and most pods no toleration, so the pre-filter skips the plugin
 * for a fleet without taints, and otherwise names the devices a pod may use once per set of
 * tolerations and fleet snapshot: replicas share theirs.
 */
import type { Device, Taint, Toleration } from '../../../../shared/objects.js';
import { describeTaint, tolerates, UNREACHABLE_TAINT } from '../../../controllers/eviction/taints.js';
import { preFilterResult, Status, type FilterPlugin, type PreFilterResult } from '../../framework.js';
import type { FleetSnapshot } from '../../snapshot.js';

export const NAME = 'taint-toleration';

const NO_TAINTS: readonly Taint[] = Object.freeze([]);
const UNREACHABLE: readonly Taint[] = Object.freeze([UNREACHABLE_TAINT]);

/** What is known of one fleet snapshot. */
interface FleetTaints {
  /** By device index: its taints (NO_TAINTS for most). */
  taints: (readonly Taint[])[];
  anyTainted: boolean;
  /** Pre-filter answers by the pods' tolerations, as JSON. */
  answers: Map<string, PreFilterResult | Status>;
}

// Enough for every distinct set of tolerations in a fleet's workloads.
const MAX_REMEMBERED = 256;

export function create() {
  const fleets = new WeakMap<FleetSnapshot, FleetTaints>();
  const refusals = new Map<string, Status>();

  function fleetTaints(fleet: FleetSnapshot): FleetTaints {
    let known = fleets.get(fleet);
    if (known === undefined) {
      const taints = fleet.devices.map(({ device }) => taintsOf(device));
      known = { taints, anyTainted: taints.some((list) => list.length > 0), answers: new Map() };
      fleets.set(fleet, known);
    }
    return known;
  }

  /** The first taint the tolerations do not cover, as a shared Status; Success when there is none. */
  function judge(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): Status {
    for (const taint of taints) {
      if (tolerations !== undefined && tolerations.some((toleration) => tolerates(toleration, taint))) continue;
      const text = describeTaint(taint);
      let status = refusals.get(text);
      if (status === undefined) {
        status = Status.unresolvable(`device has the taint ${text}, which the pod does not tolerate`);
        if (refusals.size >= MAX_REMEMBERED) refusals.clear();
        refusals.set(text, status);
      }
      return status;
    }
    return Status.success();
  }

  return {
    name: NAME,
    preFilter(ctx) {
      const known = fleetTaints(ctx.fleet);
      if (!known.anyTainted) return Status.skip();
      const tolerations = ctx.pod.spec.tolerations;
      const key = tolerations === undefined || tolerations.length === 0 ? '' : JSON.stringify(tolerations);
      let answer = known.answers.get(key);
      if (answer === undefined) {
        const allowed: number[] = [];
        known.taints.forEach((taints, index) => {
          if (taints.length === 0 || judge(taints, tolerations).isSuccess()) allowed.push(index);
        });
        answer = allowed.length === known.taints.length ? Status.skip() : preFilterResult(allowed, { exact: true });
        if (known.answers.size >= MAX_REMEMBERED) known.answers.clear();
        known.answers.set(key, answer);
      }
      return answer;
    },
    filter(ctx, pod, device) {
      const taints = ctx.fleet.devices[device.index] === device ? fleetTaints(ctx.fleet).taints[device.index] : taintsOf(device.device);
      if (taints === undefined || taints.length === 0) return Status.success();
      return judge(taints, pod.spec.tolerations);
    },
  } satisfies FilterPlugin;
}

/** The device's taints: those set on it, and the unreachable taint while it is Offline. */
export function taintsOf(device: Device): readonly Taint[] {
  const set = device.spec?.taints;
  const offline = device.status?.state === 'Offline';
  if (set === undefined || set.length === 0) return offline ? UNREACHABLE : NO_TAINTS;
  return offline ? [...set, UNREACHABLE_TAINT] : set;
}
